package io.redtx.relay.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.message.ConsumerOptions;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/**
 * The relay's own behaviour against a real broker, fed by a stand-in consumer group that counts what the relay asks
 * for and acknowledges: the bound on unconfirmed messages, what a message carries, and refusals. The same paths with a
 * real stream and consumer group are in {@link RabbitRelayTest}.
 */
class RelayBoundsTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ConsumerOptions CONSUMER =
            ConsumerOptions.builder("orders", "relay").build();

    @BrokerTest
    void neverMoreUnconfirmedOrReadAheadThanMaxInFlight(TestBroker broker) throws Exception {
        int maxInFlight = 4;
        int count = 100;
        FakeStream stream = new FakeStream("orders", count);
        try (TestQueue queue = TestQueue.declare(broker)) {
            RabbitRelay relay = new RabbitRelay(
                    stream::consume,
                    broker.connectionFactory(),
                    RabbitRelayOptions.builder(CONSUMER, queue.exchange)
                            .maxInFlight(maxInFlight)
                            .build());
            relay.run()
                    .take(count)
                    .as(StepVerifier::create)
                    .expectNextCount(count)
                    .expectComplete()
                    .verify(WAIT);

            assertThat(relay.peakUnconfirmed()).isBetween(1, maxInFlight);
            assertThat(stream.maxRequestedAheadOfAcks()).isBetween(1L, (long) maxInFlight);
            assertThat(stream.acked).hasSize(count);
            Await.until(WAIT, "every message received", () -> queue.received().size() >= count, queue::received);
            assertThat(relay.unconfirmed()).isZero();
        }
    }

    @BrokerTest
    void aMessageCarriesItsEntryIdTransactionAndFields(TestBroker broker) throws Exception {
        FakeStream stream = new FakeStream("orders", 3);
        try (TestQueue queue = TestQueue.declare(broker)) {
            RabbitRelay relay = new RabbitRelay(
                    stream::consume,
                    broker.connectionFactory(),
                    RabbitRelayOptions.builder(CONSUMER, queue.exchange)
                            .contentType("text/plain")
                            .build());
            relay.run().take(3).then().as(StepVerifier::create).expectComplete().verify(WAIT);

            Await.until(WAIT, "3 messages received", () -> queue.received().size() >= 3, queue::received);
            Map<String, TestQueue.Received> byId =
                    queue.received().stream().collect(Collectors.toMap(TestQueue.Received::messageId, r -> r));
            TestQueue.Received first = byId.get("p/orders/1000-0");
            assertThat(first).isNotNull();
            assertThat(first.body()).isEqualTo("message-0");
            assertThat(first.deliveryMode()).isEqualTo(2);
            assertThat(first.header(RabbitRelay.TRANSACTION_HEADER)).isEqualTo("tx-0");
            assertThat(first.header(RabbitRelay.STREAM_HEADER)).isEqualTo("orders");
            assertThat(first.header(RabbitRelay.ENTRY_HEADER)).isEqualTo("1000-0");
            assertThat(first.header(RabbitRelay.PARTICIPANT_HEADER)).isEqualTo("p");
            assertThat(first.header("type")).isEqualTo("order");
            assertThat(first.headers()).doesNotContainKeys("body", "redtx-tx");
        }
    }

    @BrokerTest
    void aMissingExchangeIsRefusedAndNothingIsAcknowledged(TestBroker broker) {
        FakeStream stream = new FakeStream("orders", 10);
        RabbitRelay relay = new RabbitRelay(
                stream::consume,
                broker.connectionFactory(),
                RabbitRelayOptions.builder(CONSUMER, "redtx-no-such-exchange").build());

        relay.run()
                .as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOfSatisfying(RabbitRelayRefusedException.class, refused -> {
                            assertThat(refused.replyCode()).isEqualTo(404);
                            assertThat(refused.exchange()).isEqualTo("redtx-no-such-exchange");
                        })
                        .hasMessageContaining("redtx-no-such-exchange")
                        .hasMessageContaining("404"))
                .verify(WAIT);
        assertThat(stream.acked).isEmpty();
        assertThat(relay.unconfirmed()).isZero();
    }

    @BrokerTest
    void aRefusedLoginIsRefusedAndNothingIsAcknowledged(TestBroker broker) {
        FakeStream stream = new FakeStream("orders", 10);
        com.rabbitmq.client.ConnectionFactory factory = broker.connectionFactory();
        factory.setPassword("not-the-password");
        RabbitRelay relay = new RabbitRelay(
                stream::consume,
                factory,
                RabbitRelayOptions.builder(CONSUMER, "").build());

        relay.run()
                .as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOfSatisfying(
                                RabbitRelayRefusedException.class,
                                // RabbitMQ says 403 ACCESS_REFUSED; Qpid closes the connection with 530 NOT_ALLOWED.
                                refused -> assertThat(refused.replyCode()).isIn(403, 530)))
                .verify(WAIT);
        assertThat(stream.acked).isEmpty();
    }

    @Test
    void anUnreachableBrokerFailsAfterMaxAttemptsAndNothingIsAcknowledged() throws Exception {
        int port;
        try (java.net.ServerSocket socket =
                new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort(); // closed again: nothing listens there any more
        }
        com.rabbitmq.client.ConnectionFactory factory = new com.rabbitmq.client.ConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setPort(port);
        factory.setConnectionTimeout(1_000);
        FakeStream stream = new FakeStream("orders", 3);
        RabbitRelay relay = new RabbitRelay(
                stream::consume,
                factory,
                RabbitRelayOptions.builder(CONSUMER, "x")
                        .maxAttempts(3)
                        .backoff(Duration.ofMillis(10), Duration.ofMillis(50))
                        .build());

        relay.run()
                .as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(RabbitRelayPublishException.class)
                        .hasMessageContaining("broker"))
                .verify(WAIT);
        assertThat(stream.acked).isEmpty();
        assertThat(relay.unconfirmed()).isZero();
    }
}
