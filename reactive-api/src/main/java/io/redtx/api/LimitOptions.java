package io.redtx.api;

import java.util.Objects;

/**
 * The size limits of each transaction of a {@link TransactionRuntime}: the largest value a write accepts and the
 * largest number of distinct keys one transaction may touch. A write beyond them fails with
 * {@link RedtxArgumentException} and buffers nothing. Immutable; build with {@link #builder()}, or change a runtime's
 * through {@link RuntimeOptions.Builder#limits(java.util.function.Consumer)}. Every setter validates at once and names
 * the field and the bad value.
 *
 * <pre>{@code
 * RuntimeOptions.builder()
 *         .participant("orders", "redis://orders-host:6379")
 *         .limits(l -> l.maxValueBytes(64 * 1024).maxKeysPerTransaction(100))
 *         .build();
 * }</pre>
 */
public final class LimitOptions {

    /** Default largest value (UTF-8 bytes) accepted by a write. */
    public static final int DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;
    /** Default largest number of distinct keys one transaction may touch. */
    public static final int DEFAULT_MAX_KEYS_PER_TRANSACTION = 1000;

    private static final LimitOptions DEFAULTS = builder().build();

    private final int maxValueBytes;
    private final int maxKeysPerTransaction;

    private LimitOptions(Builder b) {
        this.maxValueBytes = b.maxValueBytes;
        this.maxKeysPerTransaction = b.maxKeysPerTransaction;
    }

    /** @return the default limits, every one its {@code DEFAULT_*} constant */
    public static LimitOptions defaults() {
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

    /** @return largest accepted value, in UTF-8 bytes (default {@link #DEFAULT_MAX_VALUE_BYTES}, 1 MiB) */
    public int maxValueBytes() {
        return maxValueBytes;
    }

    /**
     * @return largest number of distinct keys one transaction may read or write (default
     *     {@link #DEFAULT_MAX_KEYS_PER_TRANSACTION}, 1000)
     */
    public int maxKeysPerTransaction() {
        return maxKeysPerTransaction;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LimitOptions l
                && maxValueBytes == l.maxValueBytes
                && maxKeysPerTransaction == l.maxKeysPerTransaction;
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxValueBytes, maxKeysPerTransaction);
    }

    @Override
    public String toString() {
        return "LimitOptions{maxValueBytes=" + maxValueBytes + ", maxKeysPerTransaction=" + maxKeysPerTransaction + "}";
    }

    /** Builds {@link LimitOptions}; every setter validates its argument at once. */
    public static final class Builder {
        private int maxValueBytes = DEFAULT_MAX_VALUE_BYTES;
        private int maxKeysPerTransaction = DEFAULT_MAX_KEYS_PER_TRANSACTION;

        private Builder() {}

        private Builder(LimitOptions o) {
            maxValueBytes = o.maxValueBytes;
            maxKeysPerTransaction = o.maxKeysPerTransaction;
        }

        /**
         * @param bytes largest accepted value in UTF-8 bytes, at least 1
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is below 1
         */
        public Builder maxValueBytes(int bytes) {
            this.maxValueBytes = Options.atLeast("maxValueBytes", 1, bytes);
            return this;
        }

        /**
         * @param keys largest number of distinct keys per transaction, 1 to 5000 (bounded by Lua's stack)
         * @return this builder
         * @throws IllegalArgumentException if {@code keys} is outside 1 to 5000
         */
        public Builder maxKeysPerTransaction(int keys) {
            this.maxKeysPerTransaction = Options.between("maxKeysPerTransaction", 1, 5000, keys);
            return this;
        }

        /** @return the options */
        public LimitOptions build() {
            return new LimitOptions(this);
        }
    }
}
