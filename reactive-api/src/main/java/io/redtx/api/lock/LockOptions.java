package io.redtx.api.lock;

import io.redtx.api.Durations;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How a lock is held: on which participant, for how long a lease, and how long an acquisition may wait. Immutable;
 * build with {@link #builder()}. Every setter validates at once and names the field and the bad value.
 *
 * <pre>{@code
 * DistributedLock lock = runtime.lock("invoice-42", LockOptions.builder()
 *         .lease(Duration.ofSeconds(10))
 *         .waitTime(Duration.ofSeconds(2))
 *         .build());
 * }</pre>
 */
public final class LockOptions {

    /**
     * Default lease: how long a holder keeps the lock without renewing it. The runtime renews it every third of its
     * length while the lock is held, so it bounds how long a dead holder blocks others, not how long work may take.
     */
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);
    /** Shortest accepted lease: a shorter one could run out between two renewals on a loaded machine. */
    public static final Duration MIN_LEASE = Duration.ofMillis(100);
    /** Default longest wait of an acquisition. */
    public static final Duration DEFAULT_WAIT_TIME = Duration.ofSeconds(10);

    private static final LockOptions DEFAULTS = builder().build();

    private final String participant;
    private final Duration lease;
    private final Duration waitTime;

    private LockOptions(Builder b) {
        this.participant = b.participant;
        this.lease = b.lease;
        this.waitTime = b.waitTime;
    }

    /** @return the defaults: routed by name, {@link #DEFAULT_LEASE}, {@link #DEFAULT_WAIT_TIME} */
    public static LockOptions defaults() {
        return DEFAULTS;
    }

    /** @return a builder with every default set */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder holding these options, to derive a changed copy */
    public Builder mutate() {
        return new Builder(this);
    }

    /**
     * @return the participant that holds the lock; empty (the default) to place it by its name with the runtime's key
     *     router, as {@link io.redtx.api.Transaction#routed()} places a key
     */
    public Optional<String> participant() {
        return Optional.ofNullable(participant);
    }

    /** @return the lease (default {@link #DEFAULT_LEASE}) */
    public Duration lease() {
        return lease;
    }

    /** @return the longest wait of an acquisition; {@link Duration#ZERO} tries once (default {@link #DEFAULT_WAIT_TIME}) */
    public Duration waitTime() {
        return waitTime;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LockOptions other
                && Objects.equals(participant, other.participant)
                && lease.equals(other.lease)
                && waitTime.equals(other.waitTime);
    }

    @Override
    public int hashCode() {
        return Objects.hash(participant, lease, waitTime);
    }

    @Override
    public String toString() {
        return "LockOptions{participant=" + (participant == null ? "(routed)" : participant) + ", lease="
                + Durations.text(lease) + ", waitTime=" + Durations.text(waitTime) + "}";
    }

    /** Builds {@link LockOptions}. */
    public static final class Builder {
        private String participant;
        private Duration lease = DEFAULT_LEASE;
        private Duration waitTime = DEFAULT_WAIT_TIME;

        private Builder() {}

        private Builder(LockOptions o) {
            participant = o.participant;
            lease = o.lease;
            waitTime = o.waitTime;
        }

        /**
         * @param participant the participant that holds the lock (checked against the runtime's participants when the
         *     lock is made); null to place it by its name (the default)
         * @return this builder
         */
        public Builder participant(String participant) {
            if (participant != null && participant.isEmpty()) {
                throw new IllegalArgumentException("participant must not be empty (null places the lock by its name)");
            }
            this.participant = participant;
            return this;
        }

        /**
         * @param lease at least {@link #MIN_LEASE}
         * @return this builder
         */
        public Builder lease(Duration lease) {
            if (lease == null || lease.compareTo(MIN_LEASE) < 0) {
                throw new IllegalArgumentException("lease must be at least " + Durations.text(MIN_LEASE) + ", was "
                        + (lease == null ? "null" : Durations.text(lease)));
            }
            this.lease = lease;
            return this;
        }

        /**
         * @param waitTime zero (try once) or positive
         * @return this builder
         */
        public Builder waitTime(Duration waitTime) {
            if (waitTime == null || waitTime.isNegative()) {
                throw new IllegalArgumentException("waitTime must be zero or positive, was "
                        + (waitTime == null ? "null" : Durations.text(waitTime)));
            }
            this.waitTime = waitTime;
            return this;
        }

        /** @return the options */
        public LockOptions build() {
            return new LockOptions(this);
        }
    }
}
