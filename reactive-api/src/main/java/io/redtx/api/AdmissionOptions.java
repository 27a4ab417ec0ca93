package io.redtx.api;

import java.time.Duration;
import java.util.Objects;

/**
 * How many transactions a {@link TransactionRuntime} runs at once, and what one does beyond that: wait (how many, how
 * long) or be rejected with {@link TransactionRejectedException}. Immutable; build with {@link #builder()}, or change
 * a runtime's through {@link RuntimeOptions.Builder#admission(java.util.function.Consumer)}. Every setter validates at
 * once and names the field and the bad value.
 *
 * <pre>{@code
 * RuntimeOptions.builder()
 *         .participant("orders", "redis://orders-host:6379")
 *         .admission(a -> a.maxInFlight(256).overflow(AdmissionOptions.Overflow.REJECT))
 *         .build();
 * }</pre>
 */
public final class AdmissionOptions {

    /** Default largest number of transactions running at once in one runtime. */
    public static final int DEFAULT_MAX_IN_FLIGHT = 1024;
    /** Default largest number of transactions waiting for admission ({@link Overflow#WAIT}). */
    public static final int DEFAULT_MAX_WAITING = 1024;
    /** Default longest wait for admission ({@link Overflow#WAIT}). */
    public static final Duration DEFAULT_ADMISSION_TIMEOUT = Duration.ofSeconds(1);

    /** What a transaction does when {@link #maxInFlight()} transactions are already running. */
    public enum Overflow {
        /**
         * Wait for a running one to end, at most {@link #timeout()}, behind at most {@link #maxWaiting()} others; then
         * fail with {@link TransactionRejectedException}.
         */
        WAIT,
        /** Fail at once with {@link TransactionRejectedException}. */
        REJECT
    }

    private static final AdmissionOptions DEFAULTS = builder().build();

    private final int maxInFlight;
    private final Overflow overflow;
    private final int maxWaiting;
    private final Duration timeout;

    private AdmissionOptions(Builder b) {
        this.maxInFlight = b.maxInFlight;
        this.overflow = b.overflow;
        this.maxWaiting = b.maxWaiting;
        this.timeout = b.timeout;
    }

    /** @return the default admission options, every one its {@code DEFAULT_*} constant, {@link Overflow#WAIT} */
    public static AdmissionOptions defaults() {
        return DEFAULTS;
    }

    /** @return a builder with every default set */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder holding every setting of these options, to derive a changed copy; these options stay as they are.
     *
     * @return a new builder
     */
    public Builder mutate() {
        return new Builder(this);
    }

    /**
     * @return largest number of transactions running at once in the runtime (default {@link #DEFAULT_MAX_IN_FLIGHT},
     *     1024). An attempt of {@link TransactionRuntime#inTransaction} or of the intake holds its slot from admission
     *     to the end of its commit or rollback, and a transaction waiting to retry after a conflict holds none (it is
     *     admitted again for its next attempt); a {@link TransactionRuntime#begin()} handle holds one until it is
     *     committed or rolled back
     */
    public int maxInFlight() {
        return maxInFlight;
    }

    /** @return what a transaction does when the limit is reached (default {@link Overflow#WAIT}) */
    public Overflow overflow() {
        return overflow;
    }

    /**
     * @return largest number of transactions waiting for admission with {@link Overflow#WAIT} (default
     *     {@link #DEFAULT_MAX_WAITING}, 1024); more are rejected at once
     */
    public int maxWaiting() {
        return maxWaiting;
    }

    /** @return longest wait for admission with {@link Overflow#WAIT} (default {@link #DEFAULT_ADMISSION_TIMEOUT}, 1 s) */
    public Duration timeout() {
        return timeout;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AdmissionOptions a
                && maxInFlight == a.maxInFlight
                && overflow == a.overflow
                && maxWaiting == a.maxWaiting
                && timeout.equals(a.timeout);
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxInFlight, overflow, maxWaiting, timeout);
    }

    @Override
    public String toString() {
        return "AdmissionOptions{maxInFlight=" + maxInFlight + ", overflow=" + overflow + ", maxWaiting=" + maxWaiting
                + ", timeout=" + Durations.text(timeout) + "}";
    }

    /**
     * Builds {@link AdmissionOptions}; every setter validates its argument at once. The messages name each setting by
     * its full name ({@code maxInFlight}, {@code overflow}, {@code maxWaiting}, {@code admissionTimeout}).
     */
    public static final class Builder {
        private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
        private Overflow overflow = Overflow.WAIT;
        private int maxWaiting = DEFAULT_MAX_WAITING;
        private Duration timeout = DEFAULT_ADMISSION_TIMEOUT;

        private Builder() {}

        private Builder(AdmissionOptions o) {
            maxInFlight = o.maxInFlight;
            overflow = o.overflow;
            maxWaiting = o.maxWaiting;
            timeout = o.timeout;
        }

        /**
         * @param limit largest number of transactions running at once, at least 1
         * @return this builder
         * @throws IllegalArgumentException if {@code limit} is below 1
         */
        public Builder maxInFlight(int limit) {
            this.maxInFlight = Options.atLeast("maxInFlight", 1, limit);
            return this;
        }

        /**
         * @param overflow what a transaction does when the limit is reached, not null
         * @return this builder
         * @throws IllegalArgumentException if {@code overflow} is null
         */
        public Builder overflow(Overflow overflow) {
            if (overflow == null) {
                throw new IllegalArgumentException("overflow must not be null");
            }
            this.overflow = overflow;
            return this;
        }

        /**
         * @param waiting largest number of transactions waiting for admission with {@link Overflow#WAIT}, at least 1
         * @return this builder
         * @throws IllegalArgumentException if {@code waiting} is below 1
         */
        public Builder maxWaiting(int waiting) {
            this.maxWaiting = Options.atLeast("maxWaiting", 1, waiting);
            return this;
        }

        /**
         * @param timeout longest wait for admission with {@link Overflow#WAIT}, positive
         * @return this builder
         * @throws IllegalArgumentException if {@code timeout} is null, zero or negative (named
         *     {@code admissionTimeout})
         */
        public Builder timeout(Duration timeout) {
            this.timeout = Options.positive("admissionTimeout", timeout);
            return this;
        }

        /** @return the options */
        public AdmissionOptions build() {
            return new AdmissionOptions(this);
        }
    }
}
