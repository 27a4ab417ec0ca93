package io.redtx.relay.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.message.ConsumerOptions;
import io.redtx.runtime.RedisTransactionRuntime;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * The relay end to end: transactions publish to a stream on a real Redis, the relay reads it through a real consumer
 * group and publishes to a real broker, and a test consumer on a durable queue records what arrives.
 */
@RedisTest
class RabbitRelayTest {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String STREAM = "orders";
    private static final String GROUP = "rabbit-relay";

    private TransactionRuntime runtime;
    private final List<Disposable> running = new ArrayList<>();

    @AfterEach
    void close() {
        running.forEach(Disposable::dispose);
        if (runtime != null) {
            runtime.closeGracefully().block(Duration.ofSeconds(30));
        }
    }

    private TransactionRuntime runtime(RedisServer redis) {
        runtime = RedisTransactionRuntime.create(RuntimeOptions.builder()
                .participant("p", redis.uri())
                .recovery(r -> r.interval(Duration.ZERO))
                .build());
        return runtime;
    }

    private static ConsumerOptions.Builder consumer() {
        return ConsumerOptions.builder(STREAM, GROUP)
                .participant("p")
                .createGroup(true)
                .pollInterval(Duration.ofMillis(20));
    }

    /** Commits one transaction per message, one after the other. */
    private void publish(int from, int count) {
        Flux.range(from, count)
                .concatMap(i -> runtime.inTransaction(tx -> tx.on("p")
                        .publish(STREAM, Map.of("body", "order-" + i, "n", String.valueOf(i)))
                        .thenReturn(tx.id())))
                .blockLast(WAIT);
    }

