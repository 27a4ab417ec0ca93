package io.redtx.api.admin;

/**
 * The state of a transaction's intent (or record) on one shard, as the scripts keep it (docs/protocol.md, field
 * {@code st}).
 */
public enum IntentState {
    /** Prepared: locks held, writes staged, outcome not decided on this shard. */
    PREPARED,
    /**
     * Committed: on the primary, the record after the commit point, still indexed until every secondary was rolled
     * forward; elsewhere, a secondary's marker.
     */
    COMMITTED,
    /**
     * Aborted: a tombstone; indexed only on a primary whose external (TCC) participants are not all cancelled yet.
     */
    ABORTED
}
