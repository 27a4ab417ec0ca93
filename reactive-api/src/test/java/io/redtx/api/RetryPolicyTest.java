package io.redtx.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class RetryPolicyTest {

    @Test
    void defaultsAreTheDocumentedConstants() {
        RetryPolicy p = RetryPolicy.defaults();

        assertThat(p.maxAttempts()).isEqualTo(RetryPolicy.DEFAULT_MAX_ATTEMPTS).isEqualTo(10);
        assertThat(p.minBackoff()).isEqualTo(RetryPolicy.DEFAULT_MIN_BACKOFF).isEqualTo(Duration.ofMillis(2));
        assertThat(p.maxBackoff()).isEqualTo(RetryPolicy.DEFAULT_MAX_BACKOFF).isEqualTo(Duration.ofMillis(200));
        assertThat(p.jitter()).isEqualTo(RetryPolicy.DEFAULT_JITTER).isEqualTo(0.5);
    }

    @Test
    void anUntouchedBuilderBuildsTheDefaults() {
        assertThat(RetryPolicy.builder().build())
                .isEqualTo(RetryPolicy.defaults())
                .hasSameHashCodeAs(RetryPolicy.defaults());
    }

    @Test
    void noneMakesExactlyOneAttempt() {
        assertThat(RetryPolicy.none().maxAttempts()).isEqualTo(1);
        assertThat(RetryPolicy.none()).isNotEqualTo(RetryPolicy.defaults());
    }

    @Test
    void builderSetsEveryField() {
        RetryPolicy p = RetryPolicy.builder()
                .maxAttempts(3)
                .minBackoff(Duration.ZERO)
                .maxBackoff(Duration.ofSeconds(1))
                .jitter(1.0)
                .build();

        assertThat(p.maxAttempts()).isEqualTo(3);
        assertThat(p.minBackoff()).isEqualTo(Duration.ZERO);
        assertThat(p.maxBackoff()).isEqualTo(Duration.ofSeconds(1));
        assertThat(p.jitter()).isEqualTo(1.0);
        assertThat(p).hasToString("RetryPolicy{maxAttempts=3, minBackoff=PT0S, maxBackoff=PT1S, jitter=1.0}");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, Integer.MIN_VALUE})
    void maxAttemptsBelowOneIsRefusedNamingTheValue(int attempts) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RetryPolicy.builder().maxAttempts(attempts))
                .withMessage("maxAttempts must be >= 1, was " + attempts);
    }

    static Stream<Arguments> backoffSetters() {
        return Stream.of(
                Arguments.of("minBackoff", (Function<Duration, RetryPolicy.Builder>)
                        d -> RetryPolicy.builder().minBackoff(d)),
                Arguments.of("maxBackoff", (Function<Duration, RetryPolicy.Builder>)
                        d -> RetryPolicy.builder().maxBackoff(d)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backoffSetters")
    void nullBackoffIsRefusedNamingTheField(String field, Function<Duration, RetryPolicy.Builder> setter) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> setter.apply(null))
                .withMessage(field + " must not be null");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backoffSetters")
    void negativeBackoffIsRefusedNamingFieldAndValue(String field, Function<Duration, RetryPolicy.Builder> setter) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> setter.apply(Duration.ofMillis(-1)))
                .withMessage(field + " must not be negative, was -1 ms");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backoffSetters")
    void zeroBackoffIsAllowed(String field, Function<Duration, RetryPolicy.Builder> setter) {
        // Zero min and max together: retries without waiting (documented as "zero or positive").
        RetryPolicy p = setter.apply(Duration.ZERO).minBackoff(Duration.ZERO).build();
        assertThat(field.equals("minBackoff") ? p.minBackoff() : p.maxBackoff()).isEqualTo(Duration.ZERO);
    }

    @ParameterizedTest
    @ValueSource(doubles = {-0.1, 1.0001, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
    void jitterOutsideZeroToOneIsRefusedNamingTheValue(double jitter) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RetryPolicy.builder().jitter(jitter))
                .withMessage("jitter must be in [0, 1], was " + jitter);
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, 0.25, 1.0})
    void jitterInsideZeroToOneIsAccepted(double jitter) {
        assertThat(RetryPolicy.builder().jitter(jitter).build().jitter()).isEqualTo(jitter);
    }

    @Test
    void maxBackoffBelowMinBackoffIsRefusedAtBuildNamingBoth() {
        RetryPolicy.Builder builder =
                RetryPolicy.builder().minBackoff(Duration.ofMillis(50)).maxBackoff(Duration.ofMillis(10));

        assertThatIllegalArgumentException()
                .isThrownBy(builder::build)
                .withMessage("maxBackoff (10 ms) must be >= minBackoff (50 ms)");
    }

    @Test
    void minBackoffAboveTheDefaultMaxNeedsAMaxToo() {
        assertThatIllegalArgumentException()
                .isThrownBy(() ->
                        RetryPolicy.builder().minBackoff(Duration.ofSeconds(1)).build())
                .withMessage("maxBackoff (200 ms) must be >= minBackoff (1 s)");
    }

    @Test
    void aRefusedValueLeavesTheBuilderUnchanged() {
        RetryPolicy.Builder builder = RetryPolicy.builder().maxAttempts(4);

        assertThatIllegalArgumentException().isThrownBy(() -> builder.maxAttempts(0));
        assertThatIllegalArgumentException().isThrownBy(() -> builder.minBackoff(Duration.ofMillis(-5)));
        assertThatIllegalArgumentException().isThrownBy(() -> builder.jitter(2));

        RetryPolicy p = builder.build();
        assertThat(p.maxAttempts()).isEqualTo(4);
        assertThat(p.minBackoff()).isEqualTo(RetryPolicy.DEFAULT_MIN_BACKOFF);
        assertThat(p.jitter()).isEqualTo(RetryPolicy.DEFAULT_JITTER);
    }

    @Test
    void changingTheBuilderAfterBuildDoesNotChangeTheBuiltPolicy() {
        RetryPolicy.Builder builder = RetryPolicy.builder().maxAttempts(2);
        RetryPolicy first = builder.build();

        builder.maxAttempts(7).maxBackoff(Duration.ofSeconds(5)).jitter(0);
        RetryPolicy second = builder.build();

        assertThat(first.maxAttempts()).isEqualTo(2);
        assertThat(first.maxBackoff()).isEqualTo(RetryPolicy.DEFAULT_MAX_BACKOFF);
        assertThat(first.jitter()).isEqualTo(RetryPolicy.DEFAULT_JITTER);
        assertThat(second.maxAttempts()).isEqualTo(7);
        assertThat(first).isNotEqualTo(second);
    }

    @Test
    void equalPoliciesAreEqualAndHashAlike() {
        RetryPolicy one = RetryPolicy.builder().maxAttempts(5).jitter(0.1).build();
        RetryPolicy two = RetryPolicy.builder().jitter(0.1).maxAttempts(5).build();

        assertThat(one).isEqualTo(two).hasSameHashCodeAs(two);
        assertThat(one)
                .isNotEqualTo(RetryPolicy.builder().maxAttempts(5).jitter(0.2).build());
    }
}
