package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.CommitProtocol;
import io.redtx.api.KeyLayout;
import io.redtx.api.TransactionResult;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class CommitTest extends ThreeParticipantsTestBase {

    @Test
    void onePhaseCommitAppliesEveryWriteWithOneScript() {
        a.command("SET", "counter", "5");
        Mono<TransactionResult<Long>> tx = runtime()
                .inTransactionWithResult(t -> t.on("a")
                        .set("x", "1")
                        .then(t.on("a").hset("h", Map.of("f1", "v1", "f2", "v2")))
                        .then(t.on("a").incrBy("counter", 10)));

        StepVerifier.create(tx)
                .assertNext(r -> {
                    assertThat(r.value()).isEqualTo(15L);
                    assertThat(r.commit().protocol()).isEqualTo(CommitProtocol.ONE_PHASE);
                    assertThat(r.commit().shards()).containsExactly("a");
                    assertThat(r.commit().attempts()).isEqualTo(1);
                })
                .verifyComplete();

        assertThat(get(a, "x")).isEqualTo("1");
        assertThat(get(a, "counter")).isEqualTo("15");
        assertThat(a.command("HGET", "h", "f2")).isEqualTo("v2");
        assertThat(a.command("EXISTS", KeyLayout.DEFAULT.indexKey())).isEqualTo(0L);
        assertNoIntents();
    }

    @Test
    void twoPhaseCommitOnTwoParticipantsAppliesBoth() {
        a.command("SET", "acct:1", "100");
        Mono<TransactionResult<Long>> transfer = runtime()
                .inTransactionWithResult(t ->
                        t.on("a").decrBy("acct:1", 30).flatMap(left -> t.on("b").incrBy("acct:2", 30)));

        StepVerifier.create(transfer)
                .assertNext(r -> {
                    assertThat(r.value()).isEqualTo(30L);
                    assertThat(r.commit().protocol()).isEqualTo(CommitProtocol.TWO_PHASE);
                    assertThat(r.commit().shards()).containsExactly("a", "b");
                    assertThat(r.commit().secondariesSettled()).isTrue();
                })
                .verifyComplete();

        assertThat(get(a, "acct:1")).isEqualTo("70");
        assertThat(get(b, "acct:2")).isEqualTo("30");
        assertNoIntents();
    }

    @Test
    void twoPhaseCommitOnThreeParticipantsAppliesAll() {
        Mono<TransactionResult<Void>> tx = runtime()
                .inTransactionWithResult(t -> Mono.when(
                                t.on("a").set("order:1", "placed"),
                                t.on("b").hincrBy("stock", "sku-9", -1),
                                t.on("c").del("cart:1"))
                        .then(Mono.empty()));
        c.command("SET", "cart:1", "sku-9");

        StepVerifier.create(tx)
                .assertNext(r -> assertThat(r.commit().shards()).containsExactly("a", "b", "c"))
                .verifyComplete();

        assertThat(get(a, "order:1")).isEqualTo("placed");
        assertThat(b.command("HGET", "stock", "sku-9")).isEqualTo("-1");
        assertThat(c.command("EXISTS", "cart:1")).isEqualTo(0L);
        assertNoIntents();
    }

    @Test
    void readsSeeTheTransactionsOwnWrites() {
        a.command("HSET", "h", "keep", "1", "drop", "2");
        Mono<List<Object>> tx = runtime()
                .inTransaction(t -> t.on("a")
                        .set("k", "mine")
                        .then(t.on("a").hset("h", "new", "3"))
                        .then(t.on("a").hdel("h", "drop"))
                        .then(Mono.zip(
                                        t.on("a").get("k"),
                                        t.on("a").hgetAll("h"),
                                        t.on("a").hget("h", "drop").defaultIfEmpty("none"))
                                .map(z -> List.of(z.getT1(), z.getT2(), z.getT3()))));

        StepVerifier.create(tx)
                .expectNext(List.of("mine", Map.of("keep", "1", "new", "3"), "none"))
                .verifyComplete();
        assertThat(a.command("HGETALL", "h")).isEqualTo(List.of("keep", "1", "new", "3"));
    }

    @Test
    void readOnlyTransactionAcrossShardsValidatesAndLeavesNothing() {
        a.command("SET", "x", "1");
        b.command("SET", "y", "2");
        Mono<TransactionResult<String>> audit = runtime()
                .inTransactionWithResult(
                        t -> Mono.zip(t.on("a").get("x"), t.on("b").get("y")).map(z -> z.getT1() + z.getT2()));

        StepVerifier.create(audit)
                .assertNext(r -> {
                    assertThat(r.value()).isEqualTo("12");
                    assertThat(r.commit().protocol()).isEqualTo(CommitProtocol.TWO_PHASE);
                })
                .verifyComplete();
        assertNoIntents();
        for (var s : servers()) {
            assertThat((List<?>) s.command("KEYS", "redtx:*")).isEmpty();
        }
    }

    @Test
    void emptyTransactionCommitsWithoutRoundTrip() {
        StepVerifier.create(runtime().inTransactionWithResult(t -> Mono.just("nothing")))
                .assertNext(r -> {
                    assertThat(r.value()).isEqualTo("nothing");
                    assertThat(r.commit().protocol()).isEqualTo(CommitProtocol.NONE);
                })
                .verifyComplete();
    }

    @Test
    void explicitBeginCommitAndRollback() {
        var rt = runtime();
        StepVerifier.create(rt.begin()
                        .flatMap(t -> t.on("a")
                                .set("k", "v")
                                .then(t.on("b").set("k", "w"))
                                .then(t.commit())))
                .assertNext(r -> assertThat(r.protocol()).isEqualTo(CommitProtocol.TWO_PHASE))
                .verifyComplete();
        StepVerifier.create(
                        rt.begin().flatMap(t -> t.on("a").set("k", "discarded").then(t.rollback())))
                .verifyComplete();
        assertThat(get(a, "k")).isEqualTo("v");
        assertThat(get(b, "k")).isEqualTo("w");
    }

    @Test
    void emptiedScriptCacheIsReloadedOnNoscript() {
        var rt = runtime();
        StepVerifier.create(rt.inTransaction(
                        t -> t.on("a").set("k", "1").then(t.on("b").set("k", "1"))))
                .verifyComplete();
        // What a restarted server looks like to a live connection: no scripts.
        a.command("SCRIPT", "FLUSH");
        b.command("SCRIPT", "FLUSH");

        StepVerifier.create(rt.inTransaction(
                        t -> t.on("a").incrBy("k", 1).then(t.on("b").incrBy("k", 1))))
                .expectNext(2L)
                .verifyComplete();
        assertThat(get(a, "k")).isEqualTo("2");
        assertThat(get(b, "k")).isEqualTo("2");
        assertNoIntents();
    }
}
