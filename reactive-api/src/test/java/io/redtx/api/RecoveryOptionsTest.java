package io.redtx.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RecoveryOptionsTest {

    @Test
    void defaultsAreTheDocumentedConstants() {
        RecoveryOptions r = RecoveryOptions.builder().build();

        assertThat(r.lease()).isEqualTo(RecoveryOptions.DEFAULT_LEASE_DURATION).isEqualTo(Duration.ofSeconds(10));
        assertThat(r.recordRetention())
                .isEqualTo(RecoveryOptions.DEFAULT_RECORD_RETENTION)
                .isEqualTo(Duration.ofMinutes(5));
        assertThat(r.interval())
                .isEqualTo(RecoveryOptions.DEFAULT_RECOVERY_INTERVAL)
                .isEqualTo(Duration.ofSeconds(5));
        assertThat(r.onePhaseMarkers()).isTrue();
        assertThat(RecoveryOptions.MIN_LEASE_DURATION).isEqualTo(Duration.ofMillis(100));
        assertThat(r).isEqualTo(RecoveryOptions.defaults()).hasSameHashCodeAs(RecoveryOptions.defaults());
    }

    @Test
    void builderSetsEveryField() {
        RecoveryOptions r = RecoveryOptions.builder()
                .lease(Duration.ofMillis(301))
                .recordRetention(Duration.ofMinutes(1))
                .interval(Duration.ZERO)
                .onePhaseMarkers(false)
                .build();

        assertThat(r.lease()).isEqualTo(Duration.ofMillis(301));
        assertThat(r.recordRetention()).isEqualTo(Duration.ofMinutes(1));
        assertThat(r.interval()).isZero();
        assertThat(r.onePhaseMarkers()).isFalse();
        assertThat(r)
                .hasToString(
                        "RecoveryOptions{lease=301 ms, recordRetention=1 min, interval=0 ms, onePhaseMarkers=false}");
    }

    @Test
    void mutateLeavesTheOriginalAlone() {
        RecoveryOptions original =
                RecoveryOptions.builder().onePhaseMarkers(false).build();

        RecoveryOptions changed = original.mutate().lease(Duration.ofSeconds(3)).build();

        assertThat(original.lease()).isEqualTo(RecoveryOptions.DEFAULT_LEASE_DURATION);
        assertThat(changed.lease()).isEqualTo(Duration.ofSeconds(3));
        assertThat(changed.onePhaseMarkers()).isFalse();
        assertThat(changed).isNotEqualTo(original);
        assertThat(original.mutate().build()).isEqualTo(original).hasSameHashCodeAs(original);
    }

    @Test
    void leaseShorterThan100msIsRefusedNamingTheValue() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RecoveryOptions.builder().lease(Duration.ofMillis(99)))
                .withMessage("leaseDuration must be at least 100 ms, was 99 ms");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RecoveryOptions.builder().lease(Duration.ofNanos(1)))
                .withMessage("leaseDuration must be at least 100 ms, was 0.000001 ms");
        assertThat(RecoveryOptions.builder()
                        .lease(Duration.ofMillis(100))
                        .build()
                        .lease())
                .isEqualTo(RecoveryOptions.MIN_LEASE_DURATION);
    }

    @Test
    void nullZeroOrNegativeLeaseIsRefusedNamingFieldAndValue() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RecoveryOptions.builder().lease(null))
                .withMessage("leaseDuration must not be null");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RecoveryOptions.builder().lease(Duration.ZERO))
                .withMessage("leaseDuration must be positive, was 0 ms");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RecoveryOptions.builder().lease(Duration.ofMillis(-250)))
                .withMessage("leaseDuration must be positive, was -250 ms");
    }

    @Test
    void recordRetentionUnderOneMillisecondIsRefused() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RecoveryOptions.builder().recordRetention(Duration.ofNanos(999_999)))
                .withMessage("recordRetention must be at least 1 ms, was 0.999999 ms");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RecoveryOptions.builder().recordRetention(null))
                .withMessage("recordRetention must not be null");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RecoveryOptions.builder().recordRetention(Duration.ZERO))
                .withMessage("recordRetention must be positive, was 0 ms");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RecoveryOptions.builder().recordRetention(Duration.ofMillis(-250)))
                .withMessage("recordRetention must be positive, was -250 ms");
        assertThat(RecoveryOptions.builder()
                        .recordRetention(Duration.ofMillis(1))
                        .build()
                        .recordRetention())
                .isEqualTo(Duration.ofMillis(1));
    }

    @Test
    void intervalZeroTurnsTheServiceOffAndNegativeOrNullIsRefused() {
        assertThat(RecoveryOptions.builder().interval(Duration.ZERO).build().interval())
                .isZero();
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RecoveryOptions.builder().interval(Duration.ofSeconds(-1)))
                .withMessage("recoveryInterval must not be negative, was -1 s");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RecoveryOptions.builder().interval(null))
                .withMessage("recoveryInterval must not be null");
    }
}
