package io.redtx.runtime.internal.admission;

import io.redtx.api.CommitResult;
import io.redtx.api.metrics.AbortCause;
import io.redtx.api.metrics.TransactionObserver;
import io.redtx.runtime.internal.handle.DefaultTransaction;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import reactor.util.Logger;
import reactor.util.Loggers;
import reactor.util.context.Context;

/**
 * One subscription to a transaction, every attempt included: counts its attempts, knows the current one, and reports
 * its single ending (committed, failed, cancelled) to the metrics and the observer exactly once.
 */
public final class TransactionRun {

    private static final Logger log = Loggers.getLogger(TransactionRun.class);

    private final Telemetry telemetry;
    private final TransactionObserver.Scope scope;
    /** The caller's {@link io.redtx.api.Transaction#ATTEMPT_LISTENER_KEY}, or null. */
    private final Consumer<String> attemptListener;

    private final long startNanos = System.nanoTime();
    private final AtomicBoolean ended = new AtomicBoolean();
    // Attempts are sequential (a retry subscribes after the previous attempt ended), so volatile suffices.
    private volatile int attempts;
    private volatile DefaultTransaction current;

    TransactionRun(Telemetry telemetry, TransactionObserver.Scope scope, Consumer<String> attemptListener) {
        this.telemetry = telemetry;
        this.scope = scope;
        this.attemptListener = attemptListener;
    }

    /** A new attempt of this transaction starts with {@code tx}. */
    public void attempt(DefaultTransaction tx) {
        int n = attempts + 1;
        attempts = n;
        current = tx;
        telemetry.attempt(scope, tx.id(), n);
        if (attemptListener != null) {
            try {
                attemptListener.accept(tx.id());
            } catch (RuntimeException e) {
                log.warn("redtx: the attempt listener of the caller failed on {}", tx.id(), e);
            }
        }
    }

    public int attempts() {
        return attempts;
    }

    /** @return the latest attempt, or null before the first */
    public DefaultTransaction current() {
        return current;
    }

    /** @return whether an observer follows this transaction (else {@link #context} adds nothing) */
    public boolean observed() {
        return scope != TransactionObserver.Scope.NOOP;
    }

    public Context context(Context context) {
        return telemetry.context(scope, context);
    }

    public void committed(CommitResult result) {
        if (ended.compareAndSet(false, true)) {
            telemetry.committed(scope, result, startNanos);
        }
    }

    public void failed(Throwable error) {
        aborted(AbortCause.of(error), error);
    }

    /** The subscriber cancelled: before the commit point that is a rollback, after it the subscriber never learns. */
    public void cancelled() {
        DefaultTransaction tx = current;
        aborted(tx != null && tx.pastCommitPoint() ? AbortCause.OUTCOME_UNKNOWN : AbortCause.CANCELLED, null);
    }

    public void aborted(AbortCause cause, Throwable error) {
        if (ended.compareAndSet(false, true)) {
            telemetry.aborted(scope, cause, error);
        }
    }
}
