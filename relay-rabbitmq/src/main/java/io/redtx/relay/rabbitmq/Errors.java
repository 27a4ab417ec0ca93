package io.redtx.relay.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AuthenticationFailureException;
import com.rabbitmq.client.Method;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/** Turns the RabbitMQ client's exceptions into the relay's two types: refused (final) or not confirmed (retried). */
final class Errors {

    /**
     * Reply codes after which publishing again cannot succeed until someone changes the broker: 402 invalid path
     * (virtual host), 403 access refused, 404 not found (the exchange), 406 precondition failed, 530 not allowed
     * (which some brokers, Qpid Broker-J among them, also close the connection with after a failed login).
     * Everything else, 320 connection forced (a broker shutting down) included, is worth retrying.
     */
    private static final Set<Integer> REFUSALS = Set.of(402, 403, 404, 406, 530);

    private Errors() {}

    static RuntimeException map(Throwable t, String exchange) {
        if (t instanceof RabbitRelayRefusedException || t instanceof RabbitRelayPublishException) {
            return (RuntimeException) t;
        }
        ShutdownSignalException shutdown = find(t, ShutdownSignalException.class);
        if (shutdown != null) {
            Method reason = shutdown.getReason();
            int code = 0;
            String text = null;
            if (reason instanceof AMQP.Channel.Close close) {
                code = close.getReplyCode();
                text = close.getReplyText();
            } else if (reason instanceof AMQP.Connection.Close close) {
                code = close.getReplyCode();
                text = close.getReplyText();
            }
            if (!shutdown.isInitiatedByApplication() && REFUSALS.contains(code)) {
                String what = reason instanceof AMQP.Connection.Close
                        ? "the broker refused the connection (for exchange '" + exchange + "'): "
                        : "the broker refused publishing to exchange '" + exchange + "': ";
                return new RabbitRelayRefusedException(exchange, code, what + code + " " + text, t);
            }
            return new RabbitRelayPublishException(
                    "the connection to the broker was lost"
                            + (code != 0 ? " (" + code + " " + text + ")" : ": " + shutdown.getMessage()),
                    t);
        }
        AuthenticationFailureException login = find(t, AuthenticationFailureException.class);
        if (login != null) {
            return new RabbitRelayRefusedException(
                    exchange, AMQP.ACCESS_REFUSED, "the broker refused the login: " + login.getMessage(), t);
        }
        if (t instanceof IOException || t instanceof TimeoutException) {
            return new RabbitRelayPublishException("cannot reach the broker: " + t, t);
        }
        if (t instanceof RuntimeException runtime) {
            return runtime;
        }
        return new RabbitRelayPublishException(String.valueOf(t), t);
    }

    private static <T extends Throwable> T find(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return null;
    }
}
