package io.redtx.api.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNoException;

import io.redtx.api.CommitProtocol;
import io.redtx.api.RecoveryReport;
import io.redtx.api.TransactionConflictException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TransactionMetricsTest {

    @Test
    void noopAcceptsEveryCallAndNeverReadsTheInFlightSupplier() {
        AtomicInteger reads = new AtomicInteger();

        assertThatNoException().isThrownBy(() -> {
            TransactionMetrics m = TransactionMetrics.NOOP;
            m.committed(CommitProtocol.TWO_PHASE, 2, Duration.ofMillis(5));
            m.aborted(AbortCause.CONFLICT);
            m.conflict(TransactionConflictException.Reason.FOREIGN_INTENT);
            m.retried();
            m.phase(Phase.PREPARE, Duration.ofMillis(1));
            m.rejected();
            m.inFlight(reads::incrementAndGet);
            m.recovered(new RecoveryReport(3, 1, 1, 1, 0));
        });
        assertThat(reads).hasValue(0);
        assertThat(TransactionMetrics.NOOP).hasToString("TransactionMetrics.NOOP");
    }
}
