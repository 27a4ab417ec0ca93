package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.KeyLayout;
import io.redtx.api.RecoveryReport;
import io.redtx.api.RedtxArgumentException;
import io.redtx.api.RetryPolicy;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionConflictException;
import io.redtx.api.TransactionStatus;
import io.redtx.runtime.internal.protocol.ProtocolHooks;
import io.redtx.runtime.internal.redis.Keys;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * A coordinator that dies at a protocol step leaves intents behind; the next transaction that meets one after its
 * lease expired settles it through the primary's record.
 */
class RecoveryTest extends ThreeParticipantsTestBase {

    private static final Duration LEASE = Duration.ofMillis(400);
    private static final Map<String, String> KEY_OF = Map.of("a", "x", "b", "y", "c", "z");
    private static final Map<String, String> VALUE_OF = Map.of("a", "1", "b", "2", "c", "3");

    /**
     * Runs a transfer-like transaction whose coordinator "dies" (stops for good) after {@code step}.
     *
     * @return the id of the dead transaction
     */
    private static String crashAfter(ProtocolHooks.Step step) {
        return crashAt(step, 0, List.of("a", "b"), LEASE);
    }

    private static String crashAt(ProtocolHooks.Step step, int sent, List<String> shards) {
        return crashAt(step, sent, shards, LEASE);
    }

    /**
     * Runs a transaction that sets one key per participant of {@code shards} ({@code x} on a, {@code y} on b,
     * {@code z} on c) and whose coordinator dies at {@code step} once {@code sent} of that step's commands were sent.
     *
     * @return the id of the dead transaction
     */
    private static String crashAt(ProtocolHooks.Step step, int sent, List<String> shards, Duration lease) {
        AtomicReference<String> dead = new AtomicReference<>();
        RuntimeOptions options = options()
                .timeouts(t -> t.prepare(Duration.ofMillis(150)).commit(Duration.ofMillis(150)))
                .recovery(r -> r.lease(lease))
                .retryPolicy(RetryPolicy.none())
                .build();
        RedisTransactionRuntime dying = RedisTransactionRuntime.create(options, at -> {
            // Dead from the sent-th command on: per-shard steps run concurrently, the later ones must fail too.
            if (at.step() != step || at.sent() < sent) {
                return Mono.empty();
            }
            dead.set(at.transactionId());
            // After k > 0 commands were sent, dies once they have surely arrived (close() could drop them unsent).
            return Mono.delay(Duration.ofMillis(sent > 0 ? 100 : 0))
                    .then(Mono.error(new IllegalStateException("coordinator died")));
        });
        try {
            StepVerifier.create(dying.inTransaction(t -> Flux.fromIterable(shards)
                            .concatMap(p -> t.on(p).set(KEY_OF.get(p), VALUE_OF.get(p)))
                            .then()))
                    .expectErrorSatisfies(e -> assertThat(e)
                            .isInstanceOf(ProtocolHooks.Halted.class)
                            .hasRootCauseMessage("coordinator died"))
                    .verify(Duration.ofSeconds(10));
        } finally {
            dying.close(); // its memory is gone; only Redis remembers
        }
        return dead.get();
    }

    private RedisTransactionRuntime survivor() {
        return runtime(o -> o.retryPolicy(RetryPolicy.builder()
                .maxAttempts(100)
                .minBackoff(Duration.ofMillis(20))
                .maxBackoff(Duration.ofMillis(50))
                .build()));
    }

    @Test
    void expiredIntentOfACoordinatorThatDiedBeforeTheCommitPointIsRolledBack() {
        crashAfter(ProtocolHooks.Step.AFTER_PREPARE);
        assertThat(a.command("ZCARD", KeyLayout.DEFAULT.indexKey()))
                .as("intent left on a")
                .isEqualTo(1L);

        StepVerifier.create(survivor()
                        .inTransaction(t -> t.on("a")
                                .get("x")
                                .defaultIfEmpty("absent")
                                .flatMap(seen -> t.on("b")
                                        .get("y")
                                        .defaultIfEmpty("absent")
                                        .map(y -> seen + "/" + y))))
                .expectNext("absent/absent")
                .verifyComplete();

        assertThat(get(a, "x")).isNull();
        assertThat(get(b, "y")).isNull();
        awaitTrue(() -> servers().stream()
                .allMatch(s -> s.command("ZCARD", KeyLayout.DEFAULT.indexKey()).equals(0L)));
        assertNoIntents();
    }