    /** The messageIds the relay must produce: one per entry of the stream, {@code p/<stream>/<entry id>}. */
    @SuppressWarnings("unchecked")
    private static Map<String, String> entries(RedisServer redis) {
        List<Object> range = (List<Object>) redis.command("XRANGE", STREAM, "-", "+");
        Map<String, String> expected = new ConcurrentHashMap<>();
        for (Object o : range) {
            List<Object> entry = (List<Object>) o;
            List<Object> fields = (List<Object>) entry.get(1);
            Map<String, String> map = new ConcurrentHashMap<>();
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                map.put(fields.get(i).toString(), fields.get(i + 1).toString());
            }
            expected.put("p/" + STREAM + "/" + entry.get(0), map.get("redtx-tx") + "|" + map.get("body"));
        }
        return expected;
    }

    @SuppressWarnings("unchecked")
    private static long pending(RedisServer redis) {
        List<Object> reply;
        try {
            reply = (List<Object>) redis.command("XPENDING", STREAM, GROUP);
        } catch (RuntimeException e) {
            if (String.valueOf(e.getMessage()).contains("NOGROUP")) {
                return 0; // the relay's consumer has not made the group yet
            }
            throw e;
        }
        return ((Number) reply.get(0)).longValue();
    }

    private static void noError(AtomicReference<Throwable> error) {
        if (error.get() != null) {
            throw new AssertionError("the relay or the producer failed", error.get());
        }
    }

    private Disposable start(RabbitRelay relay, AtomicReference<Throwable> error) {
        Disposable d = relay.run().subscribe(m -> {}, error::set);
        running.add(d);
        return d;
    }

    private static void awaitAll(
            TestQueue queue, RedisServer redis, Set<String> expected, AtomicReference<Throwable> error) {
        Await.until(
                WAIT,
                "every message received and no entry pending",
                () -> {
                    noError(error);
                    return queue.countsByMessageId().keySet().containsAll(expected) && pending(redis) == 0;
                },
                () -> "received " + queue.countsByMessageId().size() + " of " + expected.size() + ", pending "
                        + pending(redis));
    }

    @BrokerTest
    void everyCommittedMessageArrivesExactlyOnceWithAUniqueMessageId(TestBroker broker, RedisServer redis)
            throws Exception {
        runtime(redis);
        publish(0, 100);
        try (TestQueue queue = TestQueue.declare(broker)) {
            RabbitRelay relay = RabbitRelay.create(
                    runtime,
                    broker.connectionFactory(),
                    RabbitRelayOptions.builder(consumer().build(), queue.exchange)
                            .build());
            AtomicReference<Throwable> error = new AtomicReference<>();
            start(relay, error);
            publish(100, 100); // committed while the relay runs

            Map<String, String> expected = entries(redis);
            assertThat(expected).hasSize(200);
            awaitAll(queue, redis, expected.keySet(), error);
            Thread.sleep(300); // a repeat, were there one, would come in by now

            List<TestQueue.Received> received = queue.received();
            assertThat(received).hasSize(200);
            assertThat(queue.countsByMessageId())
                    .allSatisfy((id, n) -> assertThat(n).isOne());
            for (TestQueue.Received r : received) {
                assertThat(r.header(RabbitRelay.TRANSACTION_HEADER) + "|" + r.body())
                        .as("message %s", r.messageId())
                        .isEqualTo(expected.get(r.messageId()));
            }
            assertThat(relay.unconfirmed()).isZero();
        }
    }

    @BrokerTest
    void aBrokerRestartMidRunLosesNothingAndRepeatsOnlyWithTheSameMessageId(TestBroker broker, RedisServer redis)
            throws Exception {
        assumeTrue(broker.canRestart(), "this broker cannot be restarted from the test");
        runtime(redis);
        int count = 400;
        try (TestQueue queue = TestQueue.declare(broker)) {
            RabbitRelay relay = RabbitRelay.create(
                    runtime,
                    broker.connectionFactory(),
                    RabbitRelayOptions.builder(consumer().build(), queue.exchange)
                            .maxInFlight(32)
                            .confirmTimeout(Duration.ofSeconds(5))
                            .backoff(Duration.ofMillis(50), Duration.ofMillis(500))
                            .build());
            AtomicReference<Throwable> error = new AtomicReference<>();
            start(relay, error);
            // Transactions keep committing, paced so that they span the restart (Redis is not the part that goes
            // away): some are in flight when the broker stops, some commit while it is down, some after.
            AtomicInteger committed = new AtomicInteger();
            Disposable producer = Flux.range(0, count)
                    .concatMap(i -> Mono.delay(Duration.ofMillis(10))
                            .then(runtime.inTransaction(tx -> tx.on("p")
                                    .publish(STREAM, Map.of("body", "order-" + i))
                                    .doOnSuccess(v -> committed.incrementAndGet()))))
                    .subscribe(v -> {}, error::set);
            running.add(producer);

            Await.until(
                    WAIT,
                    "some messages relayed",
                    () -> {
                        noError(error);
                        return queue.received().size() >= 30;
                    },
                    queue::received);
            broker.stop();
            int atStop = committed.get();
            Await.until(
                    WAIT,
                    "transactions committed while the broker is down",
                    () -> {
                        noError(error);
                        return committed.get() >= Math.min(count, atStop + 10);
                    },
                    committed::get);
            Thread.sleep(300);
            broker.start();

            Await.until(
                    WAIT,
                    "every transaction committed",
                    () -> {
                        noError(error);
                        return committed.get() == count;
                    },
                    committed::get);
            Map<String, String> expected = entries(redis);
            assertThat(expected).hasSize(count);
            awaitAll(queue, redis, expected.keySet(), error);

            Map<String, Integer> counts = queue.countsByMessageId();
            assertThat(counts.keySet()).isEqualTo(expected.keySet());
            // A repeat is the same message: same id, same transaction, same body.
            for (TestQueue.Received r : queue.received()) {
                assertThat(r.header(RabbitRelay.TRANSACTION_HEADER) + "|" + r.body())
                        .isEqualTo(expected.get(r.messageId()));
            }
            assertThat(pending(redis)).isZero();
            assertThat(relay.connections())
                    .as("connections opened, reconnects included")
                    .isGreaterThanOrEqualTo(2);
        }
    }

    @BrokerTest
    void aMissingExchangeFailsTypedAndLeavesTheEntriesPending(TestBroker broker, RedisServer redis) throws Exception {
        runtime(redis);
        publish(0, 5);
        String missing = "redtx-missing-" + UUID.randomUUID();
        RabbitRelay relay = RabbitRelay.create(
                runtime,
                broker.connectionFactory(),
                RabbitRelayOptions.builder(
                                consumer().claimIdle(Duration.ofSeconds(1)).build(), missing)
                        .build());

        relay.run()
                .as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOfSatisfying(
                                RabbitRelayRefusedException.class,
                                refused -> assertThat(refused.replyCode()).isEqualTo(404))
                        .hasMessageContaining(missing))
                .verify(WAIT);
        // Read, not acknowledged: every entry the relay took is still pending.
        long pending = pending(redis);
        assertThat(pending).isBetween(1L, 5L);

        // Nothing lost: once the exchange exists, a new relay delivers all five (the pending ones once reclaimed).
        try (TestQueue queue = TestQueue.declare(broker)) {
            RabbitRelay fixed = RabbitRelay.create(
                    runtime,
                    broker.connectionFactory(),
                    RabbitRelayOptions.builder(
                                    consumer().claimIdle(Duration.ofSeconds(1)).build(), queue.exchange)
                            .build());
            AtomicReference<Throwable> error = new AtomicReference<>();
            start(fixed, error);
            awaitAll(queue, redis, entries(redis).keySet(), error);
        }
    }

    @BrokerTest
    void withARealConsumerGroupNoMoreThanMaxInFlightAreReadOrUnconfirmed(TestBroker broker, RedisServer redis)
            throws Exception {
        runtime(redis);
        int count = 60;
        int maxInFlight = 3;
        publish(0, count);
        try (TestQueue queue = TestQueue.declare(broker)) {
            RabbitRelay relay = RabbitRelay.create(
                    runtime,
                    broker.connectionFactory(),
                    RabbitRelayOptions.builder(consumer().batchSize(10).build(), queue.exchange)
                            .maxInFlight(maxInFlight)
                            .build());
            AtomicReference<Throwable> error = new AtomicReference<>();
            start(relay, error);
            Set<Long> pendingSeen = new HashSet<>();
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (queue.countsByMessageId().size() < count && System.nanoTime() < deadline) {
                pendingSeen.add(pending(redis));
                noError(error);
            }
            awaitAll(queue, redis, entries(redis).keySet(), error);

            assertThat(pendingSeen.stream().mapToLong(Long::longValue).max().orElse(0))
                    .as("entries read and not acknowledged, sampled: %s", pendingSeen)
                    .isLessThanOrEqualTo(maxInFlight);
            assertThat(relay.peakUnconfirmed()).isBetween(1, maxInFlight);
            assertThat(queue.received().stream()
                            .map(TestQueue.Received::messageId)
                            .collect(Collectors.toSet()))
                    .hasSize(count);
        }
    }
}
