package io.redtx.samples.webflux;

import io.redtx.api.message.ConsumerOptions;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code checkout.order-events.*} properties: how {@link OrderEventsConsumer} reads the order events into the read
 * model. Every value is checked when the consumer bean is made ({@link ConsumerOptions}'s builder names a bad one).
 *
 * <pre>
 * checkout.order-events.claim-idle=30s
 * checkout.order-events.concurrency=4
 * </pre>
 *
 * @param claimIdle how long an event may stay unacknowledged (its consumer died, or its transaction did not commit)
 *     before a consumer takes it over and handles it again (default 30 s); keep it well above the time one event takes
 * @param pollInterval pause after a read that found no new event (default 100 ms): how late an idle consumer notices one
 * @param concurrency events handled at once, each in its own transaction (default 4); events of one customer conflict
 *     on its summary and are retried
 * @param maxDeliveries deliveries of one event before it goes to {@code order-events:dead} instead (default 5)
 * @param minBackoff first pause before resubscribing after a transient error, such as an unreachable participant
 *     (default 100 ms)
 * @param maxBackoff longest such pause (default 10 s)
 */
@ConfigurationProperties("checkout.order-events")
public record OrderEventsProperties(
        @DefaultValue("30s") Duration claimIdle,
        @DefaultValue("100ms") Duration pollInterval,
        @DefaultValue("4") int concurrency,
        @DefaultValue("5") int maxDeliveries,
        @DefaultValue("100ms") Duration minBackoff,
        @DefaultValue("10s") Duration maxBackoff) {

    /**
     * Checks the backoff, which {@link ConsumerOptions} does not hold.
     *
     * @throws IllegalArgumentException naming the bad value
     */
    public OrderEventsProperties {
        if (minBackoff == null || minBackoff.isNegative() || minBackoff.isZero()) {
            throw new IllegalArgumentException("checkout.order-events.min-backoff must be positive, was " + minBackoff);
        }
        if (maxBackoff == null || maxBackoff.compareTo(minBackoff) < 0) {
            throw new IllegalArgumentException("checkout.order-events.max-backoff must be at least min-backoff ("
                    + minBackoff + "), was " + maxBackoff);
        }
    }
}
