package io.redtx.runtime.internal.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.CommitProtocol;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionConflictException;
import io.redtx.api.TransactionOutcomeUnknownException;
import io.redtx.api.TransactionPhase;
import io.redtx.api.TransactionStateException;
import io.redtx.api.TransactionTimeoutException;
import io.redtx.runtime.internal.Deadlines;
import io.redtx.runtime.internal.redis.Keys;
import io.redtx.runtime.internal.redis.LuaScript;
import io.redtx.runtime.internal.redis.Shard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;
import reactor.test.util.RaceTestUtils;

/**
 * The commit protocol's state machine, without Redis: every script call goes to a {@link ScriptedLink}, whose replies
 * the test sends one at a time (or never), and every delay runs in virtual time. What the scripts do is tested
 * against real Redis elsewhere; here, what the coordinator decides after each reply, error, cancel or timer tick.
 */
class CommitProcessTest {

    private static final String ID = "tx-1";
    private static final Duration LEASE = Duration.ofSeconds(3);

    private final List<Throwable> dropped = new CopyOnWriteArrayList<>();
    private VirtualTimeScheduler time;

    @BeforeEach
    void catchDroppedErrors() {
        Hooks.onErrorDropped(dropped::add);
        time = VirtualTimeScheduler.create();
    }

    @AfterEach
    void noErrorWasDropped() {
        Hooks.resetOnErrorDropped();
        time.dispose();
        assertThat(dropped).as("errors dropped").isEmpty();
    }

    @Test
    void aTwoShardCommitPreparesBothThenDecidesOnThePrimaryThenRollsForward() {
        Attempt t = new Attempt("a", "b");
        StepVerifier.create(t.process.run())
                .then(() -> {
                    assertThat(t.calls(LuaScript.PREPARE)).hasSize(2);
                    t.primary().only(LuaScript.PREPARE).reply("OK");
                })
                .then(() -> assertThat(t.calls(LuaScript.COMMIT))
                        .as("no commit point before every prepare replied")
                        .isEmpty())
                .then(() -> t.secondary().only(LuaScript.PREPARE).reply("OK"))
                .then(() -> {
                    assertThat(t.secondary().calls(LuaScript.COMMIT))
                            .as("no roll-forward before the commit point")
                            .isEmpty();
                    t.primary().only(LuaScript.COMMIT).reply("C");
                })
                .then(() -> t.secondary().only(LuaScript.COMMIT).reply("C"))
                .assertNext(result -> {
                    assertThat(result.protocol()).isEqualTo(CommitProtocol.TWO_PHASE);
                    assertThat(result.secondariesSettled()).isTrue();
                })
                .verifyComplete();
        assertThat(t.calls(LuaScript.ABORT)).isEmpty();
        assertThat(t.state.isPastCommitPoint()).isTrue();
    }

    @Test
    void aCancelWhilePreparingRollsBackEveryShardAndTheCommitPointNeverRuns() {
        Attempt t = new Attempt("a", "b");
        StepVerifier.create(t.process.run())
                .then(t::cancel)
                .then(() -> {
                    assertThat(t.secondary().calls(LuaScript.ABORT))
                            .as("the primary's tombstone comes first")
                            .isEmpty();
                    t.primary().only(LuaScript.ABORT).reply("A");
                })
                .then(() -> t.secondary().only(LuaScript.ABORT).reply("A"))
                // The prepares still arrive: the commit process must not take them for a go-ahead.
                .then(() -> t.primary().only(LuaScript.PREPARE).reply("OK"))
                .then(() -> t.secondary().only(LuaScript.PREPARE).reply("OK"))
                .expectError(TransactionStateException.class)
                .verify(Duration.ofSeconds(5));
        assertThat(t.calls(LuaScript.COMMIT)).isEmpty();
        assertThat(t.state.isRolledBack()).isTrue();
    }

