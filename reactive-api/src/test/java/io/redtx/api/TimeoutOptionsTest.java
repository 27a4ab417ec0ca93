package io.redtx.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TimeoutOptionsTest {

    @Test
    void defaultsAreTheDocumentedConstants() {
        TimeoutOptions t = TimeoutOptions.builder().build();

        assertThat(t.prepare())
                .isEqualTo(TimeoutOptions.DEFAULT_PREPARE_TIMEOUT)
                .isEqualTo(Duration.ofSeconds(2));
        assertThat(t.commit()).isEqualTo(TimeoutOptions.DEFAULT_COMMIT_TIMEOUT).isEqualTo(Duration.ofSeconds(2));
        assertThat(t.read()).isEqualTo(TimeoutOptions.DEFAULT_READ_TIMEOUT).isEqualTo(Duration.ofSeconds(2));
        assertThat(t.connect())
                .isEqualTo(TimeoutOptions.DEFAULT_CONNECT_TIMEOUT)
                .isEqualTo(Duration.ofSeconds(10));
        assertThat(t.transaction())
                .isEqualTo(TimeoutOptions.DEFAULT_TRANSACTION_TIMEOUT)
                .isEqualTo(Duration.ofSeconds(30));
        assertThat(t).isEqualTo(TimeoutOptions.defaults()).hasSameHashCodeAs(TimeoutOptions.defaults());
    }

    @Test
    void builderSetsEveryField() {
        TimeoutOptions t = TimeoutOptions.builder()
                .prepare(Duration.ofMillis(100))
                .commit(Duration.ofMillis(200))
                .read(Duration.ofMillis(300))
                .connect(Duration.ofMillis(400))
                .transaction(Duration.ofMillis(500))
                .intentWait(Duration.ofMillis(600))
                .build();

        assertThat(t.prepare()).isEqualTo(Duration.ofMillis(100));
        assertThat(t.commit()).isEqualTo(Duration.ofMillis(200));
        assertThat(t.read()).isEqualTo(Duration.ofMillis(300));
        assertThat(t.connect()).isEqualTo(Duration.ofMillis(400));
        assertThat(t.transaction()).isEqualTo(Duration.ofMillis(500));
        assertThat(t.intentWait()).isEqualTo(Duration.ofMillis(600));
        assertThat(t)
                .hasToString("TimeoutOptions{prepare=100 ms, commit=200 ms, read=300 ms, intentWait=600 ms, connect=400"
                        + " ms, transaction=500 ms}");
        assertThat(TimeoutOptions.builder().intentWait(Duration.ZERO).build().intentWait())
                .isZero();
        assertThatIllegalArgumentException()
                .isThrownBy(() -> TimeoutOptions.builder().intentWait(Duration.ofMillis(-1)))
                .withMessage("intentWait must not be negative, was -1 ms");
    }

    @Test
    void mutateLeavesTheOriginalAlone() {
        TimeoutOptions original =
                TimeoutOptions.builder().commit(Duration.ofMillis(200)).build();

        TimeoutOptions changed =
                original.mutate().prepare(Duration.ofSeconds(1)).build();

        assertThat(original.prepare()).isEqualTo(TimeoutOptions.DEFAULT_PREPARE_TIMEOUT);
        assertThat(changed.prepare()).isEqualTo(Duration.ofSeconds(1));
        assertThat(changed.commit()).isEqualTo(Duration.ofMillis(200));
        assertThat(changed).isNotEqualTo(original);
        assertThat(original.mutate().build()).isEqualTo(original).hasSameHashCodeAs(original);
    }

    static Stream<Arguments> setters() {
        return Stream.of(
                setter("prepareTimeout", TimeoutOptions.Builder::prepare),
                setter("commitTimeout", TimeoutOptions.Builder::commit),
                setter("readTimeout", TimeoutOptions.Builder::read),
                setter("connectTimeout", TimeoutOptions.Builder::connect),
                setter("transactionTimeout", TimeoutOptions.Builder::transaction));
    }

    private static Arguments setter(
            String field, BiFunction<TimeoutOptions.Builder, Duration, TimeoutOptions.Builder> setter) {
        return Arguments.of(field, setter);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("setters")
    void nullIsRefusedNamingTheField(
            String field, BiFunction<TimeoutOptions.Builder, Duration, TimeoutOptions.Builder> setter) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> setter.apply(TimeoutOptions.builder(), null))
                .withMessage(field + " must not be null");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("setters")
    void zeroIsRefusedNamingFieldAndValue(
            String field, BiFunction<TimeoutOptions.Builder, Duration, TimeoutOptions.Builder> setter) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> setter.apply(TimeoutOptions.builder(), Duration.ZERO))
                .withMessage(field + " must be positive, was 0 ms");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("setters")
    void negativeIsRefusedNamingFieldAndValue(
            String field, BiFunction<TimeoutOptions.Builder, Duration, TimeoutOptions.Builder> setter) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> setter.apply(TimeoutOptions.builder(), Duration.ofMillis(-250)))
                .withMessage(field + " must be positive, was -250 ms");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("setters")
    void smallestPositiveIsAccepted(
            String field, BiFunction<TimeoutOptions.Builder, Duration, TimeoutOptions.Builder> setter) {
        TimeoutOptions.Builder builder = TimeoutOptions.builder();
        assertThat(setter.apply(builder, Duration.ofNanos(1))).isSameAs(builder);
    }

    @Test
    void aRefusedValueLeavesTheBuilderUnchanged() {
        TimeoutOptions.Builder builder = TimeoutOptions.builder().read(Duration.ofMillis(700));

        assertThatIllegalArgumentException().isThrownBy(() -> builder.read(Duration.ZERO));

        assertThat(builder.build().read()).isEqualTo(Duration.ofMillis(700));
    }
}
