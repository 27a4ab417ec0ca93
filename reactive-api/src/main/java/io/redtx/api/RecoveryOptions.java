package io.redtx.api;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link TransactionRuntime} lets other transactions and recovery settle what a dead coordinator left: the
 * lease of prepared intents, how long settled markers are kept, the period of the background recovery pass and
 * whether one-phase commits leave markers. Immutable; build with {@link #builder()}, or change a runtime's through
 * {@link RuntimeOptions.Builder#recovery(java.util.function.Consumer)}. Every setter validates at once and names the
 * field and the bad value.
 *
 * <pre>{@code
 * RuntimeOptions.builder()
 *         .participant("orders", "redis://orders-host:6379")
 *         .recovery(r -> r.lease(Duration.ofSeconds(5)).interval(Duration.ZERO))
 *         .build();
 * }</pre>
 */
public final class RecoveryOptions {

    /**
     * Default lease of a prepared intent: after it expires, other transactions may resolve it. A live coordinator
     * extends it every third of its length, so it bounds how long a dead coordinator's intents block others, not how
     * long a transaction may take.
     */
    public static final Duration DEFAULT_LEASE_DURATION = Duration.ofSeconds(10);
    /**
     * Shortest accepted lease: the coordinator extends leases every third of their length, and a shorter lease would
     * expire between two extensions whenever a round trip or a scheduling delay took more than a few tens of
     * milliseconds.
     */
    public static final Duration MIN_LEASE_DURATION = Duration.ofMillis(100);
    /** Default time settled transaction markers (tombstones, commit markers) are kept. */
    public static final Duration DEFAULT_RECORD_RETENTION = Duration.ofMinutes(5);
    /** Default period of the background recovery pass. */
    public static final Duration DEFAULT_RECOVERY_INTERVAL = Duration.ofSeconds(5);

    private static final RecoveryOptions DEFAULTS = builder().build();

    private final Duration lease;
    private final Duration recordRetention;
    private final Duration interval;
    private final boolean onePhaseMarkers;

    private RecoveryOptions(Builder b) {
        this.lease = b.lease;
        this.recordRetention = b.recordRetention;
        this.interval = b.interval;
        this.onePhaseMarkers = b.onePhaseMarkers;
    }

    /** @return the default recovery options, every one its {@code DEFAULT_*} constant, one-phase markers on */
    public static RecoveryOptions defaults() {
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
     * @return lease of a prepared intent, measured on each shard's own clock (default {@link #DEFAULT_LEASE_DURATION},
     *     10 s); the coordinator extends it every third of its length until its commit point is decided, so it is how
     *     long a dead coordinator's intents keep others waiting before recovery may settle them
     */
    public Duration lease() {
        return lease;
    }

    /**
     * @return how long settled markers and records are kept once every shard is settled (default
     *     {@link #DEFAULT_RECORD_RETENTION}, 5 min; they cost memory per transaction, and only need to outlive a
     *     prepare that arrives late)
     */
    public Duration recordRetention() {
        return recordRetention;
    }

    /**
     * @return period of the background recovery pass that settles expired intents left by dead coordinators (default
     *     {@link #DEFAULT_RECOVERY_INTERVAL}, 5 s); {@link Duration#ZERO} turns it off
     *     ({@link TransactionRuntime#recover()} still works)
     */
    public Duration interval() {
        return interval;
    }

    /**
     * @return whether a one-phase commit that writes leaves a COMMITTED marker for {@link #recordRetention()}, so that
     *     {@link TransactionRuntime#status(String)} can answer after its reply was lost (default {@code true}). Each
     *     costs about 100 bytes of the participant's memory until it expires: without them, such a status is
     *     {@link TransactionStatus#UNKNOWN}
     */
    public boolean onePhaseMarkers() {
        return onePhaseMarkers;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RecoveryOptions r
                && lease.equals(r.lease)
                && recordRetention.equals(r.recordRetention)
                && interval.equals(r.interval)
                && onePhaseMarkers == r.onePhaseMarkers;
    }

    @Override
    public int hashCode() {
        return Objects.hash(lease, recordRetention, interval, onePhaseMarkers);
    }

    @Override
    public String toString() {
        return "RecoveryOptions{lease=" + Durations.text(lease) + ", recordRetention=" + Durations.text(recordRetention)
                + ", interval=" + Durations.text(interval) + ", onePhaseMarkers=" + onePhaseMarkers + "}";
    }

    /**
     * Builds {@link RecoveryOptions}; every setter validates its argument at once. The messages name each setting by
     * its full name ({@code leaseDuration}, {@code recordRetention}, {@code recoveryInterval}).
     */
    public static final class Builder {
        private Duration lease = DEFAULT_LEASE_DURATION;
        private Duration recordRetention = DEFAULT_RECORD_RETENTION;
        private Duration interval = DEFAULT_RECOVERY_INTERVAL;
        private boolean onePhaseMarkers = true;

        private Builder() {}

        private Builder(RecoveryOptions o) {
            lease = o.lease;
            recordRetention = o.recordRetention;
            interval = o.interval;
            onePhaseMarkers = o.onePhaseMarkers;
        }

        /**
         * @param lease lease of prepared intents, at least {@link #MIN_LEASE_DURATION} (100 ms); independent of the
         *     timeouts, since a live coordinator extends it every third of its length
         * @return this builder
         * @throws IllegalArgumentException if {@code lease} is null, not positive or shorter than
         *     {@link #MIN_LEASE_DURATION} (named {@code leaseDuration})
         */
        public Builder lease(Duration lease) {
            Options.positive("leaseDuration", lease);
            if (lease.compareTo(MIN_LEASE_DURATION) < 0) {
                throw new IllegalArgumentException("leaseDuration must be at least "
                        + Durations.text(MIN_LEASE_DURATION) + ", was " + Durations.text(lease));
            }
            this.lease = lease;
            return this;
        }

        /**
         * @param retention how long settled markers are kept, at least 1 ms
         * @return this builder
         * @throws IllegalArgumentException if {@code retention} is null, not positive or shorter than 1 ms
         */
        public Builder recordRetention(Duration retention) {
            Options.positive("recordRetention", retention);
            if (retention.toMillis() < 1) {
                // Markers expire with PEXPIRE in whole milliseconds: 0 would delete them at once.
                throw new IllegalArgumentException(
                        "recordRetention must be at least 1 ms, was " + Durations.text(retention));
            }
            this.recordRetention = retention;
            return this;
        }

        /**
         * @param interval period of the background recovery pass, positive, or {@link Duration#ZERO} to turn it off
         * @return this builder
         * @throws IllegalArgumentException if {@code interval} is null or negative (named {@code recoveryInterval})
         */
        public Builder interval(Duration interval) {
            this.interval = Options.nonNegative("recoveryInterval", interval);
            return this;
        }

        /**
         * @param markers whether one-phase commits that write leave a COMMITTED marker for the record retention
         * @return this builder
         */
        public Builder onePhaseMarkers(boolean markers) {
            this.onePhaseMarkers = markers;
            return this;
        }

        /** @return the options */
        public RecoveryOptions build() {
            return new RecoveryOptions(this);
        }
    }
}
