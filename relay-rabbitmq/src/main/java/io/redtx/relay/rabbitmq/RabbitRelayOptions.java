package io.redtx.relay.rabbitmq;

import io.redtx.api.Durations;
import io.redtx.api.message.ConsumerOptions;
import io.redtx.api.message.Delivery;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;

/**
 * What a {@link RabbitRelay} reads and where it publishes: the consumer group to read the outbox stream with, the
 * exchange and routing key, how many messages may wait for their confirm at once, how long a confirm may take, and how
 * failed publishes are retried. Immutable; build with {@link #builder(ConsumerOptions, String)}. Every setter
 * validates at once and names the field and the bad value ({@link IllegalArgumentException}).
 *
 * <pre>{@code
 * RabbitRelayOptions options = RabbitRelayOptions.builder(
 *                 ConsumerOptions.builder("orders", "rabbit-relay").createGroup(true).build(), "orders")
 *         .routingKey(delivery -> delivery.fields().getOrDefault("type", "order"))
 *         .maxInFlight(128)
 *         .build();
 * }</pre>
 */
public final class RabbitRelayOptions {

    /** Default most messages published and not yet confirmed at once. */
    public static final int DEFAULT_MAX_IN_FLIGHT = 256;
    /** Largest accepted {@link #maxInFlight()}. */
    public static final int MAX_IN_FLIGHT_LIMIT = 65_535;
    /** Default time the broker has to confirm one message. */
    public static final Duration DEFAULT_CONFIRM_TIMEOUT = Duration.ofSeconds(30);
    /** Default first pause before a failed publish is retried, and before reconnecting after a failed connect. */
    public static final Duration DEFAULT_MIN_BACKOFF = Duration.ofMillis(100);
    /** Default longest pause between retries (the pause doubles from {@link #DEFAULT_MIN_BACKOFF} up to it). */
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(10);
    /** Default most attempts to publish one message: unlimited. */
    public static final long DEFAULT_MAX_ATTEMPTS = Long.MAX_VALUE;
    /** Default stream field whose value becomes the message body. */
    public static final String DEFAULT_BODY_FIELD = "body";

    private final ConsumerOptions consumer;
    private final String exchange;
    private final Function<Delivery, String> routingKey;
    private final String fixedRoutingKey;
    private final int maxInFlight;
    private final Duration confirmTimeout;
    private final boolean persistent;
    private final Duration minBackoff;
    private final Duration maxBackoff;
    private final long maxAttempts;
    private final String bodyField;
    private final String contentType;

    private RabbitRelayOptions(Builder b) {
        this.consumer = b.consumer;
        this.exchange = b.exchange;
        this.routingKey = b.routingKey;
        this.fixedRoutingKey = b.fixedRoutingKey;
        this.maxInFlight = b.maxInFlight;
        this.confirmTimeout = b.confirmTimeout;
        this.persistent = b.persistent;
        this.minBackoff = b.minBackoff;
        this.maxBackoff = b.maxBackoff;
        this.maxAttempts = b.maxAttempts;
        this.bodyField = b.bodyField;
        this.contentType = b.contentType;
    }

    /**
     * @param consumer the consumer group to read the outbox stream with: its {@link ConsumerOptions#claimIdle()} is
     *     how soon an entry left unacknowledged (the relay died, or gave up on it) is relayed again
     * @param exchange the exchange to publish to; {@code ""} for the broker's default exchange (the routing key then
     *     names a queue)
     * @return a builder with every other default set
     */
    public static Builder builder(ConsumerOptions consumer, String exchange) {
        return new Builder(consumer, exchange);
    }

    /** @return a builder holding these options, to derive a changed copy */
    public Builder mutate() {
        return new Builder(this);
    }

    /** @return the consumer group the stream is read with */
    public ConsumerOptions consumer() {
        return consumer;
    }

    /** @return the exchange; {@code ""} for the default exchange */
    public String exchange() {
        return exchange;
    }

    /**
     * @return the routing key of each delivery: by default the stream's key, or the fixed key or function given to
     *     {@link Builder#routingKey(String)} / {@link Builder#routingKey(Function)}
     */
    public Function<Delivery, String> routingKey() {
        return routingKey;
    }

