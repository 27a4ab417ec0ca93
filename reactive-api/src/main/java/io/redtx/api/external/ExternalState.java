package io.redtx.api.external;

/**
 * Where one external (TCC) participant of a transaction is, as the transaction's record in Redis says: {@link
 * io.redtx.api.TransactionDetails#externals()}.
 */
public enum ExternalState {
    /**
     * The record is not decided yet: the participant's try may be running, have succeeded, or not have started. Its
     * coordinator decides, or recovery once the record's lease has ended (it then cancels).
     */
    UNDECIDED,
    /** The transaction committed and this participant's confirm has not succeeded yet: it is called until it does. */
    CONFIRMING,
    /** The transaction committed and this participant confirmed. */
    CONFIRMED,
    /** The transaction aborted and this participant's cancel has not succeeded yet: it is called until it does. */
    CANCELLING,
    /** The transaction aborted and this participant cancelled (whether or not its try had run). */
    CANCELLED
}
