package io.redtx.api.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LockOptionsTest {

    @Test
    void defaultsAreRoutedAThirtySecondLeaseAndATenSecondWait() {
        LockOptions o = LockOptions.defaults();
        assertThat(o.participant()).isEmpty();
        assertThat(o.lease()).isEqualTo(LockOptions.DEFAULT_LEASE).isEqualTo(Duration.ofSeconds(30));
        assertThat(o.waitTime()).isEqualTo(LockOptions.DEFAULT_WAIT_TIME).isEqualTo(Duration.ofSeconds(10));
        assertThat(o)
                .isEqualTo(LockOptions.builder().build())
                .hasSameHashCodeAs(LockOptions.builder().build());
        assertThat(o.toString()).isEqualTo("LockOptions{participant=(routed), lease=30 s, waitTime=10 s}");
    }

    @Test
    void mutateDerivesACopyAndLeavesTheOriginal() {
        LockOptions o = LockOptions.builder()
                .participant("a")
                .lease(Duration.ofSeconds(5))
                .build();
        LockOptions tryOnce = o.mutate().waitTime(Duration.ZERO).build();
        assertThat(tryOnce.participant()).contains("a");
        assertThat(tryOnce.lease()).isEqualTo(Duration.ofSeconds(5));
        assertThat(tryOnce.waitTime()).isZero();
        assertThat(o.waitTime()).isEqualTo(LockOptions.DEFAULT_WAIT_TIME);
        assertThat(o.mutate().participant(null).build().participant()).isEmpty();
    }

    @Test
    void badValuesAreRefusedNamingTheFieldAndTheValue() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> LockOptions.builder().lease(Duration.ofMillis(99)))
                .withMessage("lease must be at least 100 ms, was 99 ms");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> LockOptions.builder().lease(null))
                .withMessage("lease must be at least 100 ms, was null");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> LockOptions.builder().waitTime(Duration.ofMillis(-1)))
                .withMessage("waitTime must be zero or positive, was -1 ms");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> LockOptions.builder().participant(""))
                .withMessageStartingWith("participant must not be empty");
        assertThat(LockOptions.builder().lease(LockOptions.MIN_LEASE).build().lease())
                .isEqualTo(Duration.ofMillis(100));
    }
}
