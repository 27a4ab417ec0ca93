package io.redtx.api;

/**
 * Root of every exception redtx signals. Subtypes say whether retrying may help ({@link RedtxTransientException}) or
 * not ({@link RedtxNonTransientException}), and {@link TransactionOutcomeUnknownException} marks the one case where the
 * caller cannot know whether the transaction committed.
 */
public abstract class RedtxException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The transaction attempt concerned, or {@code null}. */
    private final String transactionId;

    /**
     * @param message what happened, naming the key, participant, phase or configured value involved
     * @param transactionId the transaction attempt concerned, or {@code null} when none was started
     * @param cause the underlying cause, or {@code null}
     */
    protected RedtxException(String message, String transactionId, Throwable cause) {
        super(message, cause);
        this.transactionId = transactionId;
    }

    /** @return the id of the transaction attempt this error belongs to, or {@code null} if none was started */
    public String transactionId() {
        return transactionId;
    }
}
