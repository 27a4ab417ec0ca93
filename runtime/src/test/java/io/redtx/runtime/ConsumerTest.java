package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.redtx.api.KeyCommands;
import io.redtx.api.ParticipantErrorException;
import io.redtx.api.RedtxArgumentException;
import io.redtx.api.TransactionOutcome;
import io.redtx.api.message.ConsumerOptions;
import io.redtx.api.message.Delivery;
import io.redtx.api.message.NoSuchGroupException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** Consumers of a stream's consumer group: at-least-once delivery with backpressure, reclaim and dead-lettering. */
class ConsumerTest extends ThreeParticipantsTestBase {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private static ConsumerOptions.Builder orders() {
        return ConsumerOptions.builder("orders", "g").participant("a").createGroup(true);
    }

    private void publish(RedisTransactionRuntime rt, int n) {
        Flux.range(0, n)
                .concatMap(i -> rt.inTransaction(tx -> tx.on("a").publish("orders", Map.of("order", "" + i))))
                .blockLast(WAIT);
    }

    /** @return how many entries of {@code stream} group {@code group} has delivered and not seen acknowledged */
    @SuppressWarnings("unchecked")
    private static long pending(String stream, String group) {
        return (Long) ((List<Object>) a.command("XPENDING", stream, group)).get(0);
    }

    @Test
    void deliversPublishedMessagesInOrderWithTheirTransactionAndAckEndsThem() {
        RedisTransactionRuntime rt = runtime();
        publish(rt, 5);
        List<Delivery> got = rt.consume(orders().build()).take(5).collectList().block(WAIT);
        assertThat(got).extracting(d -> d.fields().get("order")).containsExactly("0", "1", "2", "3", "4");
        assertThat(got).allSatisfy(d -> {
            assertThat(d.deliveryCount()).isEqualTo(1);
            assertThat(d.transactionId()).isPresent();
            assertThat(d.fields()).containsKey(KeyCommands.TRANSACTION_FIELD);
            assertThat(d.participant()).isEqualTo("a");
        });
        assertThat(pending("orders", "g")).isEqualTo(5);
        Flux.fromIterable(got).concatMap(Delivery::ack).blockLast(WAIT);
        got.get(0).ack().block(WAIT); // twice: harmless
        assertThat(pending("orders", "g")).isZero();
    }

    @Test
    void readsNoMoreThanRequested() {
        RedisTransactionRuntime rt = runtime();
        publish(rt, 20);
        StepVerifier.create(rt.consume(orders().build()), 3)
                .expectNextCount(3)
                .then(() -> assertThat(pending("orders", "g")).isEqualTo(3))
                .thenRequest(2)
                .expectNextCount(2)
                .then(() -> assertThat(pending("orders", "g")).isEqualTo(5))
                .thenCancel()
                .verify(WAIT);
    }