    /**
     * @return the most messages published and not yet confirmed at once: the relay reads no further ahead in the
     *     stream than that (default {@link #DEFAULT_MAX_IN_FLIGHT})
     */
    public int maxInFlight() {
        return maxInFlight;
    }

    /**
     * @return how long the broker has to confirm one message; past it the message counts as not confirmed and is
     *     published again, with the same {@code messageId} (default {@link #DEFAULT_CONFIRM_TIMEOUT})
     */
    public Duration confirmTimeout() {
        return confirmTimeout;
    }

    /**
     * @return whether messages are published persistent ({@code deliveryMode} 2), so that a durable queue keeps them
     *     across a broker restart (default true)
     */
    public boolean persistent() {
        return persistent;
    }

    /** @return the first pause before a failed publish is retried or a failed connect is tried again */
    public Duration minBackoff() {
        return minBackoff;
    }

    /** @return the longest pause between retries */
    public Duration maxBackoff() {
        return maxBackoff;
    }

    /**
     * @return the most attempts to publish one message before the relay ends with {@link RabbitRelayPublishException}
     *     (default {@link #DEFAULT_MAX_ATTEMPTS}: the relay keeps trying, for example through a broker restart, until
     *     cancelled)
     */
    public long maxAttempts() {
        return maxAttempts;
    }

    /**
     * @return the stream field whose value (UTF-8) is the message body, an empty body when the entry has no such field
     *     (default {@link #DEFAULT_BODY_FIELD}); every other field becomes a header of the same name
     */
    public String bodyField() {
        return bodyField;
    }

    /** @return the AMQP {@code contentType} of every message, or {@code null} (the default) for none */
    public String contentType() {
        return contentType;
    }

    @Override
    public String toString() {
        return "RabbitRelayOptions{consumer=" + consumer + ", exchange='" + exchange + "', routingKey="
                + (fixedRoutingKey != null ? "'" + fixedRoutingKey + "'" : "(function)") + ", maxInFlight="
                + maxInFlight + ", confirmTimeout=" + Durations.text(confirmTimeout) + ", persistent=" + persistent
                + ", minBackoff=" + Durations.text(minBackoff) + ", maxBackoff=" + Durations.text(maxBackoff)
                + ", maxAttempts=" + (maxAttempts == Long.MAX_VALUE ? "unlimited" : String.valueOf(maxAttempts))
                + ", bodyField=" + bodyField + ", contentType=" + contentType + "}";
    }

    /** Builds {@link RabbitRelayOptions}. */
    public static final class Builder {
        private final ConsumerOptions consumer;
        private final String exchange;
        private Function<Delivery, String> routingKey = Delivery::stream;
        private String fixedRoutingKey;
        private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
        private Duration confirmTimeout = DEFAULT_CONFIRM_TIMEOUT;
        private boolean persistent = true;
        private Duration minBackoff = DEFAULT_MIN_BACKOFF;
        private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
        private long maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private String bodyField = DEFAULT_BODY_FIELD;
        private String contentType;

        private Builder(ConsumerOptions consumer, String exchange) {
            if (consumer == null) {
                throw new IllegalArgumentException("consumer must not be null");
            }
            if (exchange == null) {
                throw new IllegalArgumentException("exchange must not be null (\"\" is the default exchange)");
            }
            this.consumer = consumer;
            this.exchange = exchange;
        }

        private Builder(RabbitRelayOptions o) {
            consumer = o.consumer;
            exchange = o.exchange;
            routingKey = o.routingKey;
            fixedRoutingKey = o.fixedRoutingKey;
            maxInFlight = o.maxInFlight;
            confirmTimeout = o.confirmTimeout;
            persistent = o.persistent;
            minBackoff = o.minBackoff;
            maxBackoff = o.maxBackoff;
            maxAttempts = o.maxAttempts;
            bodyField = o.bodyField;
            contentType = o.contentType;
        }

        /**
         * @param routingKey the routing key of every message: not null, may be empty
         * @return this builder
         */
        public Builder routingKey(String routingKey) {
            if (routingKey == null) {
                throw new IllegalArgumentException("routingKey must not be null");
            }
            this.routingKey = delivery -> routingKey;
            this.fixedRoutingKey = routingKey;
            return this;
        }

