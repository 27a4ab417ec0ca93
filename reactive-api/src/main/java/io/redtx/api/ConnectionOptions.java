package io.redtx.api;

import java.util.Objects;

/**
 * How a {@link TransactionRuntime} connects to its participants: how many connections to each, and whether a
 * participant must write every command to disk before acknowledging it. Immutable; build with {@link #builder()}, or
 * change a runtime's through {@link RuntimeOptions.Builder#connections(java.util.function.Consumer)}. Every setter
 * validates at once and names the field and the bad value.
 *
 * <pre>{@code
 * RuntimeOptions.builder()
 *         .participant("orders", "redis://orders-host:6379")
 *         .connections(c -> c.perParticipant(4).requireSyncedWrites(true))
 *         .build();
 * }</pre>
 */
public final class ConnectionOptions {

    /** Default number of connections to each participant. */
    public static final int DEFAULT_CONNECTIONS_PER_PARTICIPANT = 2;

    private static final ConnectionOptions DEFAULTS = builder().build();

    private final int perParticipant;
    private final boolean requireSyncedWrites;

    private ConnectionOptions(Builder b) {
        this.perParticipant = b.perParticipant;
        this.requireSyncedWrites = b.requireSyncedWrites;
    }

    /**
     * @return the default connection options: {@link #DEFAULT_CONNECTIONS_PER_PARTICIPANT} connections, synced writes
     *     not required
     */
    public static ConnectionOptions defaults() {
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
     * @return how many multiplexed connections the runtime keeps to each participant (default
     *     {@link #DEFAULT_CONNECTIONS_PER_PARTICIPANT}, 2); commands take them in turn
     */
    public int perParticipant() {
        return perParticipant;
    }

    /**
     * @return whether a participant is refused (with {@link ParticipantErrorException} when the runtime connects to it)
     *     unless it runs AOF with {@code appendfsync always}, so that no acknowledged commit can be lost by a restart
     *     (default {@code false}: see {@link TransactionRuntime#durability()})
     */
    public boolean requireSyncedWrites() {
        return requireSyncedWrites;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConnectionOptions c
                && perParticipant == c.perParticipant
                && requireSyncedWrites == c.requireSyncedWrites;
    }

    @Override
    public int hashCode() {
        return Objects.hash(perParticipant, requireSyncedWrites);
    }

    @Override
    public String toString() {
        return "ConnectionOptions{perParticipant=" + perParticipant + ", requireSyncedWrites=" + requireSyncedWrites
                + "}";
    }

    /**
     * Builds {@link ConnectionOptions}; every setter validates its argument at once. The messages name the number of
     * connections by its full name, {@code connectionsPerParticipant}.
     */
    public static final class Builder {
        private int perParticipant = DEFAULT_CONNECTIONS_PER_PARTICIPANT;
        private boolean requireSyncedWrites;

        private Builder() {}

        private Builder(ConnectionOptions o) {
            perParticipant = o.perParticipant;
            requireSyncedWrites = o.requireSyncedWrites;
        }

        /**
         * How many connections the runtime keeps to each participant, each made on first use. Commands take them in
         * turn. Each connection's replies are handled by one I/O thread and answered in batches, so with one
         * connection the client and the server take turns; two let them overlap, which suits a machine with two
         * cores or more (the load benchmark: +60% one-phase throughput from 1 to 2). A Redis Cluster participant has
         * one cluster connection whatever this says: it keeps a connection to each master itself.
         *
         * @param connections 1 to 64
         * @return this builder
         * @throws IllegalArgumentException if {@code connections} is outside 1 to 64 (named
         *     {@code connectionsPerParticipant})
         */
        public Builder perParticipant(int connections) {
            this.perParticipant = Options.between("connectionsPerParticipant", 1, 64, connections);
            return this;
        }

        /**
         * @param require whether to refuse participants without AOF {@code appendfsync always} (their user then needs
         *     {@code CONFIG GET} too)
         * @return this builder
         */
        public Builder requireSyncedWrites(boolean require) {
            this.requireSyncedWrites = require;
            return this;
        }

        /** @return the options */
        public ConnectionOptions build() {
            return new ConnectionOptions(this);
        }
    }
}
