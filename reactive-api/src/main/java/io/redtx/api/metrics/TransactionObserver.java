package io.redtx.api.metrics;

import io.redtx.api.CommitResult;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * Observes each transaction as a whole, for tracing: one {@link Scope} per subscription to a transaction, from the
 * subscription (before admission) to its one ending. Where {@link TransactionMetrics} counts, an observer follows one
 * transaction and can put what it needs (a span, an observation) into the Reactor {@link Context} the transaction's
 * work runs with, so that work done inside the transaction nests under it. The {@code redtx-micrometer} module
 * implements it with a Micrometer {@code Observation} per transaction.
 *
 * <p><b>Threading.</b> As for {@link TransactionMetrics}: called concurrently from event-loop threads, so
 * implementations are thread-safe, never block and do not throw. The calls on one scope never overlap, and every
 * scope ends exactly once.
 */
public interface TransactionObserver {

    /** Observes nothing. The default of a runtime built without an observer. */
    TransactionObserver NOOP = new TransactionObserver() {
        @Override
        public Scope start(ContextView context) {
            return Scope.NOOP;
        }

        @Override
        public String toString() {
            return "TransactionObserver.NOOP";
        }
    };

    /**
     * A transaction starts: a subscription to {@code inTransaction}, one request of an intake, or a {@code begin()}.
     *
     * @param context the subscriber's context (it may hold the caller's own span or observation, to nest under)
     * @return the scope of this one transaction, never null
     */
    Scope start(ContextView context);

    /**
     * One observed transaction. Calls come in this order: {@link #context} at most once, {@link #attempt} once per
     * attempt (none when admission refused the transaction), then exactly one of {@link #committed} or
     * {@link #aborted}.
     */
    interface Scope {

        /** Adds nothing and records nothing. */
        Scope NOOP = new Scope() {};

        /**
         * The context the transaction's work runs with (the user's function, on every attempt). Not called for
         * {@code begin()}, whose work the caller composes itself.
         *
         * @param context the subscriber's context (the work's context gets the attempt's id under
         *     {@link io.redtx.api.Transaction#CONTEXT_KEY} on top of what this returns)
         * @return {@code context} with what this observer adds, by default {@code context} itself
         */
        default Context context(Context context) {
            return context;
        }

        /**
         * An attempt starts.
         *
         * @param transactionId the attempt's id (each retry has a new one)
         * @param attempt 1 for the first attempt, 2 for the first retry, and so on
         */
        default void attempt(String transactionId, int attempt) {}

        /**
         * The transaction committed.
         *
         * @param result the commit's result, with the number of attempts it took
         */
        default void committed(CommitResult result) {}

        /**
         * The transaction ended without committing.
         *
         * @param cause why, as for {@link TransactionMetrics#aborted}
         * @param error the error it ended with, or null when it ended without one (cancelled, rolled back)
         */
        default void aborted(AbortCause cause, Throwable error) {}
    }
}
