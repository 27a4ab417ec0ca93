package io.redtx.api;

/** How a transaction was committed. */
public enum CommitProtocol {
    /** Nothing was read or written: no round trip. */
    NONE,
    /** One shard: one script validated and applied everything. */
    ONE_PHASE,
    /** Several shards: prepare everywhere, commit point on the primary, secondaries rolled forward. */
    TWO_PHASE
}