    @Test
    void expiredIntentOfACoordinatorThatDiedAfterTheCommitPointIsRolledForward() {
        crashAfter(ProtocolHooks.Step.AFTER_COMMIT_POINT);

        StepVerifier.create(survivor()
                        .inTransaction(t ->
                                Mono.zip(t.on("a").get("x"), t.on("b").get("y")).map(z -> z.getT1() + "/" + z.getT2())))
                .expectNext("1/2")
                .verifyComplete();
        // The primary's COMMITTED record was never forgotten: the next recovery pass does it.
        StepVerifier.create(runtime.recover())
                .assertNext(r -> assertThat(r.rolledForward()).isEqualTo(1))
                .verifyComplete();
        assertNoIntents();
    }

    @Test
    void intentWithALiveLeaseIsNotResolved() {
        // A lease far longer than the test: on a loaded machine the 400 ms one can run out before the read.
        crashAt(ProtocolHooks.Step.AFTER_PREPARE, 0, List.of("a", "b"), Duration.ofMinutes(1));

        StepVerifier.create(runtime(o -> o.retryPolicy(RetryPolicy.none()))
                        .inTransaction(t -> t.on("a").get("x")))
                .expectError(TransactionConflictException.class)
                .verify(Duration.ofSeconds(10));
        assertThat(a.command("ZCARD", KeyLayout.DEFAULT.indexKey())).isEqualTo(1L);
        assertThat(b.command("ZCARD", KeyLayout.DEFAULT.indexKey())).isEqualTo(1L);
        assertThat(a.command("KEYS", KeyLayout.DEFAULT.lockKeyPattern()))
                .isEqualTo(List.of(new Keys("redtx:").lockKey("x")));
    }

    @Test
    void resolverLeavesAbortedTombstonesOnEveryShard() {
        crashAfter(ProtocolHooks.Step.AFTER_PREPARE);
        // Each intent is settled by the transaction that meets it (a recovery service will sweep the rest): read both.
        StepVerifier.create(survivor()
                        .inTransaction(t -> t.on("b").get("y").then(t.on("a").get("x"))))
                .verifyComplete();
        awaitTrue(() -> servers().stream()
                .allMatch(s -> s.command("ZCARD", KeyLayout.DEFAULT.indexKey()).equals(0L)));

        // Every transaction key left is an ABORTED tombstone: a replayed prepare of that id finds it and is refused.
        for (var s : List.of(a, b)) {
            for (Object key : (List<?>) s.command("KEYS", KeyLayout.DEFAULT.transactionKeyPattern())) {
                assertThat(s.command("HGET", (String) key, "st")).isEqualTo("A");
            }
        }
    }

