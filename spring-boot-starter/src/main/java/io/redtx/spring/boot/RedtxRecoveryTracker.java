package io.redtx.spring.boot;

import io.redtx.api.CommitProtocol;
import io.redtx.api.RecoveryReport;
import io.redtx.api.TransactionConflictException;
import io.redtx.api.metrics.AbortCause;
import io.redtx.api.metrics.Phase;
import io.redtx.api.metrics.TransactionMetrics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;

/**
 * Keeps the report of the latest recovery pass of the runtime that the auto-configuration built, for the health
 * indicator. The runtime's API has no read-only look at what is in doubt (prepared intents, pending external
 * participants) short of running a pass, which settles what it finds; so the health reports what the runtime's own
 * passes (the background one every {@code redtx.recovery.interval}, and any {@code recover()} call) last found, which
 * the runtime hands to its {@link TransactionMetrics#recovered(RecoveryReport)}. {@link #wrap(TransactionMetrics)} puts
 * this tracker in front of the metrics the runtime is given.
 *
 * <p>Thread-safe: the runtime reports from its own threads, the health indicator reads from others.
 */
public final class RedtxRecoveryTracker {

    private final Clock clock;
    private final AtomicReference<Pass> latest = new AtomicReference<>();

    /**
     * The latest recovery pass.
     *
     * @param report what the pass found and settled
     * @param at when the runtime reported it
     */
    public record Pass(RecoveryReport report, Instant at) {}

    /** A tracker on the system clock. */
    public RedtxRecoveryTracker() {
        this(Clock.systemUTC());
    }

    /** @param clock the clock the time of each pass is read from */
    RedtxRecoveryTracker(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** @return the latest pass, empty before the first one (or when the background pass is off and none was run) */
    public Optional<Pass> latest() {
        return Optional.ofNullable(latest.get());
    }

    /**
     * @param metrics the metrics the runtime would otherwise be given, not null
     * @return metrics that pass every call on to {@code metrics} and also keep each recovery report here
     */
    public TransactionMetrics wrap(TransactionMetrics metrics) {
        return new Tracking(Objects.requireNonNull(metrics, "metrics"));
    }

    /** Passes every call on; keeps the recovery reports. */
    private final class Tracking implements TransactionMetrics {
        private final TransactionMetrics delegate;

        Tracking(TransactionMetrics delegate) {
            this.delegate = delegate;
        }

        @Override
        public void committed(CommitProtocol protocol, int attempts, Duration total) {
            delegate.committed(protocol, attempts, total);
        }

        @Override
        public void aborted(AbortCause cause) {
            delegate.aborted(cause);
        }

        @Override
        public void conflict(TransactionConflictException.Reason reason) {
            delegate.conflict(reason);
        }

        @Override
        public void retried() {
            delegate.retried();
        }

        @Override
        public void phase(Phase phase, Duration latency) {
            delegate.phase(phase, latency);
        }

        @Override
        public void rejected() {
            delegate.rejected();
        }

        @Override
        public void inFlight(IntSupplier inFlight) {
            delegate.inFlight(inFlight);
        }

        @Override
        public void recovered(RecoveryReport report) {
            latest.set(new Pass(report, clock.instant()));
            delegate.recovered(report);
        }

        @Override
        public String toString() {
            return delegate.toString();
        }
    }
}
