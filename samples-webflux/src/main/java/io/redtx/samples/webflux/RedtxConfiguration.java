package io.redtx.samples.webflux;

import io.redtx.api.TransactionRuntime;
import io.redtx.runtime.RedisTransactionRuntime;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Builds the {@link TransactionRuntime} from {@link RedtxProperties} and closes it gracefully when the application
 * stops, and runs the {@link OrderEventsConsumer} on it in between.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({RedtxProperties.class, OrderEventsProperties.class})
public class RedtxConfiguration {

    /** Created by Spring. */
    public RedtxConfiguration() {}

    /**
     * The runtime shared by every request. Connections are made lazily, by the first transaction that touches each
     * participant. {@link RedtxRuntimeLifecycle} closes it gracefully when the context stops; Spring then also calls
     * its {@code close()} (the inferred destroy method), which is a no-op after the graceful close and closes it at
     * once when the context fails to start.
     *
     * @param properties the {@code redtx.*} properties
     * @return the runtime
     */
    @Bean
    public TransactionRuntime transactionRuntime(RedtxProperties properties) {
        return RedisTransactionRuntime.create(properties.toRuntimeOptions());
    }

    /**
     * Closes {@code runtime} gracefully after the web server has stopped taking requests.
     *
     * @param runtime the runtime
     * @param properties for the shutdown timeout
     * @return the lifecycle bean
     */
    @Bean
    public RedtxRuntimeLifecycle redtxRuntimeLifecycle(TransactionRuntime runtime, RedtxProperties properties) {
        return new RedtxRuntimeLifecycle(runtime, properties.shutdownTimeout());
    }

    /**
     * The read model's consumer of the order events, started after the runtime and stopped before it is closed.
     *
     * @param runtime the runtime
     * @param properties the {@code checkout.order-events.*} properties
     * @return the lifecycle bean
     */
    @Bean
    public OrderEventsConsumer orderEventsConsumer(TransactionRuntime runtime, OrderEventsProperties properties) {
        return new OrderEventsConsumer(runtime, properties);
    }
}
