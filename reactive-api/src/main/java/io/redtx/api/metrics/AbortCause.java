package io.redtx.api.metrics;

import io.redtx.api.ParticipantErrorException;
import io.redtx.api.ParticipantUnavailableException;
import io.redtx.api.RedtxArgumentException;
import io.redtx.api.RedtxException;
import io.redtx.api.TransactionConflictException;
import io.redtx.api.TransactionOutcomeUnknownException;
import io.redtx.api.TransactionRejectedException;
import io.redtx.api.TransactionStateException;
import io.redtx.api.TransactionTimeoutException;
import io.redtx.api.external.ExternalParticipantException;
import io.redtx.api.lock.LockLostException;
import io.redtx.api.lock.StaleTokenException;
import java.util.Objects;

/**
 * Why a transaction did not commit, as reported to {@link TransactionMetrics#aborted}. Most causes follow from the
 * error the transaction ended with ({@link #of(Throwable)}); {@link #CANCELLED} and {@link #ROLLED_BACK} have no error of their
 * own and are passed explicitly by the runtime.
 */
public enum AbortCause {
    /** A conflict with another transaction ({@link TransactionConflictException}) that was not, or no longer, retried. */
    CONFLICT,
    /** A phase or the whole transaction timed out before the commit point ({@link TransactionTimeoutException}). */
    TIMEOUT,
    /** The user's function failed with an error of its own (anything that is not a {@link RedtxException}). */
    USER_ERROR,
    /**
     * The subscriber cancelled before the commit point; the transaction was rolled back. A cancel after the commit
     * point does not stop the commit, and counts as {@link #OUTCOME_UNKNOWN}: the subscriber never learns it.
     */
    CANCELLED,
    /**
     * The application rolled back a transaction of its own ({@code Transaction.rollback()} on a handle from
     * {@code begin()}). A handle left unfinished until the runtime rolls it back counts as {@link #TIMEOUT}.
     */
    ROLLED_BACK,
    /** A participant could not be reached ({@link ParticipantUnavailableException}). */
    PARTICIPANT_UNAVAILABLE,
    /** A participant replied with an error retrying cannot fix ({@link ParticipantErrorException}). */
    PARTICIPANT_ERROR,
    /** Admission control refused the transaction before it started (the runtime was at its in-flight limit). */
    REJECTED,
    /** Bad input or misuse of a handle ({@link RedtxArgumentException}, {@link TransactionStateException}). */
    INVALID,
    /**
     * A lock lease the transaction required was no longer held ({@link LockLostException}), or it carried a fencing
     * token older than one already seen ({@link StaleTokenException}): a lock holder that lost its lock was stopped.
     */
    FENCED,
    /**
     * The outcome could not be learned ({@link TransactionOutcomeUnknownException}): the transaction may in fact have
     * committed, so this counts an ending that is not known to be an abort.
     */
    OUTCOME_UNKNOWN;

    /**
     * Maps the error a transaction ended with to its cause. The match is on the exact redtx type, not on the error's
     * causes: a redtx exception wrapped by user code in an exception of its own counts as {@link #USER_ERROR}.
     *
     * <ul>
     *   <li>{@link TransactionConflictException} → {@link #CONFLICT}
     *   <li>{@link TransactionTimeoutException} → {@link #TIMEOUT}
     *   <li>{@link ParticipantUnavailableException} → {@link #PARTICIPANT_UNAVAILABLE}
     *   <li>{@link ParticipantErrorException}, {@link ExternalParticipantException} → {@link #PARTICIPANT_ERROR}
     *   <li>{@link RedtxArgumentException}, {@link TransactionStateException} → {@link #INVALID}
     *   <li>{@link TransactionOutcomeUnknownException} → {@link #OUTCOME_UNKNOWN}
     *   <li>{@link TransactionRejectedException} → {@link #REJECTED}
     *   <li>{@link LockLostException}, {@link StaleTokenException} → {@link #FENCED}
     *   <li>anything else, including {@link Error}s and {@link RedtxException} subclasses defined outside redtx → {@link
     *       #USER_ERROR}
     * </ul>
     *
     * Never returns {@link #CANCELLED} or {@link #ROLLED_BACK}: those transactions end without an error.
     *
     * @param error the error the transaction ended with, not null
     * @return its cause, never null
     * @throws NullPointerException if {@code error} is null
     */
    public static AbortCause of(Throwable error) {
        Objects.requireNonNull(error, "error");
        if (error instanceof TransactionConflictException) {
            return CONFLICT;
        }
        if (error instanceof TransactionTimeoutException) {
            return TIMEOUT;
        }
        if (error instanceof ParticipantUnavailableException) {
            return PARTICIPANT_UNAVAILABLE;
        }
        if (error instanceof ParticipantErrorException || error instanceof ExternalParticipantException) {
            return PARTICIPANT_ERROR;
        }
        if (error instanceof RedtxArgumentException || error instanceof TransactionStateException) {
            return INVALID;
        }
        if (error instanceof TransactionOutcomeUnknownException) {
            return OUTCOME_UNKNOWN;
        }
        if (error instanceof TransactionRejectedException) {
            return REJECTED;
        }
        if (error instanceof LockLostException || error instanceof StaleTokenException) {
            return FENCED;
        }
        return USER_ERROR;
    }
}
