package io.redtx.relay.rabbitmq;

import java.util.Objects;
import java.util.Optional;

/**
 * One stream entry that the broker confirmed and the relay then acknowledged in the consumer group.
 *
 * @param participant the participant holding the stream
 * @param stream the stream's key
 * @param entryId the entry's id in the stream
 * @param messageId the AMQP {@code messageId} it was published with (see {@link RabbitRelay#messageId})
 * @param transactionId the id of the transaction that published it, or {@code null} for an entry added otherwise
 * @param routingKey the routing key it was published with
 */
public record RelayedMessage(
        String participant, String stream, String entryId, String messageId, String transactionId, String routingKey) {

    /**
     * Checks the required components.
     *
     * @param participant the participant holding the stream
     * @param stream the stream's key
     * @param entryId the entry's id in the stream
     * @param messageId the AMQP {@code messageId}
     * @param transactionId the publishing transaction's id, or {@code null}
     * @param routingKey the routing key
     */
    public RelayedMessage {
        Objects.requireNonNull(participant, "participant");
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(entryId, "entryId");
        Objects.requireNonNull(messageId, "messageId");
        Objects.requireNonNull(routingKey, "routingKey");
    }

    /** @return the id of the transaction that published the message, empty for an entry added otherwise */
    public Optional<String> transaction() {
        return Optional.ofNullable(transactionId);
    }
}
