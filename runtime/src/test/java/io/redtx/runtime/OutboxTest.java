package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.KeyCommands;
import io.redtx.api.ParticipantErrorException;
import io.redtx.api.RedtxArgumentException;
import io.redtx.api.RetryPolicy;
import io.redtx.api.StreamTrim;
import io.redtx.api.TransactionConflictException;
import io.redtx.runtime.internal.protocol.ProtocolHooks;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** Messages published with a transaction: on the stream if and only if the transaction committed. */
class OutboxTest extends ThreeParticipantsTestBase {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private static long length(String stream) {
        return (Long) a.command("XLEN", stream);
    }

    /** The fields of every entry of {@code stream}, oldest first. */
    @SuppressWarnings("unchecked")
    private static List<List<Object>> entries(String stream) {
        return ((List<List<Object>>) a.command("XRANGE", stream, "-", "+"))
                .stream().map(e -> (List<Object>) e.get(1)).toList();
    }

    @Test
    void aMessageIsAppendedWithAOnePhaseCommitAndCarriesTheTransactionId() {
        RedisTransactionRuntime rt = runtime();
        String id = rt.inTransactionWithResult(tx -> tx.on("a")
                        .set("order:1", "placed")
                        .then(tx.on("a").publish("orders", Map.of("order", "1", "event", "OrderPlaced")))
                        .then(tx.on("a").publish("orders", Map.of("order", "1", "event", "Second"))))
                .block(WAIT)
                .commit()
                .transactionId();
        List<List<Object>> entries = entries("orders");
        assertThat(entries).hasSize(2);
        assertThat(entries.get(0)).containsSubsequence(KeyCommands.TRANSACTION_FIELD, id);
        assertThat(entries.get(0)).contains("OrderPlaced");
        assertThat(entries.get(1)).contains("Second"); // in the order published
    }

    @Test
    void aMessageOfATwoPhaseCommitIsAppendedWithItsWritesOnTheOtherShards() {
        RedisTransactionRuntime rt = runtime();
        rt.inTransaction(tx -> tx.on("b").set("stock:9", "4").then(tx.on("a").publish("orders", Map.of("order", "9"))))
                .block(WAIT);
        assertThat(length("orders")).isEqualTo(1);
        assertThat(get(b, "stock:9")).isEqualTo("4");
    }

    @Test
    void noMessageIsAppendedByATransactionThatDidNotCommit() {
        RedisTransactionRuntime rt = runtime(o -> o.retryPolicy(RetryPolicy.none()));
        StepVerifier.create(rt.inTransaction(tx -> tx.on("a")
                        .publish("orders", Map.of("order", "2"))
                        .then(Mono.error(new IllegalStateException("work failed")))))
                .expectErrorMessage("work failed")
                .verify(WAIT);
        // A conflict at the commit: the value read changed before it.
        StepVerifier.create(rt.inTransaction(tx -> tx.on("b")
                        .get("x")
                        .then(outside(() -> b.command("SET", "x", "changed")))
                        .then(tx.on("b").set("y", "1"))
                        .then(tx.on("a").publish("orders", Map.of("order", "3")))))
                .expectError(TransactionConflictException.class)
                .verify(WAIT);
        assertThat(a.command("EXISTS", "orders")).isEqualTo(0L);
    }

    @Test
    void aCoordinatorThatDiesAfterTheCommitPointHasItsMessageAppendedByRecovery() {
        RedisTransactionRuntime dying = runtime(
                o -> o.recovery(r -> r.lease(Duration.ofMillis(300)).interval(Duration.ZERO)),
                at -> at.step() == ProtocolHooks.Step.AFTER_COMMIT_POINT
                        ? Mono.error(new IllegalStateException("coordinator died"))
                        : Mono.empty());
        StepVerifier.create(dying.inTransaction(tx -> tx.on("b")
                        .set("stock:7", "1")
                        .then(tx.on("c").set("stock:8", "1"))
                        .then(tx.on("a").publish("orders", Map.of("order", "7")))))
                .expectError(ProtocolHooks.Halted.class)
                .verify(WAIT);
        awaitTrue(() -> {
            dying.recover().block(WAIT);
            return a.command("EXISTS", "orders").equals(1L);
        });
        assertThat(length("orders")).isEqualTo(1);
    }

    @Test
    void concurrentTransactionsPublishingToOneStreamDoNotConflict() {
        RedisTransactionRuntime rt = runtime(o -> o.retryPolicy(RetryPolicy.none()));
        int n = 50;
        Flux.range(0, n)
                .flatMap(i -> rt.inTransaction(tx -> tx.on("b")
                        .set("k" + i, "v")
                        .then(tx.on("a").publish("orders", Map.of("n", Integer.toString(i))))))
                .blockLast(WAIT);
        assertThat(length("orders")).isEqualTo(n);
    }

    @Test
    void trimmingKeepsTheStreamShort() {
        RedisTransactionRuntime rt = runtime();
        for (int i = 0; i < 5; i++) {
            int n = i;
            rt.inTransaction(tx ->
                            tx.on("a").publish("capped", Map.of("n", Integer.toString(n)), StreamTrim.maxLen(2, false)))
                    .block(WAIT);
        }
        assertThat(length("capped")).isEqualTo(2);
    }

    @Test
    void badMessagesAndWrongTypesAreRefusedAndNothingIsWritten() {
        RedisTransactionRuntime rt = runtime();
        StepVerifier.create(rt.inTransaction(tx -> tx.on("a").publish("redtx:mine", Map.of("f", "v"))))
                .expectError(RedtxArgumentException.class)
                .verify(WAIT);
        StepVerifier.create(rt.inTransaction(tx -> tx.on("a").publish("orders", Map.of())))
                .expectError(RedtxArgumentException.class)
                .verify(WAIT);
        StepVerifier.create(rt.inTransaction(
                        tx -> tx.on("a").publish("orders", Map.of(KeyCommands.TRANSACTION_FIELD, "forged"))))
                .expectError(RedtxArgumentException.class)
                .verify(WAIT);
        StepVerifier.create(rt.inTransaction(tx ->
                        tx.on("a").set("orders", "a string").then(tx.on("a").publish("orders", Map.of("f", "v")))))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(RedtxArgumentException.class)
                        .hasMessageContaining("cannot also be published to"))
                .verify(WAIT);
        a.command("SET", "text", "not a stream");
        StepVerifier.create(rt.inTransaction(tx ->
                        tx.on("a").set("other", "1").then(tx.on("a").publish("text", Map.of("f", "v")))))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(ParticipantErrorException.class)
                        .hasMessageContaining("WRONGTYPE"))
                .verify(WAIT);
        assertThat(get(a, "other")).isNull();
        assertThat(a.command("EXISTS", "orders")).isEqualTo(0L);
    }

    @Test
    void anOversizedMessageIsRefusedAsAWholeNotOnlyFieldByField() {
        RedisTransactionRuntime rt = runtime(o -> o.limits(l -> l.maxValueBytes(1000)));
        Map<String, String> manySmallFields = new HashMap<>();
        for (int i = 0; i < 100; i++) {
            manySmallFields.put("f" + i, "0123456789");
        }
        StepVerifier.create(rt.inTransaction(tx -> tx.on("a").publish("orders", manySmallFields)))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(RedtxArgumentException.class)
                        .hasMessageContaining("message for stream 'orders' (its fields and values) is 1290 bytes,"
                                + " over maxValueBytes=1000"))
                .verify(WAIT);
        assertThat(a.command("EXISTS", "orders")).isEqualTo(0L);
    }
}
