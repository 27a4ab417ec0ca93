package io.redtx.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LimitOptionsTest {

    @Test
    void defaultsAreTheDocumentedConstants() {
        LimitOptions l = LimitOptions.builder().build();

        assertThat(l.maxValueBytes())
                .isEqualTo(LimitOptions.DEFAULT_MAX_VALUE_BYTES)
                .isEqualTo(1024 * 1024);
        assertThat(l.maxKeysPerTransaction())
                .isEqualTo(LimitOptions.DEFAULT_MAX_KEYS_PER_TRANSACTION)
                .isEqualTo(1000);
        assertThat(l).isEqualTo(LimitOptions.defaults()).hasSameHashCodeAs(LimitOptions.defaults());
    }

    @Test
    void builderSetsEveryField() {
        LimitOptions l = LimitOptions.builder()
                .maxValueBytes(1)
                .maxKeysPerTransaction(5000)
                .build();

        assertThat(l.maxValueBytes()).isEqualTo(1);
        assertThat(l.maxKeysPerTransaction()).isEqualTo(5000);
        assertThat(l).hasToString("LimitOptions{maxValueBytes=1, maxKeysPerTransaction=5000}");
    }

    @Test
    void mutateLeavesTheOriginalAlone() {
        LimitOptions original = LimitOptions.builder().maxKeysPerTransaction(10).build();

        LimitOptions changed = original.mutate().maxValueBytes(16).build();

        assertThat(original.maxValueBytes()).isEqualTo(LimitOptions.DEFAULT_MAX_VALUE_BYTES);
        assertThat(changed.maxValueBytes()).isEqualTo(16);
        assertThat(changed.maxKeysPerTransaction()).isEqualTo(10);
        assertThat(changed).isNotEqualTo(original);
        assertThat(original.mutate().build()).isEqualTo(original).hasSameHashCodeAs(original);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1})
    void maxValueBytesBelowOneIsRefusedNamingTheValue(int bytes) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> LimitOptions.builder().maxValueBytes(bytes))
                .withMessage("maxValueBytes must be >= 1, was " + bytes);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -7})
    void maxKeysPerTransactionBelowOneIsRefusedNamingTheValue(int keys) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> LimitOptions.builder().maxKeysPerTransaction(keys))
                .withMessage("maxKeysPerTransaction must be >= 1, was " + keys);
    }

    @Test
    void maxKeysPerTransactionAbove5000IsRefusedNamingTheValue() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> LimitOptions.builder().maxKeysPerTransaction(5001))
                .withMessage("maxKeysPerTransaction must be <= 5000, was 5001");
    }
}
