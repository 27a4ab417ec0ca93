package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.redtx.api.KeyCommands;
import io.redtx.api.RedtxArgumentException;
import io.redtx.api.RetryPolicy;
import io.redtx.api.Transaction;
import io.redtx.api.TransactionConflictException;
import io.redtx.api.TransactionOptions;
import io.redtx.api.TransactionPhase;
import io.redtx.api.TransactionStateException;
import io.redtx.api.TransactionTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** One transaction's own time limit, retry policy and read-only flag, over the runtime's. */
class TransactionOptionsTest extends ThreeParticipantsTestBase {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final TransactionOptions READ_ONLY =
            TransactionOptions.builder().readOnly(true).build();

    /** Every write of the key commands, by name. */
    private static final Map<String, Function<KeyCommands, Mono<?>>> WRITES = Map.of(
            "set", c -> c.set("k", "v"),
            "setIfAbsent", c -> c.setIfAbsent("k", "v"),
            "del", c -> c.del("k"),
            "incrBy", c -> c.incrBy("n", 1),
            "decrBy", c -> c.decrBy("n", 1),
            "hset", c -> c.hset("h", "f", "v"),
            "hset(map)", c -> c.hset("h", Map.of("f", "v")),
            "hdel", c -> c.hdel("h", "f"),
            "hincrBy", c -> c.hincrBy("h", "f", 1));

    @Test
    void aReadOnlyTransactionRefusesEveryWriteAndWritesNothing() {
        runtime();
        a.command("SET", "n", "5");

        WRITES.forEach((name, write) -> StepVerifier.create(
                        runtime.inTransaction(READ_ONLY, tx -> write.apply(tx.on("a"))))
                .expectErrorSatisfies(e -> assertThat(e)
                        .as(name)
                        .isInstanceOf(RedtxArgumentException.class)
                        .hasMessageContaining("is read-only")
                        .hasMessageContaining(" on 'a' would write"))
                .verify(WAIT));

        assertThat(List.of(get(a, "n"), String.valueOf(get(a, "k")), String.valueOf(a.command("EXISTS", "h"))))
                .containsExactly("5", "null", "0");
        assertNoIntents();
    }

    @Test
    void aReadOnlyTransactionReadsAndChecksOnSeveralParticipants() {
        runtime();
        a.command("SET", "x", "1");
        b.command("HSET", "h", "f", "2");

        StepVerifier.create(runtime.inTransactionWithResult(
                        READ_ONLY,
                        tx -> tx.on("a")
                                .get("x")
                                .zipWith(tx.on("b").hget("h", "f"), (x, f) -> x + f)
                                .flatMap(v -> tx.on("c").expectAbsent("z").thenReturn(v))))
                .assertNext(r -> assertThat(r.value()).isEqualTo("12"))
                .verifyComplete();
        assertNoIntents();
    }

    /** Read-only is no snapshot: reads are validated at commit, so a read that changed still conflicts. */
    @Test
    void aReadOnlyTransactionStillConflictsOnAChangedRead() {
        runtime(o -> o.retryPolicy(RetryPolicy.none()));
        a.command("SET", "x", "1");
        b.command("SET", "y", "1");

        StepVerifier.create(runtime.inTransaction(
                        READ_ONLY,
                        tx -> tx.on("a")
                                .get("x")
                                .then(outside(() -> a.command("SET", "x", "2")))
                                .then(tx.on("b").get("y"))))
                .expectError(TransactionConflictException.class)
                .verify(WAIT);
    }

    @Test
    void aReadOnlyHandleRefusesWritesAndCommitsItsReads() {
        runtime();
        a.command("SET", "x", "1");
        Transaction tx = runtime.begin(READ_ONLY).block(WAIT);

        StepVerifier.create(tx.on("a").get("x")).expectNext("1").verifyComplete();
        StepVerifier.create(tx.on("b").set("y", "2"))
                .expectError(RedtxArgumentException.class)
                .verify(WAIT);
        StepVerifier.create(tx.commit()).expectNextCount(1).verifyComplete();
        assertThat(get(b, "y")).isNull();
    }