    @Test
    void aCancelRacingTheLastPrepareReplyEndsInExactlyOneOfCommitPointAndRollback() {
        int commitPoints = 0;
        int rollbacks = 0;
        for (int i = 0; i < 300; i++) {
            Attempt t = new Attempt("a", "b");
            t.process.run().subscribe(result -> {}, error -> {});
            t.primary().only(LuaScript.PREPARE).reply("OK");
            RaceTestUtils.race(() -> t.secondary().only(LuaScript.PREPARE).reply("OK"), t::cancel);
            boolean committed = !t.primary().calls(LuaScript.COMMIT).isEmpty();
            boolean rolledBack = !t.primary().calls(LuaScript.ABORT).isEmpty();
            assertThat(committed ^ rolledBack)
                    .as("round %d: commit point %s, rollback %s", i, committed, rolledBack)
                    .isTrue();
            commitPoints += committed ? 1 : 0;
            rollbacks += rolledBack ? 1 : 0;
        }
        System.out.printf(
                "cancel against the commit point: %d commit points, %d rollbacks, 0 both%n", commitPoints, rollbacks);
    }

    @Test
    void aLostCommitPointReplyIsSettledThroughThePrimaryAndFoundCommitted() {
        Attempt t = new Attempt("a", "b");
        StepVerifier.create(t.process.run())
                .then(t::prepareAll)
                .then(() -> t.primary().only(LuaScript.COMMIT).error(new TimeoutException("no reply")))
                .then(() -> {
                    ScriptedLink.Call ask = t.primary().only(LuaScript.ABORT);
                    assertThat(ask.args())
                            .as("a tombstone, never over COMMITTED")
                            .endsWith("1");
                    ask.reply("C");
                })
                .then(() -> t.secondary().only(LuaScript.COMMIT).reply("C"))
                .assertNext(result -> assertThat(result.secondariesSettled()).isTrue())
                .verifyComplete();
        assertThat(t.secondary().calls(LuaScript.ABORT)).isEmpty();
    }

