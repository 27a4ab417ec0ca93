package io.redtx.runtime.internal.protocol;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where one transaction attempt is in its life, changed only by the named transitions below. Each is one CAS from one
 * state, so of two racing transitions (a cancel against the commit point, say) exactly one wins, and the loser learns
 * it from the {@code false} it gets back. States only move forward:
 *
 * <pre>
 * ACTIVE ──commit()──▶ COMMITTING ──prepared──▶ PAST_COMMIT_POINT ──(committed: stays)
 *   │                     │                         │
 *   │ rollback, cancel,   │ rollback, cancel,       │ the commit point did not commit  ──▶ ABORTING
 *   │ time limit          │ a failure               │ the one-phase script refused     ──▶ ROLLED_BACK
 *   ▼                     ▼
 * ROLLED_BACK ◀──done── ABORTING
 * </pre>
 */
public final class AttemptState {

    private static final int ACTIVE = 0;
    private static final int COMMITTING = 1;
    private static final int PAST_COMMIT_POINT = 2;
    private static final int ABORTING = 3;
    private static final int ROLLED_BACK = 4;

    private final AtomicInteger state = new AtomicInteger(ACTIVE);

    /** ACTIVE → COMMITTING: the commit starts; the handle takes no more operations. */
    public boolean markCommitting() {
        return state.compareAndSet(ACTIVE, COMMITTING);
    }

    /** ACTIVE → ROLLED_BACK: rolled back before its commit started (rollback, cancel, time limit, closed runtime). */
    public boolean markRolledBackBeforeCommit() {
        return state.compareAndSet(ACTIVE, ROLLED_BACK);
    }

    /**
     * COMMITTING → PAST_COMMIT_POINT: the decision to commit is taken (every shard prepared, or the one-phase script is
     * about to be sent); from here on a cancel no longer rolls back.
     */
    boolean markPastCommitPoint() {
        return state.compareAndSet(COMMITTING, PAST_COMMIT_POINT);
    }

    /** COMMITTING → ABORTING: a rollback, a cancel or a failure before the commit point; its winner rolls back. */
    public boolean markAborting() {
        return state.compareAndSet(COMMITTING, ABORTING);
    }

    /**
     * PAST_COMMIT_POINT → ABORTING: the commit point did not commit after all (the primary's record was aborted by a
     * resolver or is missing, or the primary refused the script whole), so the intents are rolled back.
     */
    boolean markCommitPointFailed() {
        return state.compareAndSet(PAST_COMMIT_POINT, ABORTING);
    }

    /** PAST_COMMIT_POINT → ROLLED_BACK: the one-phase script refused (a conflict) or certainly did not run. */
    boolean markOnePhaseFailed() {
        return state.compareAndSet(PAST_COMMIT_POINT, ROLLED_BACK);
    }

    /** ABORTING → ROLLED_BACK: the rollback ended. */
    boolean markRolledBack() {
        return state.compareAndSet(ABORTING, ROLLED_BACK);
    }

    public boolean isActive() {
        return state.get() == ACTIVE;
    }

    public boolean isPastCommitPoint() {
        return state.get() == PAST_COMMIT_POINT;
    }

    public boolean isAborting() {
        return state.get() == ABORTING;
    }

    public boolean isRolledBack() {
        return state.get() == ROLLED_BACK;
    }

    /** Committing and not aborting: before the commit point, or past it while the commit point's reply is awaited. */
    boolean keepsLeases() {
        int s = state.get();
        return s == COMMITTING || s == PAST_COMMIT_POINT;
    }

    /** @return the state in words, for messages */
    public String describe() {
        return switch (state.get()) {
            case COMMITTING -> "committing";
            case PAST_COMMIT_POINT -> "committed (or past its commit point)";
            case ABORTING -> "rolling back";
            case ROLLED_BACK -> "rolled back";
            default -> "active";
        };
    }

    @Override
    public String toString() {
        return describe();
    }
}
