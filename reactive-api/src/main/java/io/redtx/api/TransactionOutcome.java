package io.redtx.api;

import java.util.Objects;

/**
 * What became of one request of an {@link TransactionRuntime#intake intake}: committed with its value, aborted (the
 * transaction took no effect: a conflict that outlived its retries, the work's own error, a deadline before the
 * commit point), or failed (it could not run as asked: rejected for overload, a participant unavailable or in error,
 * bad input, or an unknown outcome — the only case where it may have committed).
 *
 * @param <I> the request type
 * @param <T> the work's value type
 */
public final class TransactionOutcome<I, T> {

    /** The kinds of outcome. */
    public enum Status {
        /** Committed; {@link #value()} and {@link #commit()} are set. */
        COMMITTED,
        /** Took no effect; {@link #error()} says why. */
        ABORTED,
        /** Could not run as asked; {@link #error()} says why, {@link #mayHaveCommitted()} whether it took effect. */
        FAILED
    }

    private final I request;
    private final Status status;
    private final T value;
    private final CommitResult commit;
    private final Throwable error;

    private TransactionOutcome(I request, Status status, T value, CommitResult commit, Throwable error) {
        this.request = request;
        this.status = status;
        this.value = value;
        this.commit = commit;
        this.error = error;
    }

    /**
     * @param request the request
     * @param result its transaction's result
     * @param <I> the request type
     * @param <T> the value type
     * @return a COMMITTED outcome
     */
    public static <I, T> TransactionOutcome<I, T> committed(I request, TransactionResult<T> result) {
        Objects.requireNonNull(result, "result");
        return new TransactionOutcome<>(request, Status.COMMITTED, result.value(), result.commit(), null);
    }

    /**
     * @param request the request
     * @param error why its transaction did not commit
     * @param <I> the request type
     * @param <T> the value type
     * @return an ABORTED outcome for conflicts, timeouts and the work's own errors; FAILED for the rest
     */
    public static <I, T> TransactionOutcome<I, T> failed(I request, Throwable error) {
        Objects.requireNonNull(error, "error");
        boolean aborted = error instanceof TransactionConflictException
                || error instanceof TransactionTimeoutException
                || !(error instanceof RedtxException);
        return new TransactionOutcome<>(request, aborted ? Status.ABORTED : Status.FAILED, null, null, error);
    }

    /** @return the request this is the outcome of */
    public I request() {
        return request;
    }

    /** @return what became of it */
    public Status status() {
        return status;
    }

    /** @return the work's value when committed (may be null: the work completed empty); null otherwise */
    public T value() {
        return value;
    }

    /** @return what the commit did when committed; null otherwise */
    public CommitResult commit() {
        return commit;
    }

    /** @return why it did not commit; null when committed */
    public Throwable error() {
        return error;
    }

    /** @return whether it may have taken effect without being reported committed (an unknown outcome) */
    public boolean mayHaveCommitted() {
        return error instanceof TransactionOutcomeUnknownException;
    }

    @Override
    public String toString() {
        return "TransactionOutcome{" + status + ", request=" + request
                + (status == Status.COMMITTED ? ", value=" + value : ", error=" + error) + "}";
    }
}
