package io.redtx.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AdmissionOptionsTest {

    @Test
    void defaultsAreTheDocumentedConstants() {
        AdmissionOptions a = AdmissionOptions.builder().build();

        assertThat(a.maxInFlight())
                .isEqualTo(AdmissionOptions.DEFAULT_MAX_IN_FLIGHT)
                .isEqualTo(1024);
        assertThat(a.overflow()).isEqualTo(AdmissionOptions.Overflow.WAIT);
        assertThat(a.maxWaiting())
                .isEqualTo(AdmissionOptions.DEFAULT_MAX_WAITING)
                .isEqualTo(1024);
        assertThat(a.timeout())
                .isEqualTo(AdmissionOptions.DEFAULT_ADMISSION_TIMEOUT)
                .isEqualTo(Duration.ofSeconds(1));
        assertThat(a).isEqualTo(AdmissionOptions.defaults()).hasSameHashCodeAs(AdmissionOptions.defaults());
    }

    @Test
    void builderSetsEveryField() {
        AdmissionOptions a = AdmissionOptions.builder()
                .maxInFlight(16)
                .overflow(AdmissionOptions.Overflow.REJECT)
                .maxWaiting(3)
                .timeout(Duration.ofMillis(7))
                .build();

        assertThat(a.maxInFlight()).isEqualTo(16);
        assertThat(a.overflow()).isEqualTo(AdmissionOptions.Overflow.REJECT);
        assertThat(a.maxWaiting()).isEqualTo(3);
        assertThat(a.timeout()).isEqualTo(Duration.ofMillis(7));
        assertThat(a).hasToString("AdmissionOptions{maxInFlight=16, overflow=REJECT, maxWaiting=3, timeout=7 ms}");
    }

    @Test
    void mutateLeavesTheOriginalAlone() {
        AdmissionOptions original = AdmissionOptions.builder().maxWaiting(5).build();

        AdmissionOptions changed =
                original.mutate().overflow(AdmissionOptions.Overflow.REJECT).build();

        assertThat(original.overflow()).isEqualTo(AdmissionOptions.Overflow.WAIT);
        assertThat(changed.overflow()).isEqualTo(AdmissionOptions.Overflow.REJECT);
        assertThat(changed.maxWaiting()).isEqualTo(5);
        assertThat(changed).isNotEqualTo(original);
        assertThat(original.mutate().build()).isEqualTo(original).hasSameHashCodeAs(original);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -3})
    void limitsBelowOneAreRefusedNamingTheValue(int limit) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AdmissionOptions.builder().maxInFlight(limit))
                .withMessage("maxInFlight must be >= 1, was " + limit);
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AdmissionOptions.builder().maxWaiting(limit))
                .withMessage("maxWaiting must be >= 1, was " + limit);
    }

    @Test
    void nullOverflowIsRefused() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AdmissionOptions.builder().overflow(null))
                .withMessage("overflow must not be null");
    }

    @Test
    void nullZeroOrNegativeTimeoutIsRefusedNamingFieldAndValue() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AdmissionOptions.builder().timeout(null))
                .withMessage("admissionTimeout must not be null");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AdmissionOptions.builder().timeout(Duration.ZERO))
                .withMessage("admissionTimeout must be positive, was 0 ms");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AdmissionOptions.builder().timeout(Duration.ofMillis(-250)))
                .withMessage("admissionTimeout must be positive, was -250 ms");
    }
}
