package io.redtx.samples.webflux;

import io.redtx.api.RetryPolicy;
import io.redtx.api.RuntimeOptions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code redtx.*} properties of the service, bound by Spring Boot (relaxed names: {@code max-in-flight} or
 * {@code maxInFlight}).
 *
 * <pre>
 * redtx.participants.stock=redis://127.0.0.1:6379
 * redtx.participants.orders=redis://127.0.0.1:6380
 * redtx.participants.balances=redis://127.0.0.1:6381
 * redtx.max-in-flight=256
 * redtx.overflow=reject
 * </pre>
 *
 * @param participants participant name to Redis URI; must name {@value CheckoutService#STOCK},
 *     {@value CheckoutService#ORDERS} and {@value CheckoutService#BALANCES}
 * @param maxInFlight transactions running at once in the runtime (default {@value RuntimeOptions#DEFAULT_MAX_IN_FLIGHT})
 * @param overflow what a transaction does beyond {@code maxInFlight}: {@code WAIT} (default) or {@code REJECT}; both
 *     end in HTTP 503 when it is not admitted
 * @param maxWaiting transactions waiting for admission with {@code WAIT} (default
 *     {@value RuntimeOptions#DEFAULT_MAX_WAITING})
 * @param admissionTimeout longest wait for admission with {@code WAIT} (default 1 s)
 * @param transactionTimeout limit of one checkout, its conflict retries included (default 30 s)
 * @param retry the conflict retries
 * @param shutdownTimeout how long shutdown waits for {@code closeGracefully()} (default 35 s: a little more than the
 *     transaction timeout, which bounds the graceful close)
 */
@ConfigurationProperties("redtx")
public record RedtxProperties(
        Map<String, String> participants,
        @DefaultValue("1024") int maxInFlight,
        @DefaultValue("WAIT") RuntimeOptions.Overflow overflow,
        @DefaultValue("1024") int maxWaiting,
        @DefaultValue("1s") Duration admissionTimeout,
        @DefaultValue("30s") Duration transactionTimeout,
        @DefaultValue Retry retry,
        @DefaultValue("35s") Duration shutdownTimeout) {

    /** The participants the checkout needs. */
    static final Set<String> REQUIRED_PARTICIPANTS =
            Set.of(CheckoutService.STOCK, CheckoutService.ORDERS, CheckoutService.BALANCES);

    /** Copies the participant map, keeping its order; {@code null} becomes empty. */
    public RedtxProperties {
        participants = participants == null ? Map.of() : new LinkedHashMap<>(participants);
    }

    /**
     * Conflict retries of a checkout ({@link RetryPolicy}).
     *
     * @param maxAttempts attempts in all, the first included (default {@value RetryPolicy#DEFAULT_MAX_ATTEMPTS})
     * @param minBackoff first backoff (default 2 ms)
     * @param maxBackoff largest backoff (default 200 ms)
     */
    public record Retry(
            @DefaultValue("10") int maxAttempts,
            @DefaultValue("2ms") Duration minBackoff,
            @DefaultValue("200ms") Duration maxBackoff) {}

    /**
     * Builds the runtime options; the builder validates every value and names the bad one.
     *
     * @return the options
     * @throws IllegalArgumentException if a participant the checkout needs is missing, or a value is out of range
     */
    public RuntimeOptions toRuntimeOptions() {
        for (String required : REQUIRED_PARTICIPANTS) {
            if (!participants.containsKey(required)) {
                throw new IllegalArgumentException("redtx.participants." + required
                        + " is not set: the checkout needs the participants " + REQUIRED_PARTICIPANTS + ", got "
                        + participants.keySet());
            }
        }
        RuntimeOptions.Builder builder = RuntimeOptions.builder()
                .maxInFlight(maxInFlight)
                .overflow(overflow)
                .maxWaiting(maxWaiting)
                .admissionTimeout(admissionTimeout)
                .transactionTimeout(transactionTimeout)
                .retryPolicy(RetryPolicy.builder()
                        .maxAttempts(retry.maxAttempts())
                        .minBackoff(retry.minBackoff())
                        .maxBackoff(retry.maxBackoff())
                        .build());
        participants.forEach(builder::participant);
        return builder.build();
    }
}