        /**
         * @param routingKey the routing key of each delivery; a function that throws or returns null ends the relay
         *     with that error (the delivery stays pending)
         * @return this builder
         */
        public Builder routingKey(Function<Delivery, String> routingKey) {
            if (routingKey == null) {
                throw new IllegalArgumentException("routingKey function must not be null");
            }
            this.routingKey = routingKey;
            this.fixedRoutingKey = null;
            return this;
        }

        /**
         * @param maxInFlight 1 to {@link #MAX_IN_FLIGHT_LIMIT}
         * @return this builder
         */
        public Builder maxInFlight(int maxInFlight) {
            if (maxInFlight < 1 || maxInFlight > MAX_IN_FLIGHT_LIMIT) {
                throw new IllegalArgumentException(
                        "maxInFlight must be between 1 and " + MAX_IN_FLIGHT_LIMIT + ", was " + maxInFlight);
            }
            this.maxInFlight = maxInFlight;
            return this;
        }

        /**
         * @param confirmTimeout positive
         * @return this builder
         */
        public Builder confirmTimeout(Duration confirmTimeout) {
            if (confirmTimeout == null || confirmTimeout.isNegative() || confirmTimeout.isZero()) {
                throw new IllegalArgumentException(
                        "confirmTimeout must be positive, was " + Durations.text(confirmTimeout));
            }
            this.confirmTimeout = confirmTimeout;
            return this;
        }

        /**
         * @param persistent whether messages are published persistent (default true)
         * @return this builder
         */
        public Builder persistent(boolean persistent) {
            this.persistent = persistent;
            return this;
        }

        /**
         * @param minBackoff the first pause between retries, positive
         * @param maxBackoff the longest pause, at least {@code minBackoff}
         * @return this builder
         */
        public Builder backoff(Duration minBackoff, Duration maxBackoff) {
            if (minBackoff == null || minBackoff.isNegative() || minBackoff.isZero()) {
                throw new IllegalArgumentException("minBackoff must be positive, was " + Durations.text(minBackoff));
            }
            if (maxBackoff == null || maxBackoff.compareTo(minBackoff) < 0) {
                throw new IllegalArgumentException("maxBackoff must be at least minBackoff ("
                        + Durations.text(minBackoff) + "), was " + Durations.text(maxBackoff));
            }
            this.minBackoff = minBackoff;
            this.maxBackoff = maxBackoff;
            return this;
        }

        /**
         * @param maxAttempts at least 1; {@link Long#MAX_VALUE} (the default) to keep trying until cancelled
         * @return this builder
         */
        public Builder maxAttempts(long maxAttempts) {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
            }
            this.maxAttempts = maxAttempts;
            return this;
        }

        /**
         * @param bodyField the stream field holding the message body: non-empty
         * @return this builder
         */
        public Builder bodyField(String bodyField) {
            if (bodyField == null || bodyField.isEmpty()) {
                throw new IllegalArgumentException("bodyField must not be null or empty");
            }
            this.bodyField = bodyField;
            return this;
        }

        /**
         * @param contentType the AMQP {@code contentType} of every message, or null for none (the default)
         * @return this builder
         */
        public Builder contentType(String contentType) {
            if (contentType != null && contentType.isEmpty()) {
                throw new IllegalArgumentException("contentType must not be empty (null sets none)");
            }
            this.contentType = contentType;
            return this;
        }

        /** @return the options */
        public RabbitRelayOptions build() {
            return new RabbitRelayOptions(this);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RabbitRelayOptions other
                && consumer.equals(other.consumer)
                && exchange.equals(other.exchange)
                && routingKey.equals(other.routingKey)
                && Objects.equals(fixedRoutingKey, other.fixedRoutingKey)
                && maxInFlight == other.maxInFlight
                && confirmTimeout.equals(other.confirmTimeout)
                && persistent == other.persistent
                && minBackoff.equals(other.minBackoff)
                && maxBackoff.equals(other.maxBackoff)
                && maxAttempts == other.maxAttempts
                && bodyField.equals(other.bodyField)
                && Objects.equals(contentType, other.contentType);
    }

    @Override
    public int hashCode() {
        return Objects.hash(consumer, exchange, fixedRoutingKey, maxInFlight, confirmTimeout, persistent, bodyField);
    }
}
