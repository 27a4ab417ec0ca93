package io.redtx.api;

import java.util.Objects;

/**
 * The transaction met a concurrent one: a key it touches is locked by another transaction, a value it read changed
 * before commit, or one of its explicit conditions ({@link TransactionCommands#expect}) did not hold. Nothing was
 * applied; {@link TransactionRuntime#inTransaction} retries these according to its {@link RetryPolicy}.
 */
public final class TransactionConflictException extends RedtxTransientException {

    private static final long serialVersionUID = 1L;

    /** Why the transaction conflicted. */
    public enum Reason {
        /** Another transaction holds an intent (lock) on the key. */
        FOREIGN_INTENT,
        /** A value the transaction read changed before it committed. */
        READ_CHANGED,
        /** An explicit {@code expect}/{@code expectAbsent} condition did not hold. */
        CONDITION_FAILED,
        /** A prepare of this transaction was refused because the transaction was already settled (aborted). */
        ALREADY_SETTLED
    }

    /** The participant holding the key. */
    private final String participant;

    /** The key that conflicted. */
    private final String key;

    /** Why the transaction conflicted. */
    private final Reason reason;

    /**
     * @param transactionId the attempt that conflicted
     * @param participant the participant holding the key
     * @param key the key that conflicted
     * @param reason why
     * @param detail extra detail (for example the owner of a foreign intent), or {@code null}
     */
    public TransactionConflictException(
            String transactionId, String participant, String key, Reason reason, String detail) {
        super(
                "Transaction " + transactionId + " conflicted on key '" + key + "' of participant '" + participant
                        + "': " + Objects.requireNonNull(reason, "reason")
                        + (detail == null ? "" : " (" + detail + ")"),
                transactionId,
                null);
        this.participant = participant;
        this.key = key;
        this.reason = reason;
    }

    /** @return the participant holding {@link #key()} */
    public String participant() {
        return participant;
    }

    /** @return the key that conflicted */
    public String key() {
        return key;
    }

    /** @return why the transaction conflicted */
    public Reason reason() {
        return reason;
    }
}
