package io.redtx.api.message;

import io.redtx.api.Durations;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What a consumer reads and how: the stream and its consumer group, the consumer's name, batch and polling, when
 * entries left pending by another consumer are reclaimed, when a message goes to the dead-letter stream. Immutable;
 * build with {@link #builder(String, String)}. Every setter validates at once and names the field and the bad value
 * ({@link IllegalArgumentException}); the stream and participant are checked against the runtime when a consumer is
 * made.
 *
 * <pre>{@code
 * ConsumerOptions options = ConsumerOptions.builder("orders", "stock-updater")
 *         .participant("eu")
 *         .createGroup(true)
 *         .build();
 * }</pre>
 */
public final class ConsumerOptions {

    /** Default most entries one read returns (fewer when less is requested). */
    public static final int DEFAULT_BATCH_SIZE = 64;
    /** Largest accepted batch size. */
    public static final int MAX_BATCH_SIZE = 10_000;
    /** Default pause after a read that found nothing, before the next. */
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofMillis(100);
    /** Default idle time after which another consumer's pending entry is reclaimed. */
    public static final Duration DEFAULT_CLAIM_IDLE = Duration.ofSeconds(30);
    /** Default most deliveries of one entry; one more goes to the dead-letter stream instead. */
    public static final int DEFAULT_MAX_DELIVERIES = 5;
    /** Default most deliveries handled at once by {@code consumeTransactionally}. */
    public static final int DEFAULT_CONCURRENCY = 16;
    /** Default time a processed marker is kept (see {@link #processedRetention()}). */
    public static final Duration DEFAULT_PROCESSED_RETENTION = Duration.ofHours(24);
    /** The suffix of the default dead-letter stream's key. */
    public static final String DEAD_LETTER_SUFFIX = ":dead";

    private final String stream;
    private final String group;
    private final String participant;
    private final String consumer;
    private final int batchSize;
    private final Duration pollInterval;
    private final Duration claimIdle;
    private final int maxDeliveries;
    private final String deadLetterStream;
    private final boolean createGroup;
    private final int concurrency;
    private final Duration processedRetention;

    private ConsumerOptions(Builder b) {
        this.stream = b.stream;
        this.group = b.group;
        this.participant = b.participant;
        this.consumer = b.consumer;
        this.batchSize = b.batchSize;
        this.pollInterval = b.pollInterval;
        this.claimIdle = b.claimIdle;
        this.maxDeliveries = b.maxDeliveries;
        this.deadLetterStream = b.deadLetterStream;
        this.createGroup = b.createGroup;
        this.concurrency = b.concurrency;
        this.processedRetention = b.processedRetention;
    }

    /**
     * @param stream the stream's key: non-empty
     * @param group the consumer group: non-empty
     * @return a builder with every other default set
     */
    public static Builder builder(String stream, String group) {
        return new Builder(stream, group);
    }

    /** @return a builder holding these options, to derive a changed copy */
    public Builder mutate() {
        return new Builder(this);
    }

    /** @return the stream's key */
    public String stream() {
        return stream;
    }

    /** @return the consumer group */
    public String group() {
        return group;
    }

    /**
     * @return the participant holding the stream; empty (the default) to place it by its key with the runtime's key
     *     router, as {@link io.redtx.api.Transaction#routed()} places a key
     */
    public Optional<String> participant() {
        return Optional.ofNullable(participant);
    }

    /**
     * @return the consumer's name in the group; empty (the default) for a new unique name per subscription. A name
     *     kept across restarts lets a restarted consumer find its own pending entries at once rather than after
     *     {@link #claimIdle()}
     */
    public Optional<String> consumer() {
        return Optional.ofNullable(consumer);
    }

    /** @return the most entries one read returns, fewer when less is requested (default {@link #DEFAULT_BATCH_SIZE}) */
    public int batchSize() {
        return batchSize;
    }

    /**
     * @return the pause after a read that found nothing: how late an idle consumer can notice a new entry (default
     *     {@link #DEFAULT_POLL_INTERVAL})
     */
    public Duration pollInterval() {
        return pollInterval;
    }

    /**
     * @return how long an entry stays pending, unacknowledged, before a consumer reclaims it ({@code XAUTOCLAIM}) and
     *     delivers it again; {@link Duration#ZERO} never reclaims (default {@link #DEFAULT_CLAIM_IDLE})
     */
    public Duration claimIdle() {
        return claimIdle;
    }

    /**
     * @return the most deliveries of one entry: a reclaimed entry delivered this many times already goes to
     *     {@link #deadLetterStream()} and is acknowledged, not delivered; 0 never dead-letters (default
     *     {@link #DEFAULT_MAX_DELIVERIES})
     */
    public int maxDeliveries() {
        return maxDeliveries;
    }

    /**
     * @return the dead-letter stream's key: by default the stream's key with {@link #DEAD_LETTER_SUFFIX}. On a
     *     Redis Cluster it must hash to the stream's slot (give the stream a hash tag, {@code {orders}}), so that one
     *     script moves an entry there and acknowledges it
     */
    public String deadLetterStream() {
        return deadLetterStream != null ? deadLetterStream : stream + DEAD_LETTER_SUFFIX;
    }

    /**
     * @return whether the consumer creates the group when it does not exist, reading the stream from its first entry
     *     (and the stream, empty, if it does not exist either); when false (the default) a missing group fails the
     *     consumer with {@link NoSuchGroupException}
     */
    public boolean createGroup() {
        return createGroup;
    }

    /**
     * @return the most deliveries {@code consumeTransactionally} handles at once, each in its own transaction; it never
     *     reads more than that ahead (default {@link #DEFAULT_CONCURRENCY})
     */
    public int concurrency() {
        return concurrency;
    }

    /**
     * @return how long {@code consumeTransactionally} keeps the marker that a message was processed. A message is
     *     delivered again only while pending, and its acknowledgement commits with the marker, so the marker only has
     *     to outlive handlers that took the message before that commit: the default, {@link
     *     #DEFAULT_PROCESSED_RETENTION}, leaves a wide margin
     */
    public Duration processedRetention() {
        return processedRetention;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConsumerOptions other
                && stream.equals(other.stream)
                && group.equals(other.group)
                && Objects.equals(participant, other.participant)
                && Objects.equals(consumer, other.consumer)
                && batchSize == other.batchSize
                && pollInterval.equals(other.pollInterval)
                && claimIdle.equals(other.claimIdle)
                && maxDeliveries == other.maxDeliveries
                && deadLetterStream().equals(other.deadLetterStream())
                && createGroup == other.createGroup
                && concurrency == other.concurrency
                && processedRetention.equals(other.processedRetention);
    }

    @Override
    public int hashCode() {
        return Objects.hash(stream, group, participant, consumer, batchSize, claimIdle, maxDeliveries, concurrency);
    }

    @Override
    public String toString() {
        return "ConsumerOptions{stream=" + stream + ", group=" + group + ", participant="
                + (participant == null ? "(routed)" : participant) + ", consumer="
                + (consumer == null ? "(unique)" : consumer) + ", batchSize=" + batchSize + ", pollInterval="
                + Durations.text(pollInterval) + ", claimIdle=" + Durations.text(claimIdle) + ", maxDeliveries="
                + maxDeliveries + ", deadLetterStream=" + deadLetterStream() + ", createGroup=" + createGroup
                + ", concurrency=" + concurrency + ", processedRetention=" + Durations.text(processedRetention) + "}";
    }

    /** Builds {@link ConsumerOptions}. */
    public static final class Builder {
        private final String stream;
        private final String group;
        private String participant;
        private String consumer;
        private int batchSize = DEFAULT_BATCH_SIZE;
        private Duration pollInterval = DEFAULT_POLL_INTERVAL;
        private Duration claimIdle = DEFAULT_CLAIM_IDLE;
        private int maxDeliveries = DEFAULT_MAX_DELIVERIES;
        private String deadLetterStream;
        private boolean createGroup;
        private int concurrency = DEFAULT_CONCURRENCY;
        private Duration processedRetention = DEFAULT_PROCESSED_RETENTION;

        private Builder(String stream, String group) {
            this.stream = nonEmpty("stream", stream);
            this.group = nonEmpty("group", group);
        }

        private Builder(ConsumerOptions o) {
            stream = o.stream;
            group = o.group;
            participant = o.participant;
            consumer = o.consumer;
            batchSize = o.batchSize;
            pollInterval = o.pollInterval;
            claimIdle = o.claimIdle;
            maxDeliveries = o.maxDeliveries;
            deadLetterStream = o.deadLetterStream;
            createGroup = o.createGroup;
            concurrency = o.concurrency;
            processedRetention = o.processedRetention;
        }

        private static String nonEmpty(String field, String value) {
            if (value == null || value.isEmpty()) {
                throw new IllegalArgumentException(field + " must not be null or empty");
            }
            return value;
        }

        /**
         * @param participant the participant holding the stream (checked against the runtime's participants when the
         *     consumer is made); null to place the stream by its key (the default)
         * @return this builder
         */
        public Builder participant(String participant) {
            if (participant != null && participant.isEmpty()) {
                throw new IllegalArgumentException("participant must not be empty (null places the stream by its key)");
            }
            this.participant = participant;
            return this;
        }

        /**
         * @param consumer the consumer's name in the group; null for a new unique name per subscription (the default)
         * @return this builder
         */
        public Builder consumer(String consumer) {
            if (consumer != null && consumer.isEmpty()) {
                throw new IllegalArgumentException("consumer must not be empty (null makes a unique name)");
            }
            this.consumer = consumer;
            return this;
        }

        /**
         * @param batchSize 1 to {@link #MAX_BATCH_SIZE}
         * @return this builder
         */
        public Builder batchSize(int batchSize) {
            if (batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
                throw new IllegalArgumentException(
                        "batchSize must be between 1 and " + MAX_BATCH_SIZE + ", was " + batchSize);
            }
            this.batchSize = batchSize;
            return this;
        }

        /**
         * @param pollInterval positive
         * @return this builder
         */
        public Builder pollInterval(Duration pollInterval) {
            if (pollInterval == null || pollInterval.isNegative() || pollInterval.isZero()) {
                throw new IllegalArgumentException(
                        "pollInterval must be positive, was " + Durations.text(pollInterval));
            }
            this.pollInterval = pollInterval;
            return this;
        }

        /**
         * @param claimIdle positive, or {@link Duration#ZERO} never to reclaim
         * @return this builder
         */
        public Builder claimIdle(Duration claimIdle) {
            if (claimIdle == null || claimIdle.isNegative()) {
                throw new IllegalArgumentException(
                        "claimIdle must be zero (never reclaim) or positive, was " + Durations.text(claimIdle));
            }
            this.claimIdle = claimIdle;
            return this;
        }

        /**
         * @param maxDeliveries at least 1, or 0 never to dead-letter
         * @return this builder
         */
        public Builder maxDeliveries(int maxDeliveries) {
            if (maxDeliveries < 0) {
                throw new IllegalArgumentException(
                        "maxDeliveries must be 0 (never dead-letter) or positive, was " + maxDeliveries);
            }
            this.maxDeliveries = maxDeliveries;
            return this;
        }

        /**
         * @param deadLetterStream the dead-letter stream's key, other than the stream's; null for the default
         * @return this builder
         */
        public Builder deadLetterStream(String deadLetterStream) {
            if (deadLetterStream != null && (deadLetterStream.isEmpty() || deadLetterStream.equals(stream))) {
                throw new IllegalArgumentException(
                        "deadLetterStream must be non-empty and not the stream itself, was '" + deadLetterStream + "'");
            }
            this.deadLetterStream = deadLetterStream;
            return this;
        }

        /**
         * @param createGroup whether to create a missing group (default false)
         * @return this builder
         */
        public Builder createGroup(boolean createGroup) {
            this.createGroup = createGroup;
            return this;
        }

        /**
         * @param concurrency 1 to 1024
         * @return this builder
         */
        public Builder concurrency(int concurrency) {
            if (concurrency < 1 || concurrency > 1024) {
                throw new IllegalArgumentException("concurrency must be between 1 and 1024, was " + concurrency);
            }
            this.concurrency = concurrency;
            return this;
        }

        /**
         * @param processedRetention at least one second
         * @return this builder
         */
        public Builder processedRetention(Duration processedRetention) {
            if (processedRetention == null || processedRetention.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException(
                        "processedRetention must be at least 1 s, was " + Durations.text(processedRetention));
            }
            this.processedRetention = processedRetention;
            return this;
        }

        /** @return the options */
        public ConsumerOptions build() {
            return new ConsumerOptions(this);
        }
    }
}
