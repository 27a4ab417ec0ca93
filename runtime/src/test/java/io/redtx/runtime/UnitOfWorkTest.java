package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.IntakeOptions;
import io.redtx.api.RetryPolicy;
import io.redtx.api.Transaction;
import io.redtx.api.TransactionOutcome;
import io.redtx.api.TransactionStateException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** A unit of work is never cut short: everything the work does is in the commit, or the commit is refused. */
class UnitOfWorkTest extends ThreeParticipantsTestBase {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void aFluxOfOperationsRunsToItsEndAndItsLastValueIsEmitted() {
        runtime();

        StepVerifier.create(runtime.inTransaction(tx ->
                        Flux.just(1, 2, 3).concatMap(i -> tx.on("a").incrBy("k" + i, 10 * i))))
                .expectNext(30L)
                .verifyComplete();

        assertThat(List.of(get(a, "k1"), get(a, "k2"), get(a, "k3"))).containsExactly("10", "20", "30");
        assertNoIntents();
    }

    @Test
    void aConcatOfWritesOnTwoParticipantsCommitsBoth() {
        runtime();

        StepVerifier.create(runtime.inTransactionWithResult(
                        tx -> Flux.concat(tx.on("a").incrBy("x", 1), tx.on("b").incrBy("y", 2))))
                .assertNext(r -> {
                    assertThat(r.value()).isEqualTo(2L);
                    assertThat(r.commit().shards()).containsExactly("a", "b");
                })
                .verifyComplete();

        assertThat(List.of(get(a, "x"), get(b, "y"))).containsExactly("1", "2");
        assertNoIntents();
    }

    /** Every value, in order, and only once the commit succeeded: by then the last write is on the server. */
    @Test
    void inTransactionManyEmitsEveryValueAfterTheCommit() {
        runtime();

        StepVerifier.create(runtime.inTransactionMany(tx ->
                                Flux.range(1, 3).concatMap(i -> tx.on("c").incrBy("n" + i, i)))
                        .publishOn(Schedulers.boundedElastic())
                        .doOnNext(v -> assertThat(get(c, "n3"))
                                .as("committed before %s", v)
                                .isEqualTo("3")))
                .expectNext(1L, 2L, 3L)
                .verifyComplete();
    }

    /** A retried attempt starts over: only the values of the attempt that committed are emitted. */
    @Test
    void inTransactionManyEmitsOnlyTheCommittedAttemptsValues() {
        a.command("SET", "v", "1");
        AtomicInteger attempts = new AtomicInteger();
        runtime(o -> o.retryPolicy(RetryPolicy.builder().maxAttempts(3).build()));

        StepVerifier.create(runtime.inTransactionMany(tx -> tx.on("a")
                        .get("v")
                        .flatMapMany(seen -> attempts.incrementAndGet() == 1
                                ? outside(() -> a.command("SET", "v", "2")).thenMany(Flux.just("first:" + seen))
                                : Flux.just("again:" + seen, "done"))
                        .concatWith(tx.on("b").set("w", "x").then(Mono.empty()))))
                .expectNext("again:2", "done")
                .verifyComplete();
        assertThat(attempts).hasValue(2);
    }

    @Test
    void anEmptyUnitOfWorkStillCommitsAndEmitsNothing() {
        runtime();

        StepVerifier.create(
                        runtime.inTransactionMany(tx -> tx.on("a").set("e", "1").then(Mono.<String>empty())))
                .verifyComplete();
        StepVerifier.create(runtime.inTransaction(tx -> tx.on("a").set("f", "1")))
                .verifyComplete();

        assertThat(List.of(get(a, "e"), get(a, "f"))).containsExactly("1", "1");
    }

    @Test
    void theIntakeRunsEachRequestsWorkToItsEnd() {
        runtime();

        StepVerifier.create(runtime.intake(
                        Flux.just("r1", "r2"),
                        (String request, Transaction tx) -> Flux.concat(
                                tx.on("a").incrBy(request + ":x", 1), tx.on("b").incrBy(request + ":y", 2)),
                        IntakeOptions.builder().ordered(true).build()))
                .assertNext(o -> assertThat(o.status()).isEqualTo(TransactionOutcome.Status.COMMITTED))
                .assertNext(o -> assertThat(o.value()).isEqualTo(2L))
                .verifyComplete();

        assertThat(List.of(get(a, "r1:x"), get(b, "r1:y"), get(a, "r2:x"), get(b, "r2:y")))
                .containsExactly("1", "2", "1", "2");
    }

    /** A commit waits for an operation of its handle still waiting for the server, whose write then commits. */
    @Test
    void aCommitWaitsForAnOperationStillRunning() {
        a.command("SET", "k", "10");
        runtime();
        Transaction tx = runtime.begin().block(WAIT);

        StepVerifier.create(Mono.zip(tx.on("a").incrBy("k", 5), tx.commit()))
                .assertNext(both -> assertThat(both.getT1()).isEqualTo(15))
                .verifyComplete();

        assertThat(get(a, "k")).isEqualTo("15");
    }

    /**
     * A write whose read was cancelled before its reply (so it never buffered its write) would be left out of the
     * commit: the commit is refused and nothing is written.
     */
    @Test
    void aWriteCancelledBeforeItsReplyStopsTheCommit() {
        a.command("SET", "k", "10");
        runtime();
        Transaction tx = runtime.begin().block(WAIT);
        tx.on("b").set("other", "1").block(WAIT);

        a.pause();
        Disposable cut = tx.on("a").incrBy("k", 5).subscribe();
        cut.dispose();
        a.resume();

        StepVerifier.create(tx.commit())
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(TransactionStateException.class)
                        .hasMessageContaining("incrBy of 'k' on 'a' was cancelled before it buffered its write"))
                .verify(WAIT);
        assertThat(List.of(String.valueOf(get(a, "k")), String.valueOf(get(b, "other"))))
                .containsExactly("10", "null");
    }

    /**
     * The same inside {@code inTransaction}: work that takes the first of two concurrent writes (the other one's server
     * is paused) cuts the other short, and the transaction is rolled back rather than committed without it.
     */
    @Test
    void workThatCutsItsOwnWriteShortIsRolledBack() {
        runtime(o -> o.retryPolicy(RetryPolicy.none()));
        b.command("SET", "q", "0");

        b.pause();
        try {
            StepVerifier.create(runtime.inTransaction(tx -> Flux.merge(
                                    tx.on("a").incrBy("p", 1), tx.on("b").incrBy("q", 1))
                            .next()))
                    .expectError(TransactionStateException.class)
                    .verify(WAIT);
        } finally {
            b.resume();
        }

        assertThat(List.of(String.valueOf(get(a, "p")), String.valueOf(get(b, "q"))))
                .containsExactly("null", "0");
        assertNoIntents();
    }
}
