package io.redtx.samples.webflux;

import io.redtx.api.AdmissionOptions;
import io.redtx.api.RetryPolicy;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TimeoutOptions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code redtx.*} properties of the service, bound by Spring Boot (relaxed names: {@code max-in-flight} or
 * {@code maxInFlight}). They are grouped as {@link RuntimeOptions} groups its settings: {@code redtx.admission.*} are
 * {@link AdmissionOptions}, {@code redtx.timeouts.*} are {@link TimeoutOptions}.
 *
 * <pre>
 * redtx.participants.stock=redis://127.0.0.1:6379
 * redtx.participants.orders=redis://127.0.0.1:6380
 * redtx.participants.balances=redis://127.0.0.1:6381
 * redtx.admission.max-in-flight=256
 * redtx.admission.overflow=reject
 * redtx.timeouts.transaction=10s
 * </pre>
 *
 * @param participants participant name to Redis URI; must name {@value CheckoutService#STOCK},
 *     {@value CheckoutService#ORDERS} and {@value CheckoutService#BALANCES}
 * @param admission how many checkouts run at once, and what one does beyond that
 * @param timeouts the time limits of a checkout
 * @param retry the conflict retries
 * @param shutdownTimeout how long shutdown waits for {@code closeGracefully()} (default 35 s: a little more than the
 *     transaction timeout, which bounds the graceful close)
 */
@ConfigurationProperties("redtx")
public record RedtxProperties(
        Map<String, String> participants,
        @DefaultValue Admission admission,
        @DefaultValue Timeouts timeouts,
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
     * Admission of checkouts ({@link AdmissionOptions}): {@code redtx.admission.*}.
     *
     * @param maxInFlight transactions running at once in the runtime (default
     *     {@value AdmissionOptions#DEFAULT_MAX_IN_FLIGHT})
     * @param overflow what a transaction does beyond {@code maxInFlight}: {@code WAIT} (default) or {@code REJECT};
     *     both end in HTTP 503 when it is not admitted
     * @param maxWaiting transactions waiting for admission with {@code WAIT} (default
     *     {@value AdmissionOptions#DEFAULT_MAX_WAITING})
     * @param timeout longest wait for admission with {@code WAIT} (default 1 s)
     */
    public record Admission(
            @DefaultValue("1024") int maxInFlight,
            @DefaultValue("WAIT") AdmissionOptions.Overflow overflow,
            @DefaultValue("1024") int maxWaiting,
            @DefaultValue("1s") Duration timeout) {}

    /**
     * Time limits of a checkout ({@link TimeoutOptions}): {@code redtx.timeouts.*}. The others keep the runtime's
     * defaults.
     *
     * @param transaction limit of one checkout, its conflict retries included (default 30 s)
     */
    public record Timeouts(@DefaultValue("30s") Duration transaction) {}

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
                .admission(a -> a.maxInFlight(admission.maxInFlight())
                        .overflow(admission.overflow())
                        .maxWaiting(admission.maxWaiting())
                        .timeout(admission.timeout()))
                .timeouts(t -> t.transaction(timeouts.transaction()))
                .retryPolicy(RetryPolicy.builder()
                        .maxAttempts(retry.maxAttempts())
                        .minBackoff(retry.minBackoff())
                        .maxBackoff(retry.maxBackoff())
                        .build());
        participants.forEach(builder::participant);
        return builder.build();
    }
}
