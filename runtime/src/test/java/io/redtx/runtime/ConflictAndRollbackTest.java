package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.KeyLayout;
import io.redtx.api.RetryPolicy;
import io.redtx.api.TransactionConflictException;
import io.redtx.api.TransactionConflictException.Reason;
import io.redtx.api.TransactionPhase;
import io.redtx.api.TransactionTimeoutException;
import io.redtx.runtime.internal.protocol.ProtocolHooks;
import io.redtx.runtime.internal.redis.Keys;
import io.redtx.test.redis.RedisServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

class ConflictAndRollbackTest extends ThreeParticipantsTestBase {

    private static RedisTransactionRuntime noRetry(ThreeParticipantsTestBase base) {
        return base.runtime(o -> o.retryPolicy(RetryPolicy.none()));
    }

    @Test
    void changedReadConflictsAndAppliesNothing() {
        a.command("SET", "x", "1");
        Mono<Void> tx = noRetry(this)
                .inTransaction(t -> t.on("a")
                        .get("x")
                        .flatMap(seen -> outside(() -> a.command("SET", "x", "changed-behind-our-back")))
                        .then(t.on("b").set("y", "written"))
                        .then(t.on("a").set("z", "written")));

        StepVerifier.create(tx)
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOfSatisfying(TransactionConflictException.class, c -> {
                            assertThat(c.key()).isEqualTo("x");
                            assertThat(c.participant()).isEqualTo("a");
                            assertThat(c.reason()).isEqualTo(Reason.READ_CHANGED);
                        }))
                .verify(Duration.ofSeconds(10));
        assertThat(get(b, "y")).isNull();
        assertThat(get(a, "z")).isNull();
        assertNoIntents();
    }

    /**
     * Another coordinator's live intent on {@code key}, as prepare.lua leaves it: the lock entry, and the PREPARED
     * intent (lease a minute ahead) in the shard's index. A lock entry without its intent would be stale.
     */
    private static void foreignIntent(RedisServer server, String key, String mode) {
        List<?> time = (List<?>) server.command("TIME");
        String lease = Long.toString(Long.parseLong((String) time.get(0)) * 1000 + 60_000);
        server.command("HSET", new Keys("redtx:").lockKey(key), "other-tx", mode);
        server.command(
                "HSET",
                KeyLayout.DEFAULT.transactionPrefix() + "other-tx",
                "st",
                "P",
                "lease",
                lease,
                "primary",
                "1",
                "pn",
                "elsewhere");
        server.command("ZADD", KeyLayout.DEFAULT.indexKey(), lease, "other-tx");
    }

    @Test
    void foreignIntentOnAReadKeyConflicts() {
        foreignIntent(a, "x", "w");
        StepVerifier.create(noRetry(this).inTransaction(t -> t.on("a").get("x")))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOfSatisfying(TransactionConflictException.class, c -> {
                            assertThat(c.reason()).isEqualTo(Reason.FOREIGN_INTENT);
                            assertThat(c.key()).isEqualTo("x");
                            assertThat(c).hasMessageContaining("other-tx");
                        }))
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void foreignIntentOnAWrittenKeyConflictsAtPrepareAndLeavesOtherShardsClean() {
        foreignIntent(b, "y", "r");
        StepVerifier.create(noRetry(this)
                        .inTransaction(
                                t -> t.on("a").set("x", "1").then(t.on("b").set("y", "2"))))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOfSatisfying(TransactionConflictException.class, c -> {
                            assertThat(c.reason()).isEqualTo(Reason.FOREIGN_INTENT);
                            assertThat(c.key()).isEqualTo("y");
                        }))
                .verify(Duration.ofSeconds(10));
        b.command(
                "DEL",
                new Keys("redtx:").lockKey("y"),
                KeyLayout.DEFAULT.transactionPrefix() + "other-tx",
                KeyLayout.DEFAULT.indexKey());
        assertThat(get(a, "x")).isNull();
        assertThat(get(b, "y")).isNull();
        assertNoIntents();
    }

    @Test
    void failedExpectConflictsWithConditionFailed() {
        a.command("SET", "version", "7");
        StepVerifier.create(noRetry(this)
                        .inTransaction(t ->
                                t.on("a").expect("version", "6").then(t.on("a").set("doc", "new"))))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOfSatisfying(
                                TransactionConflictException.class,
                                c -> assertThat(c.reason()).isEqualTo(Reason.CONDITION_FAILED)))
                .verify(Duration.ofSeconds(10));
        assertThat(get(a, "doc")).isNull();
    }

    @Test
    void expectAbsentHoldsOnlyWhileTheKeyIsAbsent() {
        StepVerifier.create(runtime()
                        .inTransaction(t -> t.on("a")
                                .expectAbsent("lock")
                                .then(t.on("b").expectAbsent("other"))
                                .then(t.on("a").set("lock", "me"))
                                .thenReturn("ok")))
                .expectNext("ok")
                .verifyComplete();
        StepVerifier.create(runtime.inTransaction(
                        t -> t.on("a").expectAbsent("lock").then(t.on("a").set("lock", "you"))))
                .expectError(TransactionConflictException.class)
                .verify(Duration.ofSeconds(10));
        assertThat(get(a, "lock")).isEqualTo("me");
    }

    @Test
    void errorThrownByUserCodeRollsBackAndPropagates() {
        IllegalStateException boom = new IllegalStateException("boom");
        StepVerifier.create(runtime()
                        .inTransaction(t -> t.on("a")
                                .set("x", "1")
                                .then(t.on("b").set("y", "2"))
                                .then(Mono.error(boom))))
                .expectErrorSatisfies(e -> assertThat(e).isSameAs(boom))
                .verify(Duration.ofSeconds(10));
        assertThat(get(a, "x")).isNull();
        assertThat(get(b, "y")).isNull();
    }

    @Test
    void retrySucceedsAfterAConflictWithANewTransactionId() {
        a.command("SET", "balance", "10");
        AtomicInteger calls = new AtomicInteger();
        var result = runtime(o -> o.retryPolicy(RetryPolicy.builder()
                        .maxAttempts(3)
                        .minBackoff(Duration.ofMillis(1))
                        .build()))
                .inTransactionWithResult(t -> t.on("a")
                        .incrBy("balance", 5)
                        .flatMap(v -> calls.incrementAndGet() == 1
                                ? outside(() -> a.command("SET", "balance", "100")) // first attempt only
                                        .thenReturn(v)
                                : Mono.just(v)));

        StepVerifier.create(result)
                .assertNext(r -> {
                    assertThat(r.value()).isEqualTo(105L);
                    assertThat(r.commit().attempts()).isEqualTo(2);
                })
                .verifyComplete();
        assertThat(get(a, "balance")).isEqualTo("105");
    }

    @Test
    void retriesRunOutWithTheLastConflict() {
        a.command("SET", "k", "0");
        AtomicInteger calls = new AtomicInteger();
        StepVerifier.create(runtime(o -> o.retryPolicy(RetryPolicy.builder()
                                .maxAttempts(3)
                                .minBackoff(Duration.ZERO)
                                .maxBackoff(Duration.ZERO)
                                .build()))
                        .inTransaction(t -> t.on("a")
                                .incrBy("k", 1)
                                .flatMap(v -> outside(
                                        () -> a.command("SET", "k", Integer.toString(100 + calls.incrementAndGet()))))))
                .expectError(TransactionConflictException.class)
                .verify(Duration.ofSeconds(10));
        assertThat(calls).hasValue(3);
    }

    /**
     * Starts a three-shard transaction whose commit stops at {@code step}, cancels its subscriber there, then lets
     * the commit go on and waits for the background work to finish.
     */
    private void cancelAt(ProtocolHooks.Step step) {
        Sinks.Empty<Void> release = Sinks.empty();
        AtomicInteger reached = new AtomicInteger();
        var rt = runtime(
                o -> o,
                at -> at.step() == step
                        ? release.asMono().doOnSubscribe(s -> reached.incrementAndGet())
                        : Mono.empty());

        var subscription = rt.inTransaction(t -> Mono.when(
                        t.on("a").set("x", "1"),
                        t.on("b").set("y", "2"),
                        t.on("c").set("z", "3")))
                .subscribe();
        awaitTrue(() -> reached.get() > 0);
        if (step == ProtocolHooks.Step.AFTER_PREPARE) {
            assertThat(a.command("KEYS", KeyLayout.DEFAULT.lockKeyPattern()))
                    .isEqualTo(List.of(new Keys("redtx:").lockKey("x")));
        }

        subscription.dispose();
        release.tryEmitEmpty();
        awaitBackground();
    }

    @Test
    void cancelBeforeTheCommitPointRollsBackEveryShard() {
        cancelAt(ProtocolHooks.Step.AFTER_PREPARE);

        assertThat(get(a, "x")).isNull();
        assertThat(get(b, "y")).isNull();
        assertThat(get(c, "z")).isNull();
        assertNoIntents();
    }

    @Test
    void cancelAfterTheCommitPointStillCommitsEverywhere() {
        cancelAt(ProtocolHooks.Step.AFTER_COMMIT_POINT);

        assertThat(get(a, "x")).isEqualTo("1");
        assertThat(get(b, "y")).isEqualTo("2");
        assertThat(get(c, "z")).isEqualTo("3");
        assertNoIntents();
    }

    @Test
    void prepareTimeoutAgainstAPausedServerAbortsAndLeavesTheOthersClean() {
        var rt = runtime(o -> o.timeouts(t -> t.prepare(Duration.ofMillis(300)).commit(Duration.ofMillis(300)))
                .retryPolicy(RetryPolicy.none()));
        // Connect first, so the pause hits a prepare and not the connection handshake.
        rt.inTransaction(t -> Mono.when(
                        t.on("a").get("w"), t.on("b").get("w"), t.on("c").get("w")))
                .block(Duration.ofSeconds(10));
        c.pause();
        try {
            StepVerifier.create(rt.inTransaction(t -> Mono.when(
                            t.on("a").set("x", "1"),
                            t.on("b").set("y", "2"),
                            t.on("c").set("z", "3"))))
                    .expectErrorSatisfies(e -> assertThat(e)
                            .isInstanceOfSatisfying(TransactionTimeoutException.class, t -> {
                                assertThat(t.phase()).isEqualTo(TransactionPhase.PREPARE);
                                assertThat(t.timeout()).isEqualTo(Duration.ofMillis(300));
                                assertThat(t).hasMessageContaining("'c'");
                            }))
                    .verify(Duration.ofSeconds(10));
            for (var s : List.of(a, b)) {
                assertThat((List<?>) s.command("KEYS", KeyLayout.DEFAULT.lockKeyPattern()))
                        .isEmpty();
                assertThat(s.command("ZCARD", KeyLayout.DEFAULT.indexKey())).isEqualTo(0L);
            }
            assertThat(get(a, "x")).isNull();
            assertThat(get(b, "y")).isNull();
        } finally {
            c.resume();
        }
        // The queued prepare ran on resume, and the abort queued behind it removed it again.
        awaitTrue(() -> c.command("ZCARD", KeyLayout.DEFAULT.indexKey()).equals(0L));
        assertThat(get(c, "z")).isNull();
        assertNoIntents();
    }
}
