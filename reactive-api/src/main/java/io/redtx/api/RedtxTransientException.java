package io.redtx.api;

/**
 * A failure after which nothing of the transaction attempt is applied and a new attempt may succeed: conflicts,
 * timeouts before the commit point, unavailable participants. Only conflicts are retried automatically (see
 * {@link RetryPolicy}).
 */
public abstract class RedtxTransientException extends RedtxException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what happened
     * @param transactionId the attempt concerned, or {@code null}
     * @param cause the underlying cause, or {@code null}
     */
    protected RedtxTransientException(String message, String transactionId, Throwable cause) {
        super(message, transactionId, cause);
    }
}
