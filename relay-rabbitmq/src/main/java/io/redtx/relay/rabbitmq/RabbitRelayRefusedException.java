package io.redtx.relay.rabbitmq;

import io.redtx.api.RedtxNonTransientException;

/**
 * The broker refused the relay in a way that retrying cannot fix: the exchange does not exist ({@code 404 NOT_FOUND}
 * closes the channel), the user may not write to it or log in ({@code 403 ACCESS_REFUSED}), or another hard error
 * the broker replied with. The relay stops with it; the message being published when it happened, and every one not
 * confirmed yet, stays pending in the consumer group, unacknowledged, and is relayed once the cause is fixed and the
 * relay subscribed again.
 */
public final class RabbitRelayRefusedException extends RedtxNonTransientException {

    private static final long serialVersionUID = 1L;

    private final int replyCode;
    private final String exchange;

    /**
     * @param exchange the exchange the relay publishes to
     * @param replyCode the AMQP reply code the broker closed the channel or connection with (403 for a failed login)
     * @param message what happened, with the broker's reply text
     * @param cause the client's exception
     */
    public RabbitRelayRefusedException(String exchange, int replyCode, String message, Throwable cause) {
        super(message, null, cause);
        this.replyCode = replyCode;
        this.exchange = exchange;
    }

    /** @return the AMQP reply code: 404 for a missing exchange, 403 for access refused */
    public int replyCode() {
        return replyCode;
    }

    /** @return the exchange the relay publishes to */
    public String exchange() {
        return exchange;
    }
}