    @Test
    void anIdleConsumerGetsAMessagePublishedLater() {
        RedisTransactionRuntime rt = runtime();
        StepVerifier.create(
                        rt.consume(orders().pollInterval(Duration.ofMillis(20)).build()))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(200))
                .then(() -> publish(rt, 1))
                .assertNext(d -> assertThat(d.fields()).containsEntry("order", "0"))
                .thenCancel()
                .verify(WAIT);
    }

    @Test
    void anEntryLeftPendingIsReclaimedByAnotherConsumerWithAHigherCount() {
        RedisTransactionRuntime rt = runtime();
        publish(rt, 3);
        // The first consumer takes all three and never acknowledges them (it "died").
        assertThat(rt.consume(orders().build()).take(3).collectList().block(WAIT))
                .hasSize(3);
        List<Delivery> again = rt.consume(
                        orders().claimIdle(Duration.ofMillis(100)).build())
                .take(3)
                .collectList()
                .block(WAIT);
        assertThat(again).extracting(d -> d.fields().get("order")).containsExactly("0", "1", "2");
        assertThat(again).allSatisfy(d -> assertThat(d.deliveryCount()).isEqualTo(2));
    }

    @Test
    void aConsumerKeepingItsNameGetsItsOwnPendingEntriesBackAtOnce() {
        RedisTransactionRuntime rt = runtime();
        publish(rt, 2);
        ConsumerOptions named = orders().consumer("worker-1").build();
        assertThat(rt.consume(named).take(2).collectList().block(WAIT)).hasSize(2);
        publish(rt, 1);
        List<Delivery> after = rt.consume(named).take(3).collectList().block(WAIT);
        assertThat(after).extracting(d -> d.fields().get("order")).containsExactly("0", "1", "0");
        assertThat(after).extracting(Delivery::deliveryCount).containsExactly(2L, 2L, 1L);
    }

    @Test
    void anEntryDeliveredTooOftenGoesToTheDeadLetterStream() {
        RedisTransactionRuntime rt = runtime();
        publish(rt, 1);
        ConsumerOptions options =
                orders().claimIdle(Duration.ofMillis(50)).maxDeliveries(2).build();
        Delivery first = rt.consume(options).blockFirst(WAIT);
        Delivery second = rt.consume(options).blockFirst(WAIT);
        assertThat(second.id()).isEqualTo(first.id());
        assertThat(second.deliveryCount()).isEqualTo(2);
        // A third consumer finds it failed twice: buried, not delivered.
        publish(rt, 1);
        Delivery third = rt.consume(
                        options.mutate().pollInterval(Duration.ofMillis(20)).build())
                .delaySubscription(Duration.ofMillis(100))
                .blockFirst(WAIT);
        assertThat(third.fields()).containsEntry("order", "0").isNotEqualTo(first.fields());
        assertThat(third.id()).isNotEqualTo(first.id());
        @SuppressWarnings("unchecked")
        List<List<Object>> dead = (List<List<Object>>) a.command("XRANGE", "orders:dead", "-", "+");
        assertThat(dead).hasSize(1);
        assertThat((List<Object>) dead.get(0).get(1))
                .containsSubsequence("redtx-dead-id", first.id())
                .containsSubsequence("redtx-deliveries", "2")
                .containsSubsequence("order", "0");
        assertThat(pending("orders", "g")).isEqualTo(1); // the third delivery only
    }

    @Test
    void aMissingGroupIsATypedErrorUnlessTheConsumerMayCreateIt() {
        RedisTransactionRuntime rt = runtime();
        publish(rt, 1);
        StepVerifier.create(rt.consume(orders().createGroup(false).build()))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(NoSuchGroupException.class)
                        .hasMessage("consumer group 'g' does not exist on stream 'orders' of participant 'a'"))
                .verify(WAIT);
        StepVerifier.create(rt.consume(ConsumerOptions.builder("empty", "g")
                                .participant("a")
                                .createGroup(true)
                                .pollInterval(Duration.ofMillis(10))
                                .build())
                        .take(Duration.ofMillis(200)))
                .verifyComplete();
        assertThat(a.command("TYPE", "empty")).isEqualTo("stream");
    }

    @Test
    void aKeyOfAnotherTypeIsATypedErrorWithNothingChanged() {
        RedisTransactionRuntime rt = runtime();
        a.command("SET", "orders", "x");
        StepVerifier.create(rt.consume(orders().build()))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(ParticipantErrorException.class)
                        .hasMessageContaining("WRONGTYPE key 'orders' holds a string"))
                .verify(WAIT);
        assertThat(get(a, "orders")).isEqualTo("x");
    }

    @Test
    void badStreamsAreRefusedWhenTheConsumerIsMade() {
        RedisTransactionRuntime rt = runtime();
        assertThatThrownBy(
                        () -> rt.consume(ConsumerOptions.builder("redtx:x", "g").build()))
                .isInstanceOf(RedtxArgumentException.class)
                .hasMessageContaining("inside redtx's internal namespace");
        assertThatThrownBy(() -> rt.consume(orders().participant("nowhere").build()))
                .isInstanceOf(RedtxArgumentException.class)
                .hasMessageContaining("unknown participant 'nowhere'");
        assertThatThrownBy(() -> ConsumerOptions.builder("s", "g").batchSize(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("batchSize must be between 1 and 10000, was 0");
        assertThatThrownBy(() -> ConsumerOptions.builder("s", "").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("group must not be null or empty");
        assertThatThrownBy(() -> ConsumerOptions.builder("s", "g").deadLetterStream("s"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void consumingTransactionallyAppliesEachMessageOnceAndAcknowledgesItWithTheWrites() {
        RedisTransactionRuntime rt = runtime();
        publish(rt, 10);
        List<TransactionOutcome<Delivery, Long>> outcomes = rt.consumeTransactionally(
                        orders().build(), (d, tx) -> tx.on("b").incrBy("stock", -1))
                .take(10)
                .collectList()
                .block(WAIT);
        assertThat(outcomes).allSatisfy(o -> assertThat(o.status()).isEqualTo(TransactionOutcome.Status.COMMITTED));
        assertThat(get(b, "stock")).isEqualTo("-10");
        assertThat(pending("orders", "g")).isZero();
        @SuppressWarnings("unchecked")
        List<Object> markers = (List<Object>) a.command("KEYS", "redtx:pm:*");
        assertThat(markers).hasSize(10);
        assertThat((Long) a.command("PTTL", String.valueOf(markers.get(0))))
                .isPositive()
                .isLessThanOrEqualTo(ConsumerOptions.DEFAULT_PROCESSED_RETENTION.toMillis());
        assertNoIntents();
    }

    @Test
    void aMessageHandledByTwoConsumersAtOnceChangesStateOnce() {
        RedisTransactionRuntime rt = runtime();
        publish(rt, 1);
        // The slow consumer takes the message first and commits last; the other reclaims it meanwhile (the slow one
        // never reclaims, or it would take the message back from itself). Each counts its effect in its own key, so
        // nothing but the processed marker makes them conflict.
        ConsumerOptions options = orders().claimIdle(Duration.ofMillis(100)).build();
        Mono<TransactionOutcome<Delivery, Long>> slow = rt.<Long>consumeTransactionally(
                        options.mutate().claimIdle(Duration.ZERO).build(),
                        (d, tx) -> tx.on("b").incrBy("effects:slow", 1).delayElement(Duration.ofMillis(600)))
                .next();
        Mono<TransactionOutcome<Delivery, Long>> fast = rt.<Long>consumeTransactionally(
                        options, (d, tx) -> tx.on("c").incrBy("effects:fast", 1))
                .next()
                .delaySubscription(Duration.ofMillis(250));
        List<TransactionOutcome<Delivery, Long>> both =
                Flux.merge(slow, fast).collectList().block(WAIT);
        assertThat(both).allSatisfy(o -> assertThat(o.status()).isEqualTo(TransactionOutcome.Status.COMMITTED));
        long effects = count(b, "effects:slow") + count(c, "effects:fast");
        System.out.println("effects of one message handled by two consumers: " + effects);
        assertThat(effects).isEqualTo(1);
        assertThat(pending("orders", "g")).isZero();
    }

    private static long count(io.redtx.test.redis.RedisServer server, String key) {
        Object v = get(server, key);
        return v == null ? 0 : Long.parseLong(String.valueOf(v));
    }
}
