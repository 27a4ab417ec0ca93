package io.redtx.api;

import java.time.Duration;

/**
 * Immutable configuration of one {@link TransactionRuntime#intake intake}: how many of its requests run at once, in
 * which order their outcomes come out, and each request's deadline.
 *
 * <pre>{@code
 * IntakeOptions options = IntakeOptions.builder().maxInFlight(64).ordered(true).deadline(Duration.ofSeconds(2)).build();
 * }</pre>
 */
public final class IntakeOptions {

    /** Default number of requests of one intake running at once. */
    public static final int DEFAULT_MAX_IN_FLIGHT = 64;

    private static final IntakeOptions DEFAULTS = builder().build();

    private final int maxInFlight;
    private final boolean ordered;
    private final Duration deadline;

    private IntakeOptions(Builder b) {
        this.maxInFlight = b.maxInFlight;
        this.ordered = b.ordered;
        this.deadline = b.deadline;
    }

    /** @return a builder with the defaults: 64 in flight, unordered, the runtime's transaction timeout as deadline */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the defaults */
    public static IntakeOptions defaults() {
        return DEFAULTS;
    }

    /**
     * @return requests running at once (default 64); the intake never requests more from its source than this many
     *     ahead of the outcomes consumed downstream
     */
    public int maxInFlight() {
        return maxInFlight;
    }

    /**
     * @return whether outcomes come out in the order of their requests (default {@code false}: as they finish; an
     *     ordered intake holds finished outcomes behind a slower earlier one, and they still count as in flight)
     */
    public boolean ordered() {
        return ordered;
    }

    /**
     * @return limit of each request's transaction, retries and the wait for admission included, from when the intake
     *     takes the request from its source; {@code null} (the default)
     *     means {@link TimeoutOptions#transaction()}
     */
    public Duration deadline() {
        return deadline;
    }

    @Override
    public String toString() {
        return "IntakeOptions{maxInFlight=" + maxInFlight + ", ordered=" + ordered + ", deadline=" + deadline + "}";
    }

    /** Builds {@link IntakeOptions}; every setter validates its argument at once. */
    public static final class Builder {
        private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
        private boolean ordered;
        private Duration deadline;

        private Builder() {}

        /**
         * @param limit requests running at once, 1 to 100,000
         * @return this builder
         */
        public Builder maxInFlight(int limit) {
            this.maxInFlight = Options.between("maxInFlight", 1, 100_000, limit);
            return this;
        }

        /**
         * @param ordered whether outcomes come out in request order
         * @return this builder
         */
        public Builder ordered(boolean ordered) {
            this.ordered = ordered;
            return this;
        }

        /**
         * @param deadline limit of each request's transaction, positive
         * @return this builder
         */
        public Builder deadline(Duration deadline) {
            this.deadline = Options.positive("deadline", deadline);
            return this;
        }

        /** @return the options */
        public IntakeOptions build() {
            return new IntakeOptions(this);
        }
    }
}
