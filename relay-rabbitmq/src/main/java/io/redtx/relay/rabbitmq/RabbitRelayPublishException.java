package io.redtx.relay.rabbitmq;

import io.redtx.api.RedtxTransientException;

/**
 * A message was not confirmed by the broker: the broker nacked it, no confirm came within {@link
 * RabbitRelayOptions#confirmTimeout()}, or the connection was lost or could not be made. The relay retries such a
 * message itself (with backoff, republishing it with the same {@code messageId}) up to {@link
 * RabbitRelayOptions#maxAttempts()} and ends with this exception only after the last attempt; the entry stays pending
 * in the consumer group, unacknowledged, so nothing is lost.
 */
public final class RabbitRelayPublishException extends RedtxTransientException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what happened
     * @param cause the client's exception, or {@code null}
     */
    public RabbitRelayPublishException(String message, Throwable cause) {
        super(message, null, cause);
    }
}
