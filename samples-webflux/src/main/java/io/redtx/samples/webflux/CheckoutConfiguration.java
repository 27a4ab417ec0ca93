package io.redtx.samples.webflux;

import io.redtx.api.TransactionRuntime;
import io.redtx.spring.boot.RedtxProperties;
import java.util.Set;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * What the checkout adds to the redtx starter, which makes the {@link TransactionRuntime} from the {@code redtx.*}
 * properties and closes it gracefully after the web server: the check that the participants the checkout uses are
 * configured, and the {@link OrderEventsConsumer} that runs on the runtime in between.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(OrderEventsProperties.class)
public class CheckoutConfiguration {

    /** The participants the checkout needs. */
    static final Set<String> REQUIRED_PARTICIPANTS =
            Set.of(CheckoutService.STOCK, CheckoutService.ORDERS, CheckoutService.BALANCES);

    /**
     * Checks that {@code redtx.participants} names every participant the checkout uses, so that a missing one stops
     * the start-up rather than failing the first checkout.
     *
     * @param redtx the starter's {@code redtx.*} properties
     * @throws InvalidConfigurationPropertyValueException naming the first missing participant's property
     */
    public CheckoutConfiguration(RedtxProperties redtx) {
        for (String required : REQUIRED_PARTICIPANTS) {
            if (!redtx.getParticipants().containsKey(required)) {
                throw new InvalidConfigurationPropertyValueException(
                        "redtx.participants." + required,
                        null,
                        "is not set: the checkout needs the participants " + REQUIRED_PARTICIPANTS + ", got "
                                + redtx.getParticipants().keySet());
            }
        }
    }

    /**
     * The read model's consumer of the order events, started after the runtime is verified and stopped before it is
     * closed (its phase is just above the starter's lifecycle).
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
