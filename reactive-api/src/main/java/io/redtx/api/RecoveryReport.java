package io.redtx.api;

import java.time.Duration;
import java.util.Objects;

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
 * @param sagasResumed sagas whose runner had gone (its lease ran out) that this pass took over and completed
 * @param sagasCompensated sagas this pass took over and compensated to their end
 * @param sagasFailing sagas whose record says they could not finish (a compensation, or a forward step, failed for
 *     good) and that this pass could not finish either, or left for their lease to run out: they stay in Redis and
 *     every pass tries again
 * @param externalsSettled external (TCC) participants this pass confirmed or cancelled as their records decided
 * @param externalsConfirming external participants of committed transactions whose confirm failed in this pass (or
 *     that no participant registered here can do): their records stay, and every pass calls them again; a count that
 *     stays positive pass after pass is worth a look at the WARN logs
 * @param externalsCancelling the same for cancels, of transactions that did not commit
 * @param oldestPendingExternal of the records with an external participant still pending after this pass, how long the
 *     oldest has waited for recovery: since its lease ended, or since it was aborted ({@link Duration#ZERO} for none)
 */
public record RecoveryReport(
        long expiredIntents,
        long rolledForward,
        long rolledBack,
        long left,
        long staleLocks,
        long sagasResumed,
        long sagasCompensated,
        long sagasFailing,
        long externalsSettled,
        long externalsConfirming,
        long externalsCancelling,
        Duration oldestPendingExternal) {

    /** An empty report. */
    public static final RecoveryReport EMPTY = new RecoveryReport(0, 0, 0, 0, 0);

    /**
     * A report about transactions and locks alone, no saga counted.
     *
     * @param expiredIntents intents found with an expired lease
     * @param rolledForward of those, rolled forward
     * @param rolledBack of those, rolled back
     * @param left of those, left for a later pass
     * @param staleLocks lock entries removed
     */
    public RecoveryReport(long expiredIntents, long rolledForward, long rolledBack, long left, long staleLocks) {
        this(expiredIntents, rolledForward, rolledBack, left, staleLocks, 0, 0, 0);
    }

    /**
     * A report about transactions, locks and sagas, no external participant counted.
     *
     * @param expiredIntents intents found with an expired lease
     * @param rolledForward of those, rolled forward
     * @param rolledBack of those, rolled back
     * @param left of those, left for a later pass
     * @param staleLocks lock entries removed
     * @param sagasResumed sagas taken over and completed
     * @param sagasCompensated sagas taken over and compensated
     * @param sagasFailing sagas that could not finish
     */
    public RecoveryReport(
            long expiredIntents,
            long rolledForward,
            long rolledBack,
            long left,
            long staleLocks,
            long sagasResumed,
            long sagasCompensated,
            long sagasFailing) {
        this(
                expiredIntents,
                rolledForward,
                rolledBack,
                left,
                staleLocks,
                sagasResumed,
                sagasCompensated,
                sagasFailing,
                0,
                0,
                0,
                Duration.ZERO);
    }

    /** Checks the fields. */
    public RecoveryReport {
        Objects.requireNonNull(oldestPendingExternal, "oldestPendingExternal");
    }

    /**
     * @return external participants whose confirm or cancel is still to succeed after this pass: {@link
     *     #externalsConfirming()} and {@link #externalsCancelling()}
     */
    public long externalsPending() {
        return externalsConfirming + externalsCancelling;
    }

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
                staleLocks + other.staleLocks,
                sagasResumed + other.sagasResumed,
                sagasCompensated + other.sagasCompensated,
                sagasFailing + other.sagasFailing,
                externalsSettled + other.externalsSettled,
                externalsConfirming + other.externalsConfirming,
                externalsCancelling + other.externalsCancelling,
                oldestPendingExternal.compareTo(other.oldestPendingExternal) >= 0
                        ? oldestPendingExternal
                        : other.oldestPendingExternal);
    }
}