    @Test
    void aTransactionsOwnTimeLimitOverridesTheRuntimes() {
        runtime(); // 30 s by default
        Duration limit = Duration.ofMillis(200);

        long start = System.nanoTime();
        StepVerifier.create(runtime.inTransaction(
                        TransactionOptions.builder().timeout(limit).build(),
                        tx -> tx.on("a").set("x", "1").then(Mono.never())))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(TransactionTimeoutException.class);
                    assertThat(((TransactionTimeoutException) e).timeout()).isEqualTo(limit);
                    assertThat(((TransactionTimeoutException) e).phase()).isEqualTo(TransactionPhase.TRANSACTION);
                    assertThat(e).hasMessageContaining("200 ms");
                })
                .verify(WAIT);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(get(a, "x")).isNull();
        assertNoIntents();
    }

    @Test
    void aHandleLeftUnfinishedIsRolledBackAfterItsOwnTimeLimit() {
        runtime(o -> o.admission(a -> a.maxInFlight(1)));
        Transaction abandoned = runtime.begin(TransactionOptions.builder()
                        .timeout(Duration.ofMillis(200))
                        .build())
                .block(WAIT);
        assertThat(runtime.inFlight()).isEqualTo(1);

        awaitTrue(() -> runtime.inFlight() == 0);
        StepVerifier.create(abandoned.on("a").set("x", "late"))
                .expectError(TransactionStateException.class)
                .verify(WAIT);
    }

    @Test
    void aTransactionsOwnRetryPolicyRetriesWhereTheRuntimeWouldNot() {
        runtime(o -> o.retryPolicy(RetryPolicy.none()));
        AtomicInteger attempts = new AtomicInteger();

        StepVerifier.create(runtime.inTransactionWithResult(
                        TransactionOptions.builder()
                                .retryPolicy(
                                        RetryPolicy.builder().maxAttempts(3).build())
                                .build(),
                        tx -> conflictingOnce(tx, attempts)))
                .assertNext(r -> assertThat(r.commit().attempts()).isEqualTo(2))
                .verifyComplete();
        assertThat(get(b, "y")).isEqualTo("attempt 2");
    }

    @Test
    void aTransactionsOwnRetryPolicyCanForbidRetries() {
        runtime(o -> o.retryPolicy(RetryPolicy.builder().maxAttempts(5).build()));
        AtomicInteger attempts = new AtomicInteger();

        StepVerifier.create(runtime.inTransaction(
                        TransactionOptions.builder()
                                .retryPolicy(RetryPolicy.none())
                                .build(),
                        tx -> conflictingOnce(tx, attempts)))
                .expectError(TransactionConflictException.class)
                .verify(WAIT);
        assertThat(attempts).hasValue(1);
        assertThat(get(b, "y")).isNull();
    }

    @Test
    void aHandleRefusesARetryPolicyAtOnce() {
        runtime();
        TransactionOptions retrying =
                TransactionOptions.builder().retryPolicy(RetryPolicy.defaults()).build();

        assertThatThrownBy(() -> runtime.begin(retrying))
                .isInstanceOf(RedtxArgumentException.class)
                .hasMessageContaining("never retried");
        assertThatThrownBy(() -> runtime.inTransaction(null, tx -> Mono.empty()))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("options");
    }

    /** Reads x (absent), then (first attempt only) x is set behind its back: the first attempt conflicts. */
    private static Mono<Void> conflictingOnce(Transaction tx, AtomicInteger attempts) {
        int attempt = attempts.incrementAndGet();
        return tx.on("a")
                .get("x")
                .then(attempt == 1 ? outside(() -> a.command("SET", "x", "changed")) : Mono.empty())
                .then(tx.on("b").set("y", "attempt " + attempt));
    }
}
