package io.redtx.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {

    @Test
    void durationsReadAsPeopleWriteThem() {
        assertThat(Durations.text(Duration.ofMillis(300))).isEqualTo("300 ms");
        assertThat(Durations.text(Duration.ZERO)).isEqualTo("0 ms");
        assertThat(Durations.text(Duration.ofNanos(500_000))).isEqualTo("0.5 ms");
        assertThat(Durations.text(Duration.ofNanos(999_999))).isEqualTo("0.999999 ms");
        assertThat(Durations.text(Duration.ofSeconds(2))).isEqualTo("2 s");
        assertThat(Durations.text(Duration.ofMillis(1500))).isEqualTo("1.5 s");
        assertThat(Durations.text(Duration.ofSeconds(90))).isEqualTo("90 s");
        assertThat(Durations.text(Duration.ofMinutes(5))).isEqualTo("5 min");
        assertThat(Durations.text(Duration.ofHours(2))).isEqualTo("2 h");
        assertThat(Durations.text(Duration.ofMinutes(150))).isEqualTo("150 min");
        assertThat(Durations.text(Duration.ofSeconds(-1))).isEqualTo("-1 s");
        assertThat(Durations.text(Duration.ofDays(3))).isEqualTo("72 h");
        assertThat(Durations.text(null)).isEqualTo("null");
    }
}
