package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.redtx.api.RetryPolicy;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionConflictException;
import io.redtx.runtime.internal.protocol.ProtocolHooks;
import io.redtx.test.redis.IntentCount;
import io.redtx.test.redis.RedisServer;
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

    /**
     * A writer of x on a and y on b that stops after its prepares for {@code pause}, then commits. Its own runtime:
     * the test closes it.
     */
    private static RedisTransactionRuntime slowWriter(Duration pause, Duration lease) {
        return RedisTransactionRuntime.create(
                options().recovery(r -> r.lease(lease).interval(Duration.ZERO)).build(),
                at -> at.step() == ProtocolHooks.Step.AFTER_PREPARE
                        ? Mono.delay(pause).then()
                        : Mono.empty());
    }

    /** A coordinator of x on a and y on b that dies after its prepares, leaving intents with {@code lease}. */
    private static void deadWriter(Duration lease) {
        RedisTransactionRuntime dying = RedisTransactionRuntime.create(
                options()
                        .recovery(r -> r.lease(lease).interval(Duration.ZERO))
                        .retryPolicy(RetryPolicy.none())
                        .build(),
                at -> at.step() == ProtocolHooks.Step.AFTER_PREPARE
                        ? Mono.error(new IllegalStateException("coordinator died"))
                        : Mono.empty());
        try {
            dying.inTransaction(t -> t.on("a").set("x", "new").then(t.on("b").set("y", "new")))
                    .onErrorResume(ProtocolHooks.Halted.class, e -> Mono.empty())
                    .block(WAIT);
        } finally {
            dying.close();
        }
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
        RedisTransactionRuntime writer = slowWriter(Duration.ofMillis(400), Duration.ofSeconds(10));
        long waitedMs;
        try {
            CompletableFuture<Void> written = writeXAndY(writer);
            RedisTransactionRuntime reader = runtime(o -> o.retryPolicy(RetryPolicy.none()));

            long start = System.nanoTime();
            String x = reader.inTransaction(tx -> tx.on("a").get("x")).block(WAIT);
            waitedMs = (System.nanoTime() - start) / 1_000_000;
            System.out.printf("reader waited %d ms for the writer's commit%n", waitedMs);

            assertThat(x).isEqualTo("new");
            written.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } finally {
            writer.close();
        }
        // Woken by the commit, long before the writer's 10 s lease or the reader's 2 s intent wait.
        assertThat(waitedMs).isLessThan(1_500);
        // The record is forgotten just after the acknowledgement.
        awaitTrue(() -> IntentCount.on("redtx:", List.of(a, b)).none());
    }

    @Test
    void aReadOfADeadWritersIntentReadsTheOldValueOnceItsLeaseEnds() {
        a.command("SET", "x", "old");
        deadWriter(Duration.ofMillis(600));
        RedisTransactionRuntime reader = runtime(o -> o.retryPolicy(RetryPolicy.none()));

        // Nothing wakes the reader: its timer ends the wait at the lease's end, and the resolver aborts the intent.
        assertThat(reader.inTransaction(tx -> tx.on("a").get("x")).block(WAIT)).isEqualTo("old");
        awaitTrue(() ->
                get(b, "y") == null && IntentCount.on("redtx:", List.of(a, b)).locks() == 0);
    }

    @Test
    void aReadGivesUpAtItsIntentWait() throws Exception {
        a.command("SET", "x", "old");
        RedisTransactionRuntime writer = slowWriter(Duration.ofSeconds(2), Duration.ofSeconds(10));
        try {
            CompletableFuture<Void> written = writeXAndY(writer);
            RedisTransactionRuntime reader =
                    runtime(o -> o.retryPolicy(RetryPolicy.none()).timeouts(t -> t.intentWait(Duration.ofMillis(300))));

            long start = System.nanoTime();
            assertThatThrownBy(() ->
                            reader.inTransaction(tx -> tx.on("a").get("x")).block(WAIT))
                    .isInstanceOf(TransactionConflictException.class)
                    .hasMessageContaining("held by");
            assertThat((System.nanoTime() - start) / 1_000_000).isBetween(250L, 1_500L);
            written.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(get(a, "x")).isEqualTo("new");
        } finally {
            writer.close();
        }
    }

    /**
     * A Redis user without Pub/Sub channels cannot be woken: its read still ends its wait when the dead writer's lease
     * ends, and reads the value the resolver restored.
     */
    @Test
    void withoutPubSubAReadStillEndsItsWaitAtTheLeasesEnd() {
        a.command("SET", "x", "old");
        for (RedisServer s : List.of(a, b)) {
            s.command("ACL", "SETUSER", "nochannels", "on", ">pw", "~*", "resetchannels", "+@all");
        }
        deadWriter(Duration.ofMillis(800));
        runtime = RedisTransactionRuntime.create(
                RuntimeOptions.builder()
                        .participant("a", restricted(a))
                        .participant("b", restricted(b))
                        .retryPolicy(RetryPolicy.none())
                        .build(),
                ProtocolHooks.NONE);
        RedisTransactionRuntime reader = runtime;

        long start = System.nanoTime();
        assertThat(reader.inTransaction(tx -> tx.on("a").get("x")).block(WAIT)).isEqualTo("old");
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(1_900);
    }

    private static String restricted(RedisServer s) {
        return "redis://nochannels:pw@" + RedisServer.HOST + ":" + s.port();
    }
}
