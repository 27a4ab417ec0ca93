package io.redtx.api.saga;

import io.redtx.api.Durations;
import java.time.Duration;
import java.util.Objects;

/**
 * How often a saga step (or compensation) is tried before it fails for good, and how long to wait between attempts:
 * {@code backoff} before the second attempt, doubling after each, at most {@link #MAX_BACKOFF}. Conflicts between
 * transactions are retried inside each attempt by the runtime's {@link io.redtx.api.RetryPolicy} and do not count here.
 * Immutable.
 */
public final class SagaRetry {

    /** Default number of attempts: 3. */
    public static final int DEFAULT_ATTEMPTS = 3;

    /** Default wait before the second attempt: 100 ms. */
    public static final Duration DEFAULT_BACKOFF = Duration.ofMillis(100);

    /** The longest wait between two attempts: 10 s. */
    public static final Duration MAX_BACKOFF = Duration.ofSeconds(10);

    private static final SagaRetry DEFAULTS = new SagaRetry(DEFAULT_ATTEMPTS, DEFAULT_BACKOFF);
    private static final SagaRetry NONE = new SagaRetry(1, Duration.ZERO);

    private final int attempts;
    private final Duration backoff;

    private SagaRetry(int attempts, Duration backoff) {
        this.attempts = attempts;
        this.backoff = backoff;
    }

    /** @return {@value #DEFAULT_ATTEMPTS} attempts, 100 ms apart at first */
    public static SagaRetry defaults() {
        return DEFAULTS;
    }

    /** @return one attempt, no retry */
    public static SagaRetry none() {
        return NONE;
    }

    /**
     * @param attempts at least 1 (1: no retry)
     * @param backoff the wait before the second attempt, zero or positive ({@link Duration#ZERO}: retry at once)
     * @return the policy
     * @throws IllegalArgumentException for attempts below 1 or a null or negative backoff, naming the field and value
     */
    public static SagaRetry of(int attempts, Duration backoff) {
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be at least 1, was " + attempts);
        }
        if (backoff == null || backoff.isNegative()) {
            throw new IllegalArgumentException("backoff must be zero or positive, was " + Durations.text(backoff));
        }
        return new SagaRetry(attempts, backoff);
    }

    /** @return how many times a step is tried at most */
    public int attempts() {
        return attempts;
    }

    /** @return the wait before the second attempt */
    public Duration backoff() {
        return backoff;
    }

    /**
     * @param attempt the attempt that just failed, from 1
     * @return the wait before the next one
     */
    public Duration delayAfter(int attempt) {
        Duration d = backoff;
        for (int i = 1; i < attempt && d.compareTo(MAX_BACKOFF) < 0; i++) {
            d = d.multipliedBy(2);
        }
        return d.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : d;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SagaRetry r && attempts == r.attempts && backoff.equals(r.backoff);
    }

    @Override
    public int hashCode() {
        return Objects.hash(attempts, backoff);
    }

    @Override
    public String toString() {
        return "SagaRetry{attempts=" + attempts + ", backoff=" + Durations.text(backoff) + "}";
    }
}
