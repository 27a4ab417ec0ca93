package io.redtx.api;

import java.time.Duration;
import java.util.Objects;

/**
 * The time limits of a {@link TransactionRuntime}: of each prepare leg, of the commit, of a read, of a read's wait for
 * another transaction's write intent to settle, of making a connection and of a whole transaction. Immutable; build with {@link #builder()}, or change a runtime's through
 * {@link RuntimeOptions.Builder#timeouts(java.util.function.Consumer)}. Every setter validates at once and names the
 * field and the bad value.
 *
 * <pre>{@code
 * RuntimeOptions.builder()
 *         .participant("orders", "redis://orders-host:6379")
 *         .timeouts(t -> t.commit(Duration.ofSeconds(1)).transaction(Duration.ofSeconds(10)))
 *         .build();
 * }</pre>
 */
public final class TimeoutOptions {

    /** Default limit of each prepare leg. */
    public static final Duration DEFAULT_PREPARE_TIMEOUT = Duration.ofSeconds(2);
    /** Default limit of the one-phase script, of the commit point and of each secondary roll-forward. */
    public static final Duration DEFAULT_COMMIT_TIMEOUT = Duration.ofSeconds(2);
    /** Default limit of one read through the handle. */
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(2);
    /** Default limit of a read's wait for another transaction's write intent on its key to settle. */
    public static final Duration DEFAULT_INTENT_WAIT = Duration.ofSeconds(2);
    /** Default limit of making a connection to a participant (TCP, TLS, handshake, script loading). */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** Default limit of a whole transaction, retries included. */
    public static final Duration DEFAULT_TRANSACTION_TIMEOUT = Duration.ofSeconds(30);

    private static final TimeoutOptions DEFAULTS = builder().build();

    private final Duration prepare;
    private final Duration commit;
    private final Duration read;
    private final Duration intentWait;
    private final Duration connect;
    private final Duration transaction;

    private TimeoutOptions(Builder b) {
        this.prepare = b.prepare;
        this.commit = b.commit;
        this.read = b.read;
        this.intentWait = b.intentWait;
        this.connect = b.connect;
        this.transaction = b.transaction;
    }

    /** @return the default timeouts, every one its {@code DEFAULT_*} constant */
    public static TimeoutOptions defaults() {
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

    /** @return limit of each prepare leg (default {@link #DEFAULT_PREPARE_TIMEOUT}, 2 s) */
    public Duration prepare() {
        return prepare;
    }

    /**
     * @return limit of the one-phase script, the commit point and each secondary roll-forward (default
     *     {@link #DEFAULT_COMMIT_TIMEOUT}, 2 s)
     */
    public Duration commit() {
        return commit;
    }

    /** @return limit of one read through a transaction handle (default {@link #DEFAULT_READ_TIMEOUT}, 2 s) */
    public Duration read() {
        return read;
    }

    /**
     * @return how long a read that meets another transaction's write intent on its key waits for that intent to
     *     settle, then reads again (default {@link #DEFAULT_INTENT_WAIT}, 2 s); past it the intent is a conflict, as
     *     for a writer. {@link Duration#ZERO}: no wait, the conflict at once. A reader holds no locks, so its wait
     *     blocks no one; it is woken when the intent settles (or its writer's lease ends), not by polling
     */
    public Duration intentWait() {
        return intentWait;
    }

    /**
     * @return limit of making a connection (default {@link #DEFAULT_CONNECT_TIMEOUT}, 10 s); it does not count
     *     against the timeout of the command that needed the connection
     */
    public Duration connect() {
        return connect;
    }

    /**
     * @return limit of a whole transaction including retries (default {@link #DEFAULT_TRANSACTION_TIMEOUT}, 30 s); a
     *     transaction's own {@link TransactionOptions#timeout()} replaces it
     */
    public Duration transaction() {
        return transaction;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TimeoutOptions t
                && prepare.equals(t.prepare)
                && commit.equals(t.commit)
                && read.equals(t.read)
                && intentWait.equals(t.intentWait)
                && connect.equals(t.connect)
                && transaction.equals(t.transaction);
    }

    @Override
    public int hashCode() {
        return Objects.hash(prepare, commit, read, intentWait, connect, transaction);
    }

    @Override
    public String toString() {
        return "TimeoutOptions{prepare=" + Durations.text(prepare) + ", commit=" + Durations.text(commit) + ", read="
                + Durations.text(read) + ", intentWait=" + Durations.text(intentWait) + ", connect="
                + Durations.text(connect) + ", transaction="
                + Durations.text(transaction) + "}";
    }

    /**
     * Builds {@link TimeoutOptions}; every setter validates its argument at once. The messages name each setting by
     * its full name ({@code prepareTimeout}, {@code commitTimeout}, ...), which says which timeout it is wherever the
     * message is read.
     */
    public static final class Builder {
        private Duration prepare = DEFAULT_PREPARE_TIMEOUT;
        private Duration commit = DEFAULT_COMMIT_TIMEOUT;
        private Duration read = DEFAULT_READ_TIMEOUT;
        private Duration intentWait = DEFAULT_INTENT_WAIT;
        private Duration connect = DEFAULT_CONNECT_TIMEOUT;
        private Duration transaction = DEFAULT_TRANSACTION_TIMEOUT;

        private Builder() {}

        private Builder(TimeoutOptions o) {
            prepare = o.prepare;
            commit = o.commit;
            read = o.read;
            intentWait = o.intentWait;
            connect = o.connect;
            transaction = o.transaction;
        }

        /**
         * @param timeout limit of each prepare leg, positive
         * @return this builder
         * @throws IllegalArgumentException if {@code timeout} is null, zero or negative ({@code prepareTimeout must
         *     be positive, was 0 ms})
         */
        public Builder prepare(Duration timeout) {
            this.prepare = Options.positive("prepareTimeout", timeout);
            return this;
        }

        /**
         * @param timeout limit of the one-phase script, commit point and each secondary, positive
         * @return this builder
         * @throws IllegalArgumentException if {@code timeout} is null, zero or negative (named {@code commitTimeout})
         */
        public Builder commit(Duration timeout) {
            this.commit = Options.positive("commitTimeout", timeout);
            return this;
        }

        /**
         * @param timeout limit of one read, positive
         * @return this builder
         * @throws IllegalArgumentException if {@code timeout} is null, zero or negative (named {@code readTimeout})
         */
        public Builder read(Duration timeout) {
            this.read = Options.positive("readTimeout", timeout);
            return this;
        }

        /**
         * @param wait how long a read waits for another transaction's write intent on its key to settle, zero or
         *     positive ({@link Duration#ZERO}: the conflict at once)
         * @return this builder
         * @throws IllegalArgumentException if {@code wait} is null or negative (named {@code intentWait})
         */
        public Builder intentWait(Duration wait) {
            this.intentWait = Options.nonNegative("intentWait", wait);
            return this;
        }

        /**
         * @param timeout limit of making a connection, positive
         * @return this builder
         * @throws IllegalArgumentException if {@code timeout} is null, zero or negative (named {@code connectTimeout})
         */
        public Builder connect(Duration timeout) {
            this.connect = Options.positive("connectTimeout", timeout);
            return this;
        }

        /**
         * @param timeout limit of a whole transaction including retries, positive
         * @return this builder
         * @throws IllegalArgumentException if {@code timeout} is null, zero or negative (named
         *     {@code transactionTimeout})
         */
        public Builder transaction(Duration timeout) {
            this.transaction = Options.positive("transactionTimeout", timeout);
            return this;
        }

        /** @return the options */
        public TimeoutOptions build() {
            return new TimeoutOptions(this);
        }
    }
}