    @Test
    void aLostCommitPointReplyFoundAbortedRollsBackAndReportsTheTimeout() {
        Attempt t = new Attempt("a", "b");
        StepVerifier.create(t.process.run())
                .then(t::prepareAll)
                .then(() -> t.primary().only(LuaScript.COMMIT).error(new TimeoutException("no reply")))
                .then(() -> t.primary().only(LuaScript.ABORT).reply("A"))
                .then(() -> t.primary().calls(LuaScript.ABORT).get(1).reply("A"))
                .then(() -> t.secondary().only(LuaScript.ABORT).reply("A"))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(TransactionTimeoutException.class);
                    assertThat(((TransactionTimeoutException) e).phase()).isEqualTo(TransactionPhase.COMMIT_POINT);
                })
                .verify(Duration.ofSeconds(5));
        assertThat(t.secondary().calls(LuaScript.COMMIT)).isEmpty();
        assertThat(t.state.isRolledBack()).isTrue();
    }

    @Test
    void aPrimaryThatCannotBeAskedAfterALostCommitPointReplyLeavesTheOutcomeUnknown() {
        Attempt t = new Attempt("a", "b");
        // The questions to the primary are retried after Reactor's own delays: in this test's virtual time too.
        StepVerifier.withVirtualTime(t.process::run, () -> time, Long.MAX_VALUE)
                .then(t::prepareAll)
                .then(() -> t.primary().only(LuaScript.COMMIT).error(new TimeoutException("no reply")))
                .then(() -> t.primary().calls(LuaScript.ABORT).get(0).error(new TimeoutException("no reply")))
                .thenAwait(Duration.ofMillis(50))
                .then(() -> t.primary().calls(LuaScript.ABORT).get(1).error(new TimeoutException("no reply")))
                .thenAwait(Duration.ofMillis(50))
                .then(() -> t.primary().calls(LuaScript.ABORT).get(2).error(new TimeoutException("no reply")))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(TransactionOutcomeUnknownException.class);
                    assertThat(((TransactionOutcomeUnknownException) e).transactionId())
                            .isEqualTo(ID);
                })
                .verify(Duration.ofSeconds(5));
        assertThat(t.primary().calls(LuaScript.ABORT)).hasSize(3);
        assertThat(t.secondary().calls(LuaScript.ABORT))
                .as("nothing is rolled back while the outcome is unknown")
                .isEmpty();
        assertThat(t.secondary().calls(LuaScript.COMMIT)).isEmpty();
    }

    @Test
    void aCommitPointThatFindsTheRecordAbortedByAResolverRollsBackAndReportsAConflict() {
        Attempt t = new Attempt("a", "b");
        StepVerifier.create(t.process.run())
                .then(t::prepareAll)
                .then(() -> t.primary().only(LuaScript.COMMIT).reply("A"))
                .then(() -> t.primary().only(LuaScript.ABORT).reply("A"))
                .then(() -> t.secondary().only(LuaScript.ABORT).reply("A"))
                .expectErrorSatisfies(e -> assertThat(((TransactionConflictException) e).reason())
                        .isEqualTo(TransactionConflictException.Reason.ALREADY_SETTLED))
                .verify(Duration.ofSeconds(5));
        assertThat(t.secondary().calls(LuaScript.COMMIT)).isEmpty();
    }

    @Test
    void aPrepareRefusedOnOneShardWhileTheOtherTimesOutReportsTheRefusalOnceAndRollsBackBoth() {
        Attempt t = new Attempt("a", "b");
        ScriptedLink.Call late;
        StepVerifier.create(t.process.run())
                .then(() -> t.link("a").only(LuaScript.PREPARE).reply("CONFLICT", 1L, "READ_CHANGED", ""))
                .then(() -> t.primary().only(LuaScript.ABORT).reply("A"))
                .then(() -> t.secondary().only(LuaScript.ABORT).reply("A"))
                .expectErrorSatisfies(e -> {
                    TransactionConflictException conflict = (TransactionConflictException) e;
                    assertThat(conflict.reason()).isEqualTo(TransactionConflictException.Reason.READ_CHANGED);
                    assertThat(conflict.key()).isEqualTo("k-a");
                })
                .verify(Duration.ofSeconds(5));
        late = t.link("b").only(LuaScript.PREPARE);
        assertThat(late.reply().wasCancelled())
                .as("the other prepare is no longer awaited")
                .isTrue();
        late.error(new TimeoutException("no reply")); // arrives after all: nobody hears it, nothing is dropped
        assertThat(t.calls(LuaScript.COMMIT)).isEmpty();
        assertThat(t.state.isRolledBack()).isTrue();
    }

    @Test
    void aPrepareThatTimesOutWhileTheOtherIsRefusedReportsTheTimeoutOnce() {
        Attempt t = new Attempt("a", "b");
        StepVerifier.create(t.process.run())
                .then(() -> t.link("b").only(LuaScript.PREPARE).error(new TimeoutException("no reply")))
                .then(() -> t.link("a").only(LuaScript.PREPARE).reply("CONFLICT", 1L, "READ_CHANGED", ""))
                .then(() -> t.primary().only(LuaScript.ABORT).reply("A"))
                .then(() -> t.secondary().only(LuaScript.ABORT).reply("A"))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(TransactionTimeoutException.class);
                    assertThat(((TransactionTimeoutException) e).phase()).isEqualTo(TransactionPhase.PREPARE);
                })
                .verify(Duration.ofSeconds(5));
        assertThat(t.calls(LuaScript.COMMIT)).isEmpty();
    }

    @Test
    void leasesAreExtendedUntilTheCommitPointIsDecidedAndNeverTwiceAtOnceOnAShard() {
        Attempt t = new Attempt("a", "b");
        Duration tick = LEASE.dividedBy(3);
        StepVerifier.create(t.process.run())
                .then(() -> time.advanceTimeBy(tick))
                .then(() -> {
                    assertThat(t.link("a").calls(LuaScript.EXTEND)).hasSize(1);
                    assertThat(t.link("b").calls(LuaScript.EXTEND)).hasSize(1);
                    t.link("a").only(LuaScript.EXTEND).reply(1L); // b's extension stays in flight
                })
                .then(() -> time.advanceTimeBy(tick))
                .then(() -> {
                    assertThat(t.link("a").calls(LuaScript.EXTEND)).hasSize(2);
                    assertThat(t.link("b").calls(LuaScript.EXTEND))
                            .as("not sent again while one is in flight")
                            .hasSize(1);
                    t.link("a").calls(LuaScript.EXTEND).get(1).reply(1L);
                    t.link("b").only(LuaScript.EXTEND).reply(1L);
                })
                .then(t::prepareAll)
                // The commit point's reply is awaited: the leases still matter if it was lost.
                .then(() -> time.advanceTimeBy(tick))
                .then(() -> {
                    assertThat(t.link("a").calls(LuaScript.EXTEND)).hasSize(3);
                    assertThat(t.link("b").calls(LuaScript.EXTEND)).hasSize(2);
                    t.primary().only(LuaScript.COMMIT).reply("C");
                })
                // Decided: no extension after this, whatever the roll-forward takes.
                .then(() -> time.advanceTimeBy(tick.multipliedBy(10)))
                .then(() -> t.secondary().only(LuaScript.COMMIT).reply("C"))
                .assertNext(result -> assertThat(result.secondariesSettled()).isTrue())
                .verifyComplete();
        assertThat(t.link("a").calls(LuaScript.EXTEND)).hasSize(3);
        assertThat(t.link("b").calls(LuaScript.EXTEND)).hasSize(2);
    }

    @Test
    void aOnePhaseCommitSentWithoutReplyHasAnUnknownOutcome() {
        Attempt t = new Attempt("a");
        StepVerifier.create(t.process.run())
                .then(() -> t.link("a").only(LuaScript.COMMIT_ONE_PHASE).error(new TimeoutException("no reply")))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(TransactionOutcomeUnknownException.class)
                        .hasMessageContaining("one-phase commit"))
                .verify(Duration.ofSeconds(5));
        assertThat(t.state.isPastCommitPoint()).isTrue();
    }

    @Test
    void aOnePhaseCommitRefusedWithAConflictIsRolledBackAndRetryable() {
        Attempt t = new Attempt("a");
        StepVerifier.create(t.process.run())
                .then(() -> t.link("a").only(LuaScript.COMMIT_ONE_PHASE).reply("CONFLICT", 1L, "READ_CHANGED", ""))
                .expectError(TransactionConflictException.class)
                .verify(Duration.ofSeconds(5));
        assertThat(t.state.isRolledBack()).isTrue();
    }

    /** One transaction attempt writing one key on each of the named participants, committing through fakes. */
    private final class Attempt {
        final Map<String, ScriptedLink> links;
        final AttemptState state = new AttemptState();
        final CommitProcess process;
        /** Starts the rollback, or joins the one already started. */
        final Mono<Void> rollback;

        Attempt(String... participants) {
            RuntimeOptions.Builder options = RuntimeOptions.builder().recovery(r -> r.lease(LEASE));
            for (int i = 0; i < participants.length; i++) {
                options.participant(participants[i], "redis://127.0.0.1:" + (6379 + i)); // never connected
            }
            RuntimeOptions built = options.build();
            Keys keys = new Keys(built.namespace());
            Map<String, ScriptedLink> ls = new LinkedHashMap<>();
            List<StagedKey> writes = new ArrayList<>();
            for (String p : participants) {
                ScriptedLink link = new ScriptedLink(p, keys);
                ls.put(p, link);
                writes.add(new Write(link.shard(-1), "k-" + p));
            }
            this.links = ls;
            RuntimeContext ctx = new RuntimeContext(built, keys, ls, ProtocolHooks.NONE, new Deadlines(time));
            assertThat(state.markCommitting()).isTrue();
            AtomicReference<CommitProcess> self = new AtomicReference<>();
            this.rollback = Mono.defer(() -> self.get().abortAll()).cache();
            this.process = new CommitProcess(ctx, ID, state, () -> rollback, writes);
            self.set(process);
        }

        ScriptedLink link(String name) {
            return links.get(name);
        }

        /** The shard whose prepare carries the record (its third argument says so). */
        ScriptedLink primary() {
            return links.values().stream()
                    .filter(l -> "1".equals(l.only(LuaScript.PREPARE).args()[2]))
                    .findFirst()
                    .orElseThrow();
        }

        ScriptedLink secondary() {
            ScriptedLink primary = primary();
            return links.values().stream().filter(l -> l != primary).findFirst().orElseThrow();
        }

        void prepareAll() {
            links.values().forEach(l -> l.only(LuaScript.PREPARE).reply("OK"));
        }

        /** What a cancel of the caller's subscription does: roll back unless past the commit point. */
        void cancel() {
            if (state.markAborting()) {
                rollback.subscribe();
            }
        }

        List<ScriptedLink.Call> calls(LuaScript script) {
            List<ScriptedLink.Call> all = new ArrayList<>();
            links.values().forEach(l -> all.addAll(l.calls(script)));
            return all;
        }
    }

    /** A key written by the attempt; its spec is opaque here, as only the scripts read it. */
    private record Write(Shard shard, String key) implements StagedKey {
        @Override
        public String lockKey() {
            return "lock:" + key;
        }

        @Override
        public boolean writes() {
            return true;
        }

        @Override
        public void encode(List<String> specs) {
            specs.add("w");
        }
    }
}
