package io.redtx.api;

/**
 * The commit point may have been passed but its result could not be learned (lost reply, timeout, participant gone
 * and the record unreadable). The transaction is either committed on every shard or on none — never partially — and
 * recovery will settle it; {@link #transactionId()} identifies it for a later lookup. Never retry blindly on this
 * error: the first attempt may have committed.
 */
public final class TransactionOutcomeUnknownException extends RedtxException {

    private static final long serialVersionUID = 1L;

    /**
     * @param transactionId the attempt whose outcome is unknown
     * @param message what happened
     * @param cause the underlying failure
     */
    public TransactionOutcomeUnknownException(String transactionId, String message, Throwable cause) {
        super("Outcome of transaction " + transactionId + " is unknown: " + message, transactionId, cause);
    }
}
