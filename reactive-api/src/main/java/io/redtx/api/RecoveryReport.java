package io.redtx.api;

/**
 * What one recovery pass did: for every participant, the intents whose lease had expired (found through each shard's
 * intent index, without scanning the keyspace), settled through their primary's record.
 *
 * @param expiredIntents intents found with an expired lease
 * @param rolledForward of those, rolled forward (their record was COMMITTED)
 * @param rolledBack of those, rolled back (ABORTED, expired on the primary, or no record)
 * @param left of those, left for a later pass (the primary's own clock says the lease still runs, the primary is not
 *     a participant of this runtime, or a participant did not answer)
 */
public record RecoveryReport(long expiredIntents, long rolledForward, long rolledBack, long left) {

    /** An empty report. */
    public static final RecoveryReport EMPTY = new RecoveryReport(0, 0, 0, 0);

    /**
     * @param other another report
     * @return the sum of both
     */
    public RecoveryReport plus(RecoveryReport other) {
        return new RecoveryReport(
                expiredIntents + other.expiredIntents,
                rolledForward + other.rolledForward,
                rolledBack + other.rolledBack,
                left + other.left);
    }
}
