package io.redtx.api;

/**
 * What one recovery pass did. For every participant: the intents whose lease had expired (found through each shard's
 * intent index, without scanning the keyspace), settled through their primary's record; and the lock entries left
 * behind by transactions that are settled, found by a sweep of the namespace's lock keys (an incremental {@code SCAN}
 * that covers a bounded share of the keyspace per pass) and removed.
 *
 * @param expiredIntents intents found with an expired lease
 * @param rolledForward of those, rolled forward (their record was COMMITTED)
 * @param rolledBack of those, rolled back (ABORTED, expired on the primary, or no record)
 * @param left of those, left for a later pass (the primary's own clock says the lease still runs, the primary is not
 *     a participant of this runtime, or a participant did not answer)
 * @param staleLocks lock entries removed because the transaction owning them was settled (or gone) on that shard. Such
 *     an entry would block its key for good; it only appears when something went wrong (a key edited by hand, a fault
 *     the protocol did not foresee), so a positive count is worth a look at the logs
 */
public record RecoveryReport(long expiredIntents, long rolledForward, long rolledBack, long left, long staleLocks) {

    /** An empty report. */
    public static final RecoveryReport EMPTY = new RecoveryReport(0, 0, 0, 0, 0);

    /**
     * @param other another report
     * @return the sum of both
     */
    public RecoveryReport plus(RecoveryReport other) {
        return new RecoveryReport(
                expiredIntents + other.expiredIntents,
                rolledForward + other.rolledForward,
                rolledBack + other.rolledBack,
                left + other.left,
                staleLocks + other.staleLocks);
    }
}
