package io.redtx.api;

import java.time.Duration;
import java.util.Objects;

/**
 * How {@link TransactionRuntime#inTransaction} retries a transaction that failed with a
 * {@link TransactionConflictException}: at most {@link #maxAttempts()} attempts in all, waiting an exponential
 * backoff between {@link #minBackoff()} and {@link #maxBackoff()}, randomised by {@link #jitter()} so that
 * conflicting transactions do not retry in lock-step. Immutable.
 *
 * <p>Hot keys: across a runtime, retries of transactions that conflicted on the same key start apart by about the
 * time a recent commit took (at least {@link #minBackoff()}; later ones wait longer, up to {@link #maxBackoff()}), so
 * that many transactions contending for one key retry about one at a time instead of all together; a transaction
 * waiting to retry holds no admission slot ({@link AdmissionOptions#maxInFlight()}).
 */
public final class RetryPolicy {

    /** Default attempts in all (first attempt included). */
    public static final int DEFAULT_MAX_ATTEMPTS = 10;
    /** Default first backoff. */
    public static final Duration DEFAULT_MIN_BACKOFF = Duration.ofMillis(2);
    /** Default backoff cap. */
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofMillis(200);
    /** Default jitter factor. */
    public static final double DEFAULT_JITTER = 0.5;

    private static final RetryPolicy DEFAULT = builder().build();
    private static final RetryPolicy NONE = builder().maxAttempts(1).build();

    private final int maxAttempts;
    private final Duration minBackoff;
    private final Duration maxBackoff;
    private final double jitter;

    private RetryPolicy(Builder b) {
        this.maxAttempts = b.maxAttempts;
        this.minBackoff = b.minBackoff;
        this.maxBackoff = b.maxBackoff;
        this.jitter = b.jitter;
    }

    /** @return the default policy ({@value #DEFAULT_MAX_ATTEMPTS} attempts, 2 ms to 200 ms, jitter 0.5) */
    public static RetryPolicy defaults() {
        return DEFAULT;
    }

    /** @return a policy that never retries */
    public static RetryPolicy none() {
        return NONE;
    }

    /** @return a builder starting from the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return attempts in all, the first included; 1 means no retry */
    public int maxAttempts() {
        return maxAttempts;
    }

    /** @return the backoff before the first retry */
    public Duration minBackoff() {
        return minBackoff;
    }

    /** @return the largest backoff */
    public Duration maxBackoff() {
        return maxBackoff;
    }

    /** @return the jitter factor in [0, 1]: each backoff is randomised by up to this fraction */
    public double jitter() {
        return jitter;
    }

    @Override
    public String toString() {
        return "RetryPolicy{maxAttempts=" + maxAttempts + ", minBackoff=" + minBackoff + ", maxBackoff=" + maxBackoff
                + ", jitter=" + jitter + "}";
    }

    /** Builds a {@link RetryPolicy}; every setter validates its argument at once. */
    public static final class Builder {
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private Duration minBackoff = DEFAULT_MIN_BACKOFF;
        private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
        private double jitter = DEFAULT_JITTER;

        private Builder() {}

        /**
         * @param maxAttempts attempts in all, at least 1
         * @return this builder
         */
        public Builder maxAttempts(int maxAttempts) {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be >= 1, was " + maxAttempts);
            }
            this.maxAttempts = maxAttempts;
            return this;
        }

        /**
         * @param minBackoff first backoff, zero or positive
         * @return this builder
         */
        public Builder minBackoff(Duration minBackoff) {
            this.minBackoff = Options.nonNegative("minBackoff", minBackoff);
            return this;
        }

        /**
         * @param maxBackoff backoff cap, zero or positive
         * @return this builder
         */
        public Builder maxBackoff(Duration maxBackoff) {
            this.maxBackoff = Options.nonNegative("maxBackoff", maxBackoff);
            return this;
        }

        /**
         * @param jitter factor in [0, 1]
         * @return this builder
         */
        public Builder jitter(double jitter) {
            if (!(jitter >= 0.0 && jitter <= 1.0)) {
                throw new IllegalArgumentException("jitter must be in [0, 1], was " + jitter);
            }
            this.jitter = jitter;
            return this;
        }

        /**
         * @return the policy
         * @throws IllegalArgumentException if maxBackoff is less than minBackoff
         */
        public RetryPolicy build() {
            if (maxBackoff.compareTo(minBackoff) < 0) {
                throw new IllegalArgumentException("maxBackoff (" + Durations.text(maxBackoff)
                        + ") must be >= minBackoff (" + Durations.text(minBackoff) + ")");
            }
            return new RetryPolicy(this);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RetryPolicy p
                && maxAttempts == p.maxAttempts
                && minBackoff.equals(p.minBackoff)
                && maxBackoff.equals(p.maxBackoff)
                && jitter == p.jitter;
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxAttempts, minBackoff, maxBackoff, jitter);
    }
}
