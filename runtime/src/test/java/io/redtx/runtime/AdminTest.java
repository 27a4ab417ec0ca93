package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.KeyLayout;
import io.redtx.api.RedtxArgumentException;
import io.redtx.api.RetryPolicy;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionConflictException;
import io.redtx.api.TransactionStatus;
import io.redtx.api.admin.Intent;
import io.redtx.api.admin.IntentState;
import io.redtx.api.admin.KeyLock;
import io.redtx.api.admin.KeyLocks;
import io.redtx.api.admin.LockState;
import io.redtx.api.admin.Resolution;
import io.redtx.api.admin.TransactionAdmin;
import io.redtx.api.admin.TransactionView;
import io.redtx.api.lock.LockLease;
import io.redtx.api.lock.LockOptions;
import io.redtx.runtime.internal.protocol.ProtocolHooks;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

/**
 * The operator API against real servers holding what a coordinator that died left: listed with its fields, shown
 * with its keys, resolved (only with force while its lease runs), gone afterwards; and the locks on a key.
 */
class AdminTest extends ThreeParticipantsTestBase {

    private static final Duration LONG_LEASE = Duration.ofSeconds(60);
    private static final Duration SHORT_LEASE = Duration.ofMillis(300);
    private static final Duration WAIT = Duration.ofSeconds(10);

    /**
     * Runs a transaction that sets x on a and y on b and whose coordinator dies at {@code step}, as if its process
     * had ended: nothing after that point runs.
     *
     * @return the id of the dead transaction
     */
    private static String crashAt(ProtocolHooks.Step step, Duration lease) {
        AtomicReference<String> dead = new AtomicReference<>();
        RuntimeOptions options = options()
                .timeouts(t -> t.prepare(Duration.ofMillis(500)).commit(Duration.ofMillis(500)))
                .recovery(r -> r.lease(lease).interval(Duration.ZERO))
                .retryPolicy(RetryPolicy.none())
                .build();
        RedisTransactionRuntime dying = RedisTransactionRuntime.create(options, at -> {
            if (at.step() != step) {
                return Mono.empty();
            }
            dead.set(at.transactionId());
            return Mono.error(new IllegalStateException("coordinator died"));
        });
        try {
            StepVerifier.create(dying.inTransaction(
                            t -> t.on("a").set("x", "1").then(t.on("b").set("y", "2"))))
                    .expectError(ProtocolHooks.Halted.class)
                    .verify(WAIT);
        } finally {
            dying.close();
        }
        return dead.get();
    }

    /** An operator's runtime: no recovery pass of its own, so that only what the test does settles anything. */
    private TransactionAdmin admin() {
        return runtime(o -> o.recovery(r -> r.interval(Duration.ZERO))).admin();
    }

    private static List<Intent> inDoubt(TransactionAdmin admin) {
        return admin.inDoubt(100).collectList().block(WAIT);
    }

    @Test
    void inDoubtListsEachIntentOfADeadCoordinatorWithItsStateLeasePrimaryAndKeys() {
        String id = crashAt(ProtocolHooks.Step.AFTER_PREPARE, LONG_LEASE);
        List<Intent> found = inDoubt(admin());

        assertThat(found).extracting(Intent::participant).containsExactly("a", "b");
        assertThat(found).allSatisfy(i -> {
            assertThat(i.transactionId()).isEqualTo(id);
            assertThat(i.state()).isEqualTo(IntentState.PREPARED);
            assertThat(i.shard()).isEqualTo(i.participant());
            assertThat(i.leaseExpired()).isFalse();
            assertThat(i.leaseRemaining()).isPositive().isLessThanOrEqualTo(LONG_LEASE);
            assertThat(i.age()).isLessThan(WAIT);
        });
        assertThat(found.get(0).keys()).containsExactly("x");
        assertThat(found.get(1).keys()).containsExactly("y");
        // Exactly one holds the record, and both name it.
        assertThat(found).filteredOn(Intent::primary).hasSize(1);
        String primary =
                found.stream().filter(Intent::primary).findFirst().orElseThrow().shard();
        assertThat(found).extracting(Intent::primaryShard).containsOnly(primary);
    }

