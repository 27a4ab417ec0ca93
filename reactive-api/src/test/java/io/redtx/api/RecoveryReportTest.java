package io.redtx.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RecoveryReportTest {

    @Test
    void theFiveCountConstructorCountsNoSaga() {
        RecoveryReport r = new RecoveryReport(3, 1, 1, 1, 2);
        assertThat(r).isEqualTo(new RecoveryReport(3, 1, 1, 1, 2, 0, 0, 0, 0, 0));
        assertThat(RecoveryReport.EMPTY).isEqualTo(new RecoveryReport(0, 0, 0, 0, 0, 0, 0, 0));
    }

    @Test
    void plusAddsEveryCountSagasIncluded() {
        RecoveryReport sum = new RecoveryReport(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
                .plus(new RecoveryReport(10, 20, 30, 40, 50, 60, 70, 80, 90, 100));
        assertThat(sum).isEqualTo(new RecoveryReport(11, 22, 33, 44, 55, 66, 77, 88, 99, 110));
    }
}
