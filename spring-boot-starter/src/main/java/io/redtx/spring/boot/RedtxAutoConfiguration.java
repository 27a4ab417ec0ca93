package io.redtx.spring.boot;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import io.redtx.api.Durations;
import io.redtx.api.IntakeOptions;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.metrics.TransactionMetrics;
import io.redtx.api.metrics.TransactionObserver;
import io.redtx.micrometer.MicrometerTransactionMetrics;
import io.redtx.micrometer.ObservationTransactionObserver;
import io.redtx.runtime.RedisTransactionRuntime;
import java.time.Duration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Auto-configuration of a redtx {@link TransactionRuntime} from the {@code redtx.*} properties
 * ({@link RedtxProperties}).
 *
 * <ul>
 *   <li>{@link RuntimeOptions} and the {@link TransactionRuntime} built on them, unless the application defines a
 *       {@code TransactionRuntime} itself (then neither is made, and the rest below applies to the application's);
 *       the options take the properties, the {@link TransactionMetrics} bean if there is one, and then every
 *       {@link RedtxRuntimeOptionsCustomizer};
 *   <li>{@link MicrometerTransactionMetrics} in the application's {@link MeterRegistry}, when redtx-micrometer is on
 *       the class path, a registry is defined and {@code redtx.metrics.enabled} is not false;
 *   <li>{@link ObservationTransactionObserver} on the application's {@link ObservationRegistry}, when
 *       redtx-micrometer is on the class path, a registry is defined and {@code redtx.metrics.observations} is not
 *       false;
 *   <li>an {@link IntakeOptions} bean from {@code redtx.intake.*};
 *   <li>{@link RedtxRuntimeLifecycle}: verification on start-up, graceful close on shutdown.
 * </ul>
 *
 * <p>It runs after Boot's Micrometer auto-configurations, so that their registry is there to be found.
 */
@AutoConfiguration(
        afterName = {
            "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
            "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
            "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration",
            "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration"
        })
@ConditionalOnClass({TransactionRuntime.class, RedisTransactionRuntime.class})
@EnableConfigurationProperties(RedtxProperties.class)
public class RedtxAutoConfiguration {

    /** How much longer than the transaction timeout shutdown waits by default; see redtx.shutdown-timeout. */
    static final Duration SHUTDOWN_MARGIN = Duration.ofSeconds(10);

    /** Created by Spring. */
    public RedtxAutoConfiguration() {}

    /**
     * The {@code redtx.intake.*} options, for the application's intakes.
     *
     * @param properties the properties
     * @return the options
     */
    @Bean
    @ConditionalOnMissingBean
    public IntakeOptions redtxIntakeOptions(RedtxProperties properties) {
        return properties.toIntakeOptions();
    }

    /**
     * Verifies the runtime on start-up ({@code redtx.verify-on-startup}) and closes it gracefully on shutdown, after
     * the web server; see {@link RedtxRuntimeLifecycle} for its phase. Applies to the application's own runtime bean
     * too, when it defines one: closing twice is harmless ({@code closeGracefully()} is idempotent).
     *
     * @param runtime the runtime
     * @param properties the properties
     * @return the lifecycle
     */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnSingleCandidate(TransactionRuntime.class)
    public RedtxRuntimeLifecycle redtxRuntimeLifecycle(TransactionRuntime runtime, RedtxProperties properties) {
        Duration transaction = properties.getTimeouts().getTransaction();
        Duration connect = properties.getTimeouts().getConnect();
        Duration shutdown = properties.getShutdownTimeout();
        if (shutdown == null) {
            shutdown = transaction == null ? null : transaction.plus(SHUTDOWN_MARGIN);
        } else if (shutdown.isZero() || shutdown.isNegative()) {
            throw new InvalidConfigurationPropertyValueException(
                    "redtx.shutdown-timeout", Durations.text(shutdown), "must be positive");
        }
        // verify() bounds each participant by the connect timeout and checks them all at once; the wait is twice
        // that, a guard so that start-up cannot hang on a check that outlives its own bound.
        return new RedtxRuntimeLifecycle(
                runtime, properties.isVerifyOnStartup(), connect == null ? null : connect.multipliedBy(2), shutdown);
    }

    /** The runtime and its options, unless the application defines its own runtime. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnMissingBean(TransactionRuntime.class)
    static class RuntimeConfiguration {

        /**
         * @return the tracker of the runtime's recovery passes, read by the health indicator
         */
        @Bean
        @ConditionalOnMissingBean
        RedtxRecoveryTracker redtxRecoveryTracker() {
            return new RedtxRecoveryTracker();
        }

        /**
         * The options: the properties, then the metrics and observer beans, then the customizers.
         *
         * @param properties the properties
         * @param metrics the application's metrics, if one bean is defined (the Micrometer one below, say)
         * @param observer what observes each transaction, if one bean is defined (the Observation one below, say)
         * @param customizers the customizers, in order
         * @return the options
         */
        @Bean
        @ConditionalOnMissingBean
        RuntimeOptions redtxRuntimeOptions(
                RedtxProperties properties,
                ObjectProvider<TransactionMetrics> metrics,
                ObjectProvider<TransactionObserver> observer,
                ObjectProvider<RedtxRuntimeOptionsCustomizer> customizers) {
            RuntimeOptions.Builder builder = properties.toRuntimeOptionsBuilder();
            metrics.ifUnique(builder::metrics);
            observer.ifUnique(builder::observer);
            customizers.orderedStream().forEach(c -> c.customize(builder));
            // Every property was checked as it was set (toRuntimeOptionsBuilder names it); what build() alone checks
            // (external participants, a key router) comes from customizers, and its refusal is thrown as it is.
            return builder.build();
        }

        /**
         * The runtime. Connections are made lazily (or by the verification on start-up). {@link RedtxRuntimeLifecycle}
         * closes it gracefully when the context stops; Spring then also calls its {@code close()}, which does nothing
         * more after the graceful close, and closes it at once when the context fails to start.
         *
         * @param options the options
         * @param tracker keeps what its recovery passes report
         * @return the runtime
         */
        @Bean(destroyMethod = "close")
        TransactionRuntime transactionRuntime(RuntimeOptions options, RedtxRecoveryTracker tracker) {
            return RedisTransactionRuntime.create(
                    options.mutate().metrics(tracker.wrap(options.metrics())).build());
        }
    }

    /**
     * Each transaction observed through the application's {@link ObservationRegistry} (a span, with tracing), when
     * Micrometer's Observation API, redtx-micrometer and a registry are there.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({ObservationRegistry.class, ObservationTransactionObserver.class})
    @ConditionalOnBean(ObservationRegistry.class)
    @ConditionalOnBooleanProperty(name = "redtx.metrics.observations", matchIfMissing = true)
    static class ObservationConfiguration {

        /**
         * @param registry the application's registry
         * @return the observer the runtime reports each transaction to
         */
        @Bean
        @ConditionalOnMissingBean(TransactionObserver.class)
        ObservationTransactionObserver redtxObservationObserver(ObservationRegistry registry) {
            return ObservationTransactionObserver.create(registry);
        }
    }

    /** The Micrometer meters, when Micrometer, redtx-micrometer and a registry are there. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({MeterRegistry.class, MicrometerTransactionMetrics.class})
    @ConditionalOnBean(MeterRegistry.class)
    @ConditionalOnBooleanProperty(name = "redtx.metrics.enabled", matchIfMissing = true)
    static class MetricsConfiguration {

        /**
         * @param registry the application's registry
         * @param properties for {@code redtx.metrics.*}
         * @return the metrics the runtime records in
         */
        @Bean
        @ConditionalOnMissingBean(TransactionMetrics.class)
        MicrometerTransactionMetrics redtxMicrometerMetrics(MeterRegistry registry, RedtxProperties properties) {
            RedtxProperties.Metrics m = properties.getMetrics();
            MicrometerTransactionMetrics.Builder builder = MicrometerTransactionMetrics.builder(registry);
            RuntimeOptionsMapper.apply("redtx.metrics.prefix", m.getPrefix(), () -> builder.prefix(m.getPrefix()));
            m.getTags()
                    .forEach((key, value) -> RuntimeOptionsMapper.apply(
                            "redtx.metrics.tags." + key, value, () -> builder.tag(key, value)));
            builder.percentileHistogram(m.isPercentileHistogram());
            return builder.build();
        }
    }
}
