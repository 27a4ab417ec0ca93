package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.redtx.api.RetryPolicy;
import io.redtx.api.TransactionConflictException;
import io.redtx.runtime.internal.protocol.ProtocolHooks;
import io.redtx.test.redis.IntentCount;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * A read that meets another transaction's write intent waits for it to settle (woken when it does) and reads the
 * outcome, instead of failing the reader's transaction. The readers here never retry: without the wait each of them
 * would fail with a conflict.
 */
class ReaderWaitTest extends ThreeParticipantsTestBase {

    private static final Duration WAIT = Duration.ofSeconds(15);

    /** A writer of x on a and y on b that stops after its prepares for {@code pause}, then commits. */
    private RedisTransactionRuntime slowWriter(Duration pause, Duration lease) {
        return runtime(
                o -> o.recovery(r -> r.lease(lease).interval(Duration.ZERO)),
                at -> at.step() == ProtocolHooks.Step.AFTER_PREPARE
                        ? Mono.delay(pause).then()
                        : Mono.empty());
    }

    private CompletableFuture<Void> writeXAndY(RedisTransactionRuntime writer) {
        CompletableFuture<Void> done = writer.inTransaction(
                        t -> t.on("a").set("x", "new").then(t.on("b").set("y", "new")))
                .toFuture();
        awaitTrue(() -> IntentCount.on("redtx:", List.of(a)).locks() > 0 || done.isDone());
        assertThat(done).isNotDone();
        return done;
    }

    @Test
    void aReadWaitsForAPreparedWriterAndReadsWhatItCommitted() throws Exception {
        a.command("SET", "x", "old");
        CompletableFuture<Void> written = writeXAndY(slowWriter(Duration.ofMillis(400), Duration.ofSeconds(10)));
        RedisTransactionRuntime reader = runtime(o -> o.retryPolicy(RetryPolicy.none()));

        long start = System.nanoTime();
        String x = reader.inTransaction(tx -> tx.on("a").get("x")).block(WAIT);
        long waitedMs = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("reader waited %d ms for the writer's commit%n", waitedMs);

        assertThat(x).isEqualTo("new");
        written.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        // Woken by the commit, long before the writer's 10 s lease or the reader's 2 s intent wait.
        assertThat(waitedMs).isLessThan(1_500);
        // The record is forgotten just after the acknowledgement.
        awaitTrue(() -> IntentCount.on("redtx:", List.of(a, b)).none());
    }

    @Test
    void aReadOfADeadWritersIntentReadsTheOldValueOnceItsLeaseEnds() {
        a.command("SET", "x", "old");
        RedisTransactionRuntime dying = runtime(
                o -> o.recovery(r -> r.lease(Duration.ofMillis(600)).interval(Duration.ZERO))
                        .retryPolicy(RetryPolicy.none()),
                at -> at.step() == ProtocolHooks.Step.AFTER_PREPARE
                        ? Mono.error(new IllegalStateException("coordinator died"))
                        : Mono.empty());
        dying.inTransaction(t -> t.on("a").set("x", "new").then(t.on("b").set("y", "new")))
                .onErrorResume(ProtocolHooks.Halted.class, e -> Mono.empty())
                .block(WAIT);
        RedisTransactionRuntime reader = runtime(o -> o.retryPolicy(RetryPolicy.none()));

        // Nothing wakes the reader: its timer ends the wait at the lease's end, and the resolver aborts the intent.
        assertThat(reader.inTransaction(tx -> tx.on("a").get("x")).block(WAIT)).isEqualTo("old");
        awaitTrue(() ->
                get(b, "y") == null && IntentCount.on("redtx:", List.of(a, b)).locks() == 0);
    }

    @Test
    void aReadGivesUpAtItsIntentWait() throws Exception {
        a.command("SET", "x", "old");
        CompletableFuture<Void> written = writeXAndY(slowWriter(Duration.ofSeconds(2), Duration.ofSeconds(10)));
        RedisTransactionRuntime reader =
                runtime(o -> o.retryPolicy(RetryPolicy.none()).timeouts(t -> t.intentWait(Duration.ofMillis(300))));

        long start = System.nanoTime();
        assertThatThrownBy(() -> reader.inTransaction(tx -> tx.on("a").get("x")).block(WAIT))
                .isInstanceOf(TransactionConflictException.class)
                .hasMessageContaining("held by");
        assertThat((System.nanoTime() - start) / 1_000_000).isBetween(250L, 1_500L);
        written.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(get(a, "x")).isEqualTo("new");
    }
}