    private static void sleepPastTheLease() {
        try {
            Thread.sleep(LEASE.toMillis() + 100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Test
    void recoverRollsBackExpiredIntentsNoTransactionMet() {
        crashAfter(ProtocolHooks.Step.AFTER_PREPARE);
        sleepPastTheLease();

        StepVerifier.create(
                        runtime(o -> o.recovery(r -> r.interval(Duration.ZERO))).recover())
                .expectNext(new RecoveryReport(2, 0, 2, 0, 0))
                .verifyComplete();
        assertThat(get(a, "x")).isNull();
        assertThat(get(b, "y")).isNull();
        assertNoIntents();
    }

    @Test
    void recoverRollsForwardTheSecondaryOfACommittedTransaction() {
        crashAfter(ProtocolHooks.Step.AFTER_COMMIT_POINT);
        sleepPastTheLease();

        // Left: the secondary's intent, and the primary's COMMITTED record that was never forgotten.
        StepVerifier.create(
                        runtime(o -> o.recovery(r -> r.interval(Duration.ZERO))).recover())
                .expectNext(new RecoveryReport(2, 2, 0, 0, 0))
                .verifyComplete();
        assertThat(get(a, "x")).isEqualTo("1");
        assertThat(get(b, "y")).isEqualTo("2");
        assertNoIntents();
        for (var s : List.of(a, b)) {
            for (Object key : (List<?>) s.command("KEYS", KeyLayout.DEFAULT.transactionKeyPattern())) {
                assertThat((Long) s.command("PTTL", (String) key))
                        .as("%s expires once every shard is settled", key)
                        .isPositive();
            }
        }
    }

    @Test
    void coordinatorDeadAfterOneOfThreePreparesIsRolledBackEverywhere() {
        crashAt(ProtocolHooks.Step.PREPARE_SHARD, 1, List.of("a", "b", "c"));
        assertThat(servers().stream().mapToLong(s -> (Long) s.command("ZCARD", KeyLayout.DEFAULT.indexKey())))
                .as("intent index entries")
                .containsExactlyInAnyOrder(1L, 0L, 0L);
        sleepPastTheLease();

        StepVerifier.create(
                        runtime(o -> o.recovery(r -> r.interval(Duration.ZERO))).recover())
                .assertNext(r -> {
                    assertThat(r.expiredIntents()).isEqualTo(1);
                    assertThat(r.rolledBack()).isEqualTo(1);
                    assertThat(r.rolledForward()).isZero();
                })
                .verifyComplete();
        assertThat(get(a, "x")).isNull();
        assertThat(get(b, "y")).isNull();
        assertThat(get(c, "z")).isNull();
        assertNoIntents();
    }

    @Test
    void coordinatorDeadDuringTheSecondariesIsRolledForwardEverywhere() {
        String id = crashAt(ProtocolHooks.Step.COMMIT_SECONDARY, 1, List.of("a", "b", "c"));
        sleepPastTheLease();

        // Left: one secondary's intent (the other was rolled forward) and the primary's COMMITTED record.
        StepVerifier.create(
                        runtime(o -> o.recovery(r -> r.interval(Duration.ZERO))).recover())
                .assertNext(r -> {
                    assertThat(r.rolledForward()).isEqualTo(r.expiredIntents());
                    assertThat(r.rolledBack()).isZero();
                })
                .verifyComplete();
        assertThat(get(a, "x")).isEqualTo("1");
        assertThat(get(b, "y")).isEqualTo("2");
        assertThat(get(c, "z")).isEqualTo("3");
        assertNoIntents();
        StepVerifier.create(runtime.status(id))
                .expectNext(TransactionStatus.COMMITTED)
                .verifyComplete();
    }

    @Test
    void coordinatorDeadBeforeAnyPrepareLeavesNothing() {
        crashAfter(ProtocolHooks.Step.BEFORE_PREPARE);

        assertNoIntents();
        assertThat(get(a, "x")).isNull();
        assertThat(get(b, "y")).isNull();
    }

    @Test
    void recoverLeavesIntentsWhoseLeaseStillRuns() {
        // A long lease: the check must not depend on how fast a loaded machine gets from the crash to recover().
        crashAt(ProtocolHooks.Step.AFTER_PREPARE, 0, List.of("a", "b"), Duration.ofSeconds(30));

        StepVerifier.create(
                        runtime(o -> o.recovery(r -> r.interval(Duration.ZERO))).recover())
                .expectNext(RecoveryReport.EMPTY)
                .verifyComplete();
        assertThat(a.command("ZCARD", KeyLayout.DEFAULT.indexKey())).isEqualTo(1L);
    }

    @Test
    void theRecoveryServiceSettlesLeftoversInTheBackground() {
        crashAfter(ProtocolHooks.Step.AFTER_PREPARE);
        runtime(o -> o.recovery(r -> r.interval(Duration.ofMillis(100))));

        awaitTrue(() -> servers().stream()
                .allMatch(s -> s.command("ZCARD", KeyLayout.DEFAULT.indexKey()).equals(0L)));
        assertNoIntents();
        assertThat(get(a, "x")).isNull();
    }

    @Test
    void statusTellsCommittedInDoubtAbortedAndUnknown() {
        String committed = crashAfter(ProtocolHooks.Step.AFTER_COMMIT_POINT);
        settleByRecovery();
        String inDoubt = crashAfter(ProtocolHooks.Step.AFTER_PREPARE);
        var rt = runtime(o -> o.recovery(r -> r.interval(Duration.ZERO)));

        StepVerifier.create(rt.status(committed))
                .expectNext(TransactionStatus.COMMITTED)
                .verifyComplete();
        StepVerifier.create(rt.status(inDoubt))
                .expectNext(TransactionStatus.IN_DOUBT)
                .verifyComplete();
        StepVerifier.create(rt.status("never-ran"))
                .expectNext(TransactionStatus.UNKNOWN)
                .verifyComplete();

        sleepPastTheLease();
        StepVerifier.create(rt.recover()).expectNextCount(1).verifyComplete();
        StepVerifier.create(rt.status(inDoubt))
                .expectNext(TransactionStatus.ABORTED)
                .verifyComplete();
        StepVerifier.create(rt.status(committed))
                .expectNext(TransactionStatus.COMMITTED)
                .verifyComplete();
        StepVerifier.create(rt.status(""))
                .expectError(RedtxArgumentException.class)
                .verify(Duration.ofSeconds(5));
    }

    /** Settles what the first crash left (so a second one can prepare on the same keys) with a recovery pass. */
    private void settleByRecovery() {
        sleepPastTheLease();
        StepVerifier.create(
                        runtime(o -> o.recovery(r -> r.interval(Duration.ZERO))).recover())
                .expectNextCount(1)
                .verifyComplete();
        runtime.closeGracefully().block(Duration.ofSeconds(10));
        runtime = null;
    }
}
