package io.redtx.api;

/**
 * A transaction handle was used when it no longer accepts the operation: after {@code commit()} or
 * {@code rollback()} began, outside the function it was given to, or after the runtime was closed. Nothing is written.
 */
public final class TransactionStateException extends RedtxNonTransientException {

    private static final long serialVersionUID = 1L;

    /**
     * @param transactionId the attempt concerned, or {@code null}
     * @param message what was attempted and in which state
     */
    public TransactionStateException(String transactionId, String message) {
        super(message, transactionId, null);
    }
}