    @Test
    void inDoubtStopsAtItsLimitAndRefusesABadOne() {
        crashAt(ProtocolHooks.Step.AFTER_PREPARE, LONG_LEASE);
        TransactionAdmin admin = admin();

        assertThat(admin.inDoubt(1).collectList().block(WAIT)).hasSize(1);
        StepVerifier.create(admin.inDoubt(0))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(RedtxArgumentException.class)
                        .hasMessageContaining("limit must be 1 to 10000, was 0"))
                .verify(WAIT);
    }

    @Test
    void showGivesTheDetailsAndTheKeysOfEveryIntent() {
        String id = crashAt(ProtocolHooks.Step.AFTER_PREPARE, LONG_LEASE);
        TransactionView view = admin().show(id).block(WAIT);

        assertThat(view.details().transactionId()).isEqualTo(id);
        assertThat(view.details().status()).isEqualTo(TransactionStatus.IN_DOUBT);
        assertThat(view.details().primary()).isPresent();
        assertThat(view.intents())
                .extracting(Intent::participant, Intent::keys)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("a", List.of("x")),
                        org.assertj.core.groups.Tuple.tuple("b", List.of("y")));
    }

    @Test
    void showOfAnUnknownIdIsUnknownWithNoIntent() {
        TransactionView view = admin().show("18c0000000-unknown").block(WAIT);

        assertThat(view.details().status()).isEqualTo(TransactionStatus.UNKNOWN);
        assertThat(view.intents()).isEmpty();
    }

    @Test
    void resolveLeavesARunningLeaseAloneWithoutForce() {
        String id = crashAt(ProtocolHooks.Step.AFTER_PREPARE, LONG_LEASE);
        TransactionAdmin admin = admin();

        StepVerifier.create(admin.resolve(id, false))
                .expectNext(new Resolution(id, Resolution.Action.LEASE_RUNNING, TransactionStatus.IN_DOUBT))
                .verifyComplete();
        assertThat(inDoubt(admin)).hasSize(2);
    }

    @Test
    void forcedResolveAbortsAPreparedTransactionWhoseLeaseRunsAndLeavesNothing() {
        String id = crashAt(ProtocolHooks.Step.AFTER_PREPARE, LONG_LEASE);
        TransactionAdmin admin = admin();

        StepVerifier.create(admin.resolve(id, true))
                .expectNext(new Resolution(id, Resolution.Action.ROLLED_BACK, TransactionStatus.ABORTED))
                .verifyComplete();
        assertThat(inDoubt(admin)).isEmpty();
        assertThat(get(a, "x")).isNull();
        assertThat(get(b, "y")).isNull();
        assertNoIntents();
        // Settled: a second try has nothing to do.
        StepVerifier.create(admin.resolve(id, true))
                .expectNext(new Resolution(id, Resolution.Action.ALREADY_SETTLED, TransactionStatus.ABORTED))
                .verifyComplete();
    }

    @Test
    void forcingUnderALiveCoordinatorMakesItsCommitPointFailWithAConflict() {
        Sinks.Empty<Void> paused = Sinks.empty();
        Sinks.Empty<Void> goOn = Sinks.empty();
        AtomicReference<String> id = new AtomicReference<>();
        RedisTransactionRuntime live = RedisTransactionRuntime.create(
                options()
                        .recovery(r -> r.lease(LONG_LEASE).interval(Duration.ZERO))
                        .retryPolicy(RetryPolicy.none())
                        .build(),
                at -> {
                    if (at.step() != ProtocolHooks.Step.AFTER_PREPARE) {
                        return Mono.empty();
                    }
                    id.set(at.transactionId());
                    paused.tryEmitEmpty();
                    return goOn.asMono(); // alive, only slow: it goes on to its commit point when told
                });
        try {
            Mono<Void> commit = live.inTransaction(
                            t -> t.on("a").set("x", "1").then(t.on("b").set("y", "2")))
                    .then();
            StepVerifier.create(commit)
                    .then(() -> {
                        paused.asMono().block(WAIT);
                        StepVerifier.create(admin().resolve(id.get(), true))
                                .expectNext(new Resolution(
                                        id.get(), Resolution.Action.ROLLED_BACK, TransactionStatus.ABORTED))
                                .verifyComplete();
                        goOn.tryEmitEmpty();
                    })
                    .expectError(TransactionConflictException.class)
                    .verify(WAIT);
        } finally {
            live.close();
        }
        assertThat(get(a, "x")).isNull();
        assertThat(get(b, "y")).isNull();
        assertNoIntents();
    }

    @Test
    void resolveRollsACommittedTransactionForwardOnceItsLeaseExpired() throws InterruptedException {
        String id = crashAt(ProtocolHooks.Step.AFTER_COMMIT_POINT, SHORT_LEASE);
        TransactionAdmin admin = admin();
        Thread.sleep(SHORT_LEASE.toMillis() + 100);

        assertThat(inDoubt(admin))
                .extracting(Intent::state, Intent::leaseExpired)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple(IntentState.COMMITTED, true),
                        org.assertj.core.groups.Tuple.tuple(IntentState.PREPARED, true));
        StepVerifier.create(admin.resolve(id, false))
                .expectNext(new Resolution(id, Resolution.Action.ROLLED_FORWARD, TransactionStatus.COMMITTED))
                .verifyComplete();
        assertThat(get(a, "x")).isEqualTo("1");
        assertThat(get(b, "y")).isEqualTo("2");
        assertThat(inDoubt(admin)).isEmpty();
        assertNoIntents();
    }

    @Test
    void forcedResolveRollsACommittedRecordForwardEvenWhileItsLeaseRuns() {
        String id = crashAt(ProtocolHooks.Step.AFTER_COMMIT_POINT, LONG_LEASE);
        TransactionAdmin admin = admin();

        StepVerifier.create(admin.resolve(id, false))
                .expectNext(new Resolution(id, Resolution.Action.LEASE_RUNNING, TransactionStatus.COMMITTED))
                .verifyComplete();
        // Forcing never aborts what the record says committed.
        StepVerifier.create(admin.resolve(id, true))
                .expectNext(new Resolution(id, Resolution.Action.ROLLED_FORWARD, TransactionStatus.COMMITTED))
                .verifyComplete();
        assertThat(get(a, "x")).isEqualTo("1");
        assertThat(get(b, "y")).isEqualTo("2");
        assertThat(inDoubt(admin)).isEmpty();
        assertNoIntents();
    }

    @Test
    void resolveOfAnIdNobodyKnowsFindsNothing() {
        StepVerifier.create(admin().resolve("18c0000000-nobody", true))
                .expectNext(new Resolution("18c0000000-nobody", Resolution.Action.NOT_FOUND, TransactionStatus.UNKNOWN))
                .verifyComplete();
    }

    @Test
    void locksShowTheDistributedLockAndTheTransactionHoldingTheKey() {
        String id = crashAt(ProtocolHooks.Step.AFTER_PREPARE, LONG_LEASE);
        TransactionAdmin admin = admin();
        LockLease lease = runtime.lock(
                        "x", LockOptions.builder().participant("c").build())
                .acquire()
                .block(WAIT);

        KeyLocks locks = admin.locks("x").block(WAIT);

        assertThat(locks.free()).isFalse();
        assertThat(locks.transactions()).singleElement().satisfies(t -> {
            assertThat(t)
                    .extracting(KeyLock::participant, KeyLock::transactionId, KeyLock::write, KeyLock::state)
                    .containsExactly("a", id, true, Optional.of(IntentState.PREPARED));
            assertThat(t.leaseRemaining()).isPositive();
        });
        assertThat(locks.locks()).singleElement().satisfies(l -> {
            assertThat(l.participant()).isEqualTo("c");
            assertThat(l.kind()).isEqualTo(LockState.Kind.LOCK);
            assertThat(l.lastToken()).isEqualTo(lease.token());
            assertThat(l.holders()).singleElement().satisfies(h -> {
                assertThat(h.token()).isEqualTo(lease.token());
                assertThat(h.mode()).isEqualTo("x");
                assertThat(h.leaseRemaining()).isPositive().isLessThanOrEqualTo(LockOptions.DEFAULT_LEASE);
            });
        });

        lease.release().block(WAIT);
        admin.resolve(id, true).block(WAIT);
        KeyLocks after = admin.locks("x").block(WAIT);
        assertThat(after.free()).isTrue();
        assertThat(after.locks())
                .singleElement()
                .satisfies(l -> assertThat(l.lastToken()).isEqualTo(lease.token()));
    }

    @Test
    void locksShowAReadWriteLocksReadersAndASemaphoresPermits() {
        TransactionAdmin admin = admin();
        LockOptions onB = LockOptions.builder().participant("b").build();
        LockLease reader = runtime.readWriteLock("q", onB).readLock().acquire().block(WAIT);
        LockLease permit = runtime.semaphore("q", 2, onB).acquire().block(WAIT);

        KeyLocks locks = admin.locks("q").block(WAIT);

        assertThat(locks.transactions()).isEmpty();
        assertThat(locks.locks())
                .extracting(LockState::participant, LockState::kind)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("b", LockState.Kind.READ_WRITE_LOCK),
                        org.assertj.core.groups.Tuple.tuple("b", LockState.Kind.SEMAPHORE));
        assertThat(locks.locks().get(0).holders()).singleElement().satisfies(h -> {
            assertThat(h.mode()).isEqualTo("r");
            assertThat(h.token()).isEqualTo(reader.token());
        });
        assertThat(locks.locks().get(1).holders()).singleElement().satisfies(h -> {
            assertThat(h.mode()).isEqualTo("s");
            assertThat(h.token()).isEqualTo(permit.token());
        });
        reader.release().block(WAIT);
        permit.release().block(WAIT);
        assertThat(admin.locks("q").block(WAIT).free()).isTrue();
    }

    @Test
    void locksRefuseAKeyInTheNamespace() {
        StepVerifier.create(admin().locks(KeyLayout.DEFAULT.namespace() + "x"))
                .expectError(RedtxArgumentException.class)
                .verify(WAIT);
    }
}
