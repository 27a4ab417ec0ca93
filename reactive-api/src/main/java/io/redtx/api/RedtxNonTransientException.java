package io.redtx.api;

/**
 * A failure that retrying the same work cannot fix: bad input, misuse of a handle, an error reply from a participant.
 * Nothing of the transaction attempt is applied.
 */
public abstract class RedtxNonTransientException extends RedtxException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what happened
     * @param transactionId the attempt concerned, or {@code null}
     * @param cause the underlying cause, or {@code null}
     */
    protected RedtxNonTransientException(String message, String transactionId, Throwable cause) {
        super(message, transactionId, cause);
    }
}
