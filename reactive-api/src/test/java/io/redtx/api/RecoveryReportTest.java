package io.redtx.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RecoveryReportTest {

    @Test
    void theFiveCountConstructorCountsNoSaga() {
        RecoveryReport r = new RecoveryReport(3, 1, 1, 1, 2);
        assertThat(r).isEqualTo(new RecoveryReport(3, 1, 1, 1, 2, 0, 0, 0, 0, 0, 0, Duration.ZERO));
        assertThat(RecoveryReport.EMPTY).isEqualTo(new RecoveryReport(0, 0, 0, 0, 0, 0, 0, 0));
    }

    @Test
    void theOldestPendingExternalIsRequired() {
        assertThatThrownBy(() -> new RecoveryReport(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("oldestPendingExternal");
    }

    @Test
    void plusAddsEveryCountSagasIncluded() {
        RecoveryReport sum = new RecoveryReport(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, Duration.ofSeconds(5))
                .plus(new RecoveryReport(10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, Duration.ofSeconds(2)));
        assertThat(sum)
                .isEqualTo(new RecoveryReport(11, 22, 33, 44, 55, 66, 77, 88, 99, 110, 121, Duration.ofSeconds(5)));
        assertThat(sum.externalsPending()).isEqualTo(231);
    }
}
