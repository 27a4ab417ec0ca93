package io.redtx.api;

/** The steps of a transaction, as named in timeouts, timings and errors. */
public enum TransactionPhase {
    /** The whole transaction: user function plus commit, bounded by {@link TimeoutOptions#transaction()}. */
    TRANSACTION,
    /** A read through the handle before commit. */
    READ,
    /** The single script of a one-shard commit. */
    ONE_PHASE_COMMIT,
    /** Prepare on every shard of a multi-shard commit. */
    PREPARE,
    /** The script on the primary shard that turns PREPARED into COMMITTED. */
    COMMIT_POINT,
    /** Rolling the secondaries forward after the commit point. */
    SECONDARIES,
    /** Removing intents after a refusal, error, timeout or cancellation. */
    ROLLBACK,
    /**
     * Making a connection to a participant, bounded by {@link TimeoutOptions#connect()}: before any command of
     * the step that needed it was sent.
     */
    CONNECT
}
