package io.redtx.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class TransactionOptionsTest {

    @Test
    void defaultsLeaveEverythingToTheRuntime() {
        TransactionOptions o = TransactionOptions.defaults();

        assertThat(o.timeout()).isEmpty();
        assertThat(o.retryPolicy()).isEmpty();
        assertThat(o.readOnly()).isFalse();
        assertThat(TransactionOptions.builder().build()).isEqualTo(o).hasSameHashCodeAs(o);
        assertThat(o).hasToString("TransactionOptions{timeout=runtime's, retryPolicy=runtime's, readOnly=false}");
    }

    @Test
    void builderSetsEveryField() {
        RetryPolicy retries = RetryPolicy.builder().maxAttempts(3).build();
        TransactionOptions o = TransactionOptions.builder()
                .timeout(Duration.ofMillis(1500))
                .retryPolicy(retries)
                .readOnly(true)
                .build();

        assertThat(o.timeout()).contains(Duration.ofMillis(1500));
        assertThat(o.retryPolicy()).contains(retries);
        assertThat(o.readOnly()).isTrue();
        assertThat(o).isNotEqualTo(TransactionOptions.defaults());
        assertThat(o.toString()).startsWith("TransactionOptions{timeout=1.5 s, retryPolicy=RetryPolicy{");
    }

    @Test
    void badValuesAreRefusedAtOnceWithTheirName() {
        TransactionOptions.Builder b = TransactionOptions.builder();

        assertThatIllegalArgumentException()
                .isThrownBy(() -> b.timeout(Duration.ZERO))
                .withMessage("timeout must be positive, was 0 ms");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> b.timeout(Duration.ofSeconds(-1)))
                .withMessage("timeout must be positive, was -1 s");
        assertThatIllegalArgumentException().isThrownBy(() -> b.timeout(null)).withMessage("timeout must not be null");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> b.retryPolicy(null))
                .withMessage("retryPolicy must not be null");
    }
}
