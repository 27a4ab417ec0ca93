package io.redtx.api.metrics;

import io.redtx.api.CommitProtocol;
import io.redtx.api.RecoveryReport;
import io.redtx.api.TransactionConflictException;
import java.time.Duration;
import java.util.function.IntSupplier;

/**
 * Receives what a transaction runtime does, for metrics: commits, aborts by cause, conflicts, retries, phase latencies,
 * rejections, the number of transactions in flight and recovery passes. Every method has an empty default body, so an
 * implementation overrides only what it records and keeps compiling when methods are added; {@link #NOOP} records
 * nothing and is the default.
 *
 * <p><b>Threading.</b> The runtime calls these methods concurrently, from Reactor and Netty event-loop threads, on the
 * path of every transaction. Implementations must therefore be thread-safe, must never block (no I/O, no locks that
 * may be contended, no {@code synchronized} around slow work) and should be cheap: an increment or a timer record,
 * without allocating per call where it can be helped. They must not throw either: a failing metric must not fail or
 * delay a transaction.
 *
 * <p><b>What counts.</b> Each subscription to a transaction ends exactly once, with {@link #committed} or
 * {@link #aborted}. Attempts inside it (retries after a conflict) are counted by {@link #retried}; every conflict,
 * retried or final, by {@link #conflict}. Arguments are never null.
 *
 * <p>The {@code redtx-micrometer} module implements this interface on a Micrometer {@code MeterRegistry}. Model:
 * reactor-pool's {@code PoolMetricsRecorder}.
 */
public interface TransactionMetrics {

    /** Records nothing. The default of a runtime built without metrics. */
    TransactionMetrics NOOP = new TransactionMetrics() {
        @Override
        public String toString() {
            return "TransactionMetrics.NOOP";
        }
    };

    /**
     * A transaction committed: its outcome is durable on every shard it touched (secondaries possibly still being
     * rolled forward). Called once per committed transaction, after the outcome is known and before it is signalled to
     * the subscriber.
     *
     * @param protocol how it committed ({@link CommitProtocol#NONE} when it read and wrote nothing)
     * @param attempts the number of attempts it took, at least 1 (1 plus the number of {@link #retried} calls for it)
     * @param total time from subscription to the committed outcome, every attempt and back-off included
     */
    default void committed(CommitProtocol protocol, int attempts, Duration total) {}

    /**
     * A transaction ended without committing, once per transaction (not per attempt): a conflict that was retried is
     * reported by {@link #conflict} and {@link #retried}, and only the final one here. Also called for
     * {@link AbortCause#OUTCOME_UNKNOWN}, whose transaction may in fact have committed, and for
     * {@link AbortCause#REJECTED}, alongside {@link #rejected()}.
     *
     * @param cause why; {@link AbortCause#of(Throwable)} maps the error the transaction ended with
     */
    default void aborted(AbortCause cause) {}

    /**
     * An attempt met a conflict: every conflict, whether the attempt is then retried or the transaction aborts.
     *
     * @param reason what conflicted
     */
    default void conflict(TransactionConflictException.Reason reason) {}

    /** A new attempt of a transaction is about to start after a conflict: one call per retry, none for the first. */
    default void retried() {}

    /**
     * One phase of a commit ended, successfully or not (a phase that failed or timed out is reported with the time until
     * it ended; a phase cut short by a cancel is not reported). Called once per phase per attempt; a one-shard commit
     * reports {@link Phase#ONE_PHASE} only, a multi-shard one {@link Phase#PREPARE}, then {@link Phase#COMMIT_POINT}
     * and {@link Phase#SECONDARIES} if it got that far (a read-only one has no commit point).
     *
     * @param phase the phase
     * @param latency how long it took, from sending its first command to its last answer
     */
    default void phase(Phase phase, Duration latency) {}

    /**
     * Admission control refused a transaction at once because the runtime was at its in-flight limit (or a bounded
     * wait for a slot ran out). Nothing was sent to any participant.
     */
    default void rejected() {}

    /**
     * Registers the number of transactions in flight, to be read whenever the implementation wants (for a gauge).
     * Called once, when the runtime starts; the supplier is thread-safe, non-blocking and cheap, and stays valid (it
     * should read 0 once the runtime is closed). Implementations may keep a strong reference to it.
     *
     * @param inFlight reads the current number of admitted transactions that have not yet ended
     */
    default void inFlight(IntSupplier inFlight) {}

    /**
     * A recovery pass finished, background or explicit ({@code TransactionRuntime.recover()}). Called once per pass
     * with that pass's own counts, not cumulative ones.
     *
     * @param report what the pass found and settled
     */
    default void recovered(RecoveryReport report) {}
}
