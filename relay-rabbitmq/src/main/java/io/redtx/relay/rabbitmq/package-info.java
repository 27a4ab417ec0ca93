/**
 * Forwards a redtx transactional outbox stream to a RabbitMQ exchange: {@link io.redtx.relay.rabbitmq.RabbitRelay}
 * reads a consumer group with {@link io.redtx.api.TransactionRuntime#consume}, publishes each entry with publisher
 * confirms and acknowledges the entry only once the broker confirmed it, so every committed message reaches the
 * exchange at least once, and a repeated one carries the same AMQP {@code messageId}. See docs/relay-rabbitmq.md.
 */
package io.redtx.relay.rabbitmq;
