package io.redtx.api.metrics;

/**
 * The timed steps of a commit, as reported to {@link TransactionMetrics#phase}. Each is one fan-out (or one script)
 * whose latency says where commit time goes; reads and the user's function are not phases here.
 */
public enum Phase {
    /** Prepare on every shard of a multi-shard (two-phase) commit, from the first prepare sent to the last answer. */
    PREPARE,
    /** The script on the primary shard that turns the record from PREPARED into COMMITTED. */
    COMMIT_POINT,
    /**
     * Rolling every secondary shard forward after the commit point; for a read-only multi-shard transaction, which has
     * no commit point, releasing its read locks on every shard.
     */
    SECONDARIES,
    /** The single script of a one-shard (one-phase) commit. */
    ONE_PHASE
}
