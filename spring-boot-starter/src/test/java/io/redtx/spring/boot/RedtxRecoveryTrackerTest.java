package io.redtx.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.CommitProtocol;
import io.redtx.api.RecoveryReport;
import io.redtx.api.TransactionConflictException;
import io.redtx.api.metrics.AbortCause;
import io.redtx.api.metrics.Phase;
import io.redtx.api.metrics.TransactionMetrics;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;

class RedtxRecoveryTrackerTest {

    private final Instant now = Instant.parse("2026-01-02T03:04:05Z");
    private final RedtxRecoveryTracker tracker = new RedtxRecoveryTracker(Clock.fixed(now, ZoneOffset.UTC));

    @Test
    void keepsTheLatestReportAndPassesItOn() {
        List<String> seen = new ArrayList<>();
        TransactionMetrics metrics = tracker.wrap(new TransactionMetrics() {
            @Override
            public void recovered(RecoveryReport report) {
                seen.add("recovered " + report.left());
            }
        });
        assertThat(tracker.latest()).isEmpty();

        metrics.recovered(new RecoveryReport(3, 1, 1, 1, 0));

        assertThat(tracker.latest()).hasValueSatisfying(pass -> {
            assertThat(pass.report().left()).isEqualTo(1);
            assertThat(pass.at()).isEqualTo(now);
        });
        assertThat(seen).containsExactly("recovered 1");
    }

    @Test
    void passesEveryOtherCallOn() {
        List<String> seen = new ArrayList<>();
        TransactionMetrics metrics = tracker.wrap(new TransactionMetrics() {
            @Override
            public void committed(CommitProtocol protocol, int attempts, Duration total) {
                seen.add("committed");
            }

            @Override
            public void aborted(AbortCause cause) {
                seen.add("aborted");
            }

            @Override
            public void conflict(TransactionConflictException.Reason reason) {
                seen.add("conflict");
            }

            @Override
            public void retried() {
                seen.add("retried");
            }

            @Override
            public void phase(Phase phase, Duration latency) {
                seen.add("phase");
            }

            @Override
            public void rejected() {
                seen.add("rejected");
            }

            @Override
            public void inFlight(IntSupplier inFlight) {
                seen.add("inFlight");
            }
        });
        metrics.committed(CommitProtocol.ONE_PHASE, 1, Duration.ZERO);
        metrics.aborted(AbortCause.CONFLICT);
        metrics.conflict(TransactionConflictException.Reason.values()[0]);
        metrics.retried();
        metrics.phase(Phase.values()[0], Duration.ZERO);
        metrics.rejected();
        metrics.inFlight(() -> 0);
        assertThat(seen)
                .containsExactly("committed", "aborted", "conflict", "retried", "phase", "rejected", "inFlight");
    }

    /** A method added to the SPI later must be passed on too, not fall back to its empty default. */
    @Test
    void overridesEveryMethodOfTheSpi() throws Exception {
        Class<?> tracking = tracker.wrap(TransactionMetrics.NOOP).getClass();
        for (Method m : TransactionMetrics.class.getMethods()) {
            if (Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            assertThat(tracking.getMethod(m.getName(), m.getParameterTypes()).getDeclaringClass())
                    .as(m.toString())
                    .isEqualTo(tracking);
        }
    }
}
