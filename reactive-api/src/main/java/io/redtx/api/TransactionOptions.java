package io.redtx.api;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Options of one transaction, like Spring's {@code TransactionDefinition} or Redisson's {@code TransactionOptions}:
 * its time limit, its retry policy and whether it is read-only. What is not set is the runtime's
 * ({@link TimeoutOptions#transaction()}, {@link RuntimeOptions#retryPolicy()}, read-write). Immutable.
 *
 * <pre>{@code
 * TransactionOptions audit = TransactionOptions.builder()
 *         .readOnly(true)
 *         .timeout(Duration.ofSeconds(2))
 *         .retryPolicy(RetryPolicy.builder().maxAttempts(20).build())
 *         .build();
 * Mono<Long> total = runtime.inTransaction(audit, tx -> sumOfBalances(tx));
 * }</pre>
 */
public final class TransactionOptions {

    private static final TransactionOptions DEFAULTS = builder().build();

    private final Duration timeout;
    private final RetryPolicy retryPolicy;
    private final boolean readOnly;

    private TransactionOptions(Builder b) {
        this.timeout = b.timeout;
        this.retryPolicy = b.retryPolicy;
        this.readOnly = b.readOnly;
    }

    /** @return options that take everything from the runtime */
    public static TransactionOptions defaults() {
        return DEFAULTS;
    }

    /** @return a builder with nothing set */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * @return the limit of the whole transaction (admission wait, every attempt, backoffs), or empty for the runtime's
     *     {@link TimeoutOptions#transaction()}
     */
    public Optional<Duration> timeout() {
        return Optional.ofNullable(timeout);
    }

    /** @return the retries after a conflict, or empty for the runtime's {@link RuntimeOptions#retryPolicy()} */
    public Optional<RetryPolicy> retryPolicy() {
        return Optional.ofNullable(retryPolicy);
    }

    /**
     * @return whether the transaction only reads: every write of its handle ({@code set}, {@code setIfAbsent},
     *     {@code del}, {@code incrBy}, {@code decrBy}, {@code hset}, {@code hdel}, {@code hincrBy}) fails with
     *     {@link RedtxArgumentException} and buffers nothing; reads and conditions ({@code expect},
     *     {@code expectAbsent}) work as usual. Default false
     */
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TransactionOptions t
                && Objects.equals(timeout, t.timeout)
                && Objects.equals(retryPolicy, t.retryPolicy)
                && readOnly == t.readOnly;
    }

    @Override
    public int hashCode() {
        return Objects.hash(timeout, retryPolicy, readOnly);
    }

    @Override
    public String toString() {
        return "TransactionOptions{timeout=" + (timeout == null ? "runtime's" : Durations.text(timeout))
                + ", retryPolicy=" + (retryPolicy == null ? "runtime's" : retryPolicy) + ", readOnly=" + readOnly
                + "}";
    }

    /** Builds {@link TransactionOptions}; every setter validates its argument at once. */
    public static final class Builder {
        private Duration timeout;
        private RetryPolicy retryPolicy;
        private boolean readOnly;

        private Builder() {}

        /**
         * @param timeout the limit of the whole transaction, positive
         * @return this builder
         * @throws IllegalArgumentException if {@code timeout} is null, zero or negative
         */
        public Builder timeout(Duration timeout) {
            this.timeout = Options.positive("timeout", timeout);
            return this;
        }

        /**
         * @param retryPolicy the retries after a conflict, not null ({@link RetryPolicy#none()} for none)
         * @return this builder
         * @throws IllegalArgumentException if {@code retryPolicy} is null
         */
        public Builder retryPolicy(RetryPolicy retryPolicy) {
            if (retryPolicy == null) {
                throw new IllegalArgumentException("retryPolicy must not be null");
            }
            this.retryPolicy = retryPolicy;
            return this;
        }

        /**
         * @param readOnly whether the transaction refuses writes
         * @return this builder
         */
        public Builder readOnly(boolean readOnly) {
            this.readOnly = readOnly;
            return this;
        }

        /** @return the options */
        public TransactionOptions build() {
            return new TransactionOptions(this);
        }
    }
}
