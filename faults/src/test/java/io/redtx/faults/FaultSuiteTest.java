package io.redtx.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The fault suite at reduced size (one nemesis round): every fault kind is injected at least once and no check is
 * violated, the outbox's included. The full size runs from the command in the README.
 */
class FaultSuiteTest {

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void oneRoundOfEveryFaultViolatesNothing() throws Exception {
        FaultSuite suite = new FaultSuite();
        suite.rounds = 1;
        suite.accounts = 300;
        suite.concurrency = 16;

        FaultSuite.Report report = suite.run();

        assertThat(report.check().details()).as("violations").isEmpty();
        assertThat(report.violations()).isZero();
        assertThat(report.droppedErrors())
                .as("errors handed to Reactor's onErrorDropped")
                .isZero();
        assertThat(report.faults())
                .containsEntry("kill -9 and restart", 3L)
                .containsEntry("SIGSTOP past the lease", 3L)
                .containsEntry("coordinator JVM kill -9", 1L);
        Arrays.stream(CoordinatorCrashes.Point.values())
                .forEach(p -> assertThat(report.faults()).containsEntry("coordinator crash " + p, 1L));
        assertThat(report.outcomes()).containsKey("committed");
        assertThat(report.audits()).isPositive();
        assertThat(report.check().committedTransfers()).isPositive();
        assertThat(report.check().messageViolations()).isZero();
        assertThat(report.check().messages())
                .as("outbox messages: one per committed transfer")
                .isEqualTo(report.check().committedTransfers());
    }
}
