package io.redtx.relay.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.redtx.api.message.ConsumerOptions;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RabbitRelayOptionsTest {

    private static final ConsumerOptions CONSUMER =
            ConsumerOptions.builder("orders", "relay").build();

    @Test
    void defaults() {
        RabbitRelayOptions options =
                RabbitRelayOptions.builder(CONSUMER, "orders").build();
        assertThat(options.consumer()).isEqualTo(CONSUMER);
        assertThat(options.exchange()).isEqualTo("orders");
        assertThat(options.maxInFlight()).isEqualTo(RabbitRelayOptions.DEFAULT_MAX_IN_FLIGHT);
        assertThat(options.confirmTimeout()).isEqualTo(RabbitRelayOptions.DEFAULT_CONFIRM_TIMEOUT);
        assertThat(options.persistent()).isTrue();
        assertThat(options.maxAttempts()).isEqualTo(Long.MAX_VALUE);
        assertThat(options.bodyField()).isEqualTo("body");
        assertThat(options.contentType()).isNull();
    }

    @Test
    void theDefaultRoutingKeyIsTheStreamAndAFixedOneIsKept() {
        FakeStream stream = new FakeStream("orders", 1);
        assertThat(RabbitRelayOptions.builder(CONSUMER, "x")
                        .build()
                        .routingKey()
                        .apply(stream.deliveries.get(0)))
                .isEqualTo("orders");
        RabbitRelayOptions fixed =
                RabbitRelayOptions.builder(CONSUMER, "x").routingKey("rk").build();
        assertThat(fixed.routingKey().apply(stream.deliveries.get(0))).isEqualTo("rk");
        assertThat(fixed.mutate().build()).isEqualTo(fixed);
        assertThat(fixed.toString()).contains("routingKey='rk'", "maxInFlight=256", "confirmTimeout=30 s");
    }

    @Test
    void badValuesAreRefusedNamingTheFieldAndTheValue() {
        RabbitRelayOptions.Builder b = RabbitRelayOptions.builder(CONSUMER, "x");
        assertThatThrownBy(() -> RabbitRelayOptions.builder(null, "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("consumer");
        assertThatThrownBy(() -> RabbitRelayOptions.builder(CONSUMER, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("exchange");
        assertThatThrownBy(() -> b.maxInFlight(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxInFlight must be between 1 and 65535, was 0");
        assertThatThrownBy(() -> b.confirmTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("confirmTimeout must be positive, was 0 ms");
        assertThatThrownBy(() -> b.backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxBackoff must be at least minBackoff (2 s), was 1 s");
        assertThatThrownBy(() -> b.maxAttempts(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxAttempts must be at least 1, was 0");
        assertThatThrownBy(() -> b.routingKey((String) null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("routingKey");
        assertThatThrownBy(() -> b.bodyField(""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bodyField");
        assertThatThrownBy(() -> b.contentType(""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("contentType");
    }
}
