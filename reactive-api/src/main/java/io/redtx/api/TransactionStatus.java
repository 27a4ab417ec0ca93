package io.redtx.api;

/** What the participants hold about a transaction attempt, as {@link TransactionRuntime#status(String)} reads it. */
public enum TransactionStatus {
    /** Its record is COMMITTED: it is (or recovery will make it) visible on every shard. */
    COMMITTED,
    /** Its record or a tombstone is ABORTED: nothing of it is, or will be, visible. */
    ABORTED,
    /** Prepared and not decided yet: its coordinator is still at work, or recovery will decide once its lease ends. */
    IN_DOUBT,
    /**
     * Nothing is known: an id that never reached its primary or never committed in one phase, a transaction settled
     * longer ago than {@link RecoveryOptions#recordRetention()}, or a one-phase commit without a marker (see {@link
     * RecoveryOptions#onePhaseMarkers()}).
     */
    UNKNOWN
}
