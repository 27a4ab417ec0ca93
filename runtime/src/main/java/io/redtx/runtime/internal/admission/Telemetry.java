package io.redtx.runtime.internal.admission;

import io.redtx.api.CommitResult;
import io.redtx.api.RecoveryReport;
import io.redtx.api.Transaction;
import io.redtx.api.TransactionConflictException;
import io.redtx.api.metrics.AbortCause;
import io.redtx.api.metrics.Phase;
import io.redtx.api.metrics.TransactionMetrics;
import io.redtx.api.metrics.TransactionObserver;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import reactor.util.Logger;
import reactor.util.Loggers;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * The runtime's {@link TransactionMetrics} and {@link TransactionObserver}, guarded: they are user code called on
 * every transaction's path, often after the commit point, where an exception must neither fail nor change an outcome.
 * A call that throws is skipped and the first such failure logged.
 */
public final class Telemetry {

    private static final Logger log = Loggers.getLogger(Telemetry.class);

    private final TransactionMetrics metrics;
    private final TransactionObserver observer;
    private final AtomicBoolean warned = new AtomicBoolean();

    public Telemetry(TransactionMetrics metrics, TransactionObserver observer) {
        this.metrics = metrics;
        this.observer = observer;
    }

    /** A transaction starts (subscription to {@code inTransaction}, an intake request, or {@code begin()}). */
    public TransactionRun start(ContextView context) {
        TransactionObserver.Scope scope = TransactionObserver.Scope.NOOP;
        if (observer != TransactionObserver.NOOP) {
            try {
                scope = observer.start(context);
            } catch (RuntimeException e) {
                failed(e);
            }
        }
        Object listener = context.getOrDefault(Transaction.ATTEMPT_LISTENER_KEY, null);
        @SuppressWarnings("unchecked")
        Consumer<String> attempts = listener instanceof Consumer<?> c ? (Consumer<String>) c : null;
        return new TransactionRun(this, scope == null ? TransactionObserver.Scope.NOOP : scope, attempts);
    }

    public void inFlight(IntSupplier inFlight) {
        guard(() -> metrics.inFlight(inFlight));
    }

    public void conflict(TransactionConflictException.Reason reason) {
        guard(() -> metrics.conflict(reason));
    }

    public void phase(Phase phase, long nanos) {
        if (metrics != TransactionMetrics.NOOP) {
            guard(() -> metrics.phase(phase, Duration.ofNanos(nanos)));
        }
    }

    void rejected() {
        guard(metrics::rejected);
    }

    public void recovered(RecoveryReport report) {
        guard(() -> metrics.recovered(report));
    }

    // ---- one transaction, from TransactionRun ----

    void attempt(TransactionObserver.Scope scope, String transactionId, int attempt) {
        if (attempt > 1) {
            guard(metrics::retried);
        }
        if (scope != TransactionObserver.Scope.NOOP) {
            guard(() -> scope.attempt(transactionId, attempt));
        }
    }

    void committed(TransactionObserver.Scope scope, CommitResult result, long startNanos) {
        if (metrics != TransactionMetrics.NOOP) {
            guard(() -> metrics.committed(
                    result.protocol(), result.attempts(), Duration.ofNanos(System.nanoTime() - startNanos)));
        }
        if (scope != TransactionObserver.Scope.NOOP) {
            guard(() -> scope.committed(result));
        }
    }

    void aborted(TransactionObserver.Scope scope, AbortCause cause, Throwable error) {
        guard(() -> metrics.aborted(cause));
        if (scope != TransactionObserver.Scope.NOOP) {
            guard(() -> scope.aborted(cause, error));
        }
    }

    Context context(TransactionObserver.Scope scope, Context context) {
        if (scope == TransactionObserver.Scope.NOOP) {
            return context;
        }
        try {
            Context c = scope.context(context);
            return c == null ? context : c;
        } catch (RuntimeException e) {
            failed(e);
            return context;
        }
    }

    private void guard(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    private void failed(RuntimeException e) {
        if (warned.compareAndSet(false, true)) {
            log.warn(
                    "redtx: the metrics or observer ({}, {}) threw; such calls are skipped and not logged again",
                    metrics,
                    observer,
                    e);
        }
    }
}
