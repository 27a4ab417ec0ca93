package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.redtx.api.CommitResult;
import io.redtx.api.RecoveryReport;
import io.redtx.api.RedtxArgumentException;
import io.redtx.api.RetryPolicy;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionDetails;
import io.redtx.api.TransactionResult;
import io.redtx.api.TransactionStatus;
import io.redtx.api.external.ExternalParticipant;
import io.redtx.api.external.ExternalParticipantException;
import io.redtx.api.external.ExternalState;
import io.redtx.runtime.internal.protocol.ProtocolHooks;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** External (TCC) participants in two-phase commits: confirmed iff the record committed, cancelled otherwise. */
class ExternalParticipantTest extends ThreeParticipantsTestBase {

    private static final Duration WAIT = Duration.ofSeconds(10);

    /**
     * A TCC participant that keeps its reservations in memory and honours the contract: idempotent steps, a cancel
     * before the try makes the late try fail, and it counts what would break the contract.
     */
    static final class Ledger implements ExternalParticipant {
        final String name;
        final Map<String, String> state = new ConcurrentHashMap<>(); // id -> TRIED | CONFIRMED | CANCELLED
        final Map<String, Map<String, String>> requests = new ConcurrentHashMap<>();
        final AtomicInteger confirms = new AtomicInteger();
        final AtomicInteger cancels = new AtomicInteger();
        final AtomicInteger violations = new AtomicInteger();
        volatile Mono<Void> beforeTry = Mono.empty();
        volatile boolean refuseTry;
        volatile boolean failConfirm;
        volatile boolean failCancel;

        Ledger(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Mono<Void> tryReserve(String id, Map<String, String> request) {
            return beforeTry.then(Mono.fromRunnable(() -> {
                if (refuseTry) {
                    throw new IllegalStateException("insufficient funds");
                }
                synchronized (this) {
                    String now = state.get(id);
                    if ("CANCELLED".equals(now)) {
                        throw new IllegalStateException("transaction " + id + " was cancelled before its try");
                    }
                    state.putIfAbsent(id, "TRIED");
                    requests.put(id, request);
                }
            }));
        }

        @Override
        public Mono<Void> confirm(String id) {
            return Mono.fromRunnable(() -> {
                if (failConfirm) {
                    throw new IllegalStateException("service unavailable");
                }
                synchronized (this) {
                    String now = state.get(id);
                    if (!"TRIED".equals(now) && !"CONFIRMED".equals(now)) {
                        violations.incrementAndGet(); // confirm without a try, or after a cancel
                    }
                    state.put(id, "CONFIRMED");
                    confirms.incrementAndGet();
                }
            });
        }

        @Override
        public Mono<Void> cancel(String id) {
            return Mono.fromRunnable(() -> {
                if (failCancel) {
                    throw new IllegalStateException("service unavailable");
                }
                synchronized (this) {
                    if ("CONFIRMED".equals(state.get(id))) {
                        violations.incrementAndGet(); // cancel after a confirm
                    }
                    state.put(id, "CANCELLED");
                    requests.remove(id);
                    cancels.incrementAndGet();
                }
            });
        }

        long inState(String s) {
            return state.values().stream().filter(s::equals).count();
        }
    }

    private final Ledger pay = new Ledger("pay");
    private final Ledger ship = new Ledger("ship");

    private RedisTransactionRuntime runtimeWith(UnaryOperator<RuntimeOptions.Builder> more, ProtocolHooks hooks) {
        return runtime(o -> more.apply(o.external(pay).external(ship)), hooks);
    }

    private RedisTransactionRuntime runtimeWith(UnaryOperator<RuntimeOptions.Builder> more) {
        return runtimeWith(more, ProtocolHooks.NONE);
    }

    @Test
    void aCommittedTransactionConfirmsEveryExternalParticipantWithItsRequest() {
        RedisTransactionRuntime rt = runtimeWith(o -> o);
        TransactionResult<Void> r = rt.<Void>inTransactionWithResult(tx -> tx.on("a")
                        .set("order:1", "placed")
                        .then(tx.external("pay", Map.of("amount", "5")))
                        .then(tx.external("ship", Map.of("to", "home"))))
                .block(WAIT);
        String id = r.commit().transactionId();
        assertThat(pay.state).containsEntry(id, "CONFIRMED");
        assertThat(ship.state).containsEntry(id, "CONFIRMED");
        assertThat(pay.requests.get(id)).containsEntry("amount", "5");
        assertThat(get(a, "order:1")).isEqualTo("placed");
        assertThat(r.commit().secondariesSettled()).isTrue();
        assertNoIntents();
        // The settled record is kept for the retention: it still says who holds it and what each participant did.
        TransactionDetails details = rt.details(id).block(WAIT);
        assertThat(details.status()).isEqualTo(TransactionStatus.COMMITTED);
        assertThat(details.primary()).contains("a");
        assertThat(details.externals())
                .containsExactly(Map.entry("pay", ExternalState.CONFIRMED), Map.entry("ship", ExternalState.CONFIRMED));
    }

    @Test
    void detailsOfATransactionNobodyKnowsListNothing() {
        RedisTransactionRuntime rt = runtimeWith(o -> o);
        TransactionDetails details = rt.details("never-ran").block(WAIT);
        assertThat(details)
                .isEqualTo(new TransactionDetails("never-ran", TransactionStatus.UNKNOWN, Optional.empty(), Map.of()));
        StepVerifier.create(rt.details(""))
                .expectError(RedtxArgumentException.class)
                .verify(WAIT);
    }

    @Test
    void aTransactionWithOnlyExternalWorkKeepsItsRecordInRedis() {
        RedisTransactionRuntime rt = runtimeWith(o -> o);
        CommitResult commit = rt.inTransactionWithResult(tx -> tx.external("pay", Map.of("amount", "1")))
                .block(WAIT)
                .commit();
        assertThat(pay.state).containsEntry(commit.transactionId(), "CONFIRMED");
        assertNoIntents();
    }

    @Test
    void aRefusedTryRollsBackEverythingAndCancelsEveryExternalParticipant() {
        RedisTransactionRuntime rt = runtimeWith(o -> o);
        ship.refuseTry = true;
        StepVerifier.create(rt.inTransaction(tx -> tx.on("a")
                        .set("order:2", "placed")
                        .then(tx.on("b").set("stock:2", "9"))
                        .then(tx.external("pay", Map.of("amount", "5")))
                        .then(tx.external("ship", Map.of()))))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOfSatisfying(
                                ExternalParticipantException.class,
                                x -> assertThat(x.participant()).isEqualTo("ship"))
                        .hasMessageContaining("external participant 'ship' refused to reserve")
                        .hasMessageContaining("insufficient funds"))
                .verify(WAIT);
        assertThat(get(a, "order:2")).isNull();
        assertThat(get(b, "stock:2")).isNull();
        awaitTrue(() -> pay.inState("CANCELLED") == 1 && ship.inState("CANCELLED") == 1);
        assertThat(pay.confirms.get() + ship.confirms.get()).isZero();
        assertNoIntents();
    }

    @Test
    void aTryThatOutlivesThePrepareTimeoutIsCancelledAndFailsWhenItFinallyArrives() {
        RedisTransactionRuntime rt = runtimeWith(o -> o.timeouts(t -> t.prepare(Duration.ofMillis(200))));
        pay.beforeTry = Mono.delay(Duration.ofMillis(600)).then();
        StepVerifier.create(rt.inTransaction(
                        tx -> tx.on("a").set("order:3", "placed").then(tx.external("pay", Map.of("amount", "5")))))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(ExternalParticipantException.class)
                        .hasMessage("external participant 'pay' did not reserve within 200 ms (timeouts.prepare)"))
                .verify(WAIT);
        // The cancel came first (an empty rollback); the try, had it gone on, would have found it and reserved
        // nothing: the hanging reservation Seata documents.
        awaitTrue(() -> pay.inState("CANCELLED") == 1);
        String id = pay.state.keySet().iterator().next();
        StepVerifier.create(pay.tryReserve(id, Map.of("amount", "5")))
                .expectErrorMessage("transaction " + id + " was cancelled before its try")
                .verify(WAIT);
        assertThat(pay.requests).isEmpty();
        assertThat(get(a, "order:3")).isNull();
        assertNoIntents();
    }

    @Test
    void aConfirmThatKeepsFailingIsRetriedByRecoveryUntilItSucceeds() {
        RedisTransactionRuntime rt =
                runtimeWith(o -> o.recovery(r -> r.lease(Duration.ofMillis(300)).interval(Duration.ZERO)));
        pay.failConfirm = true;
        CommitResult commit = rt.inTransactionWithResult(
                        tx -> tx.on("a").set("order:4", "placed").then(tx.external("pay", Map.of("amount", "5"))))
                .block(WAIT)
                .commit();
        assertThat(get(a, "order:4")).isEqualTo("placed"); // committed: the record decided
        assertThat(commit.secondariesSettled()).isFalse();
        assertThat(pay.state).containsEntry(commit.transactionId(), "TRIED");
        assertThat(rt.details(commit.transactionId()).block(WAIT).externals())
                .containsExactly(Map.entry("pay", ExternalState.CONFIRMING));
        // Still failing: recovery reports it pending (and the intent left), and keeps the record.
        awaitTrue(() -> {
            RecoveryReport failing = rt.recover().block(WAIT);
            return failing.externalsConfirming() == 1
                    && failing.externalsCancelling() == 0
                    && failing.oldestPendingExternal().compareTo(Duration.ZERO) > 0
                    && failing.left() > 0
                    && failing.externalsSettled() == 0;
        });
        pay.failConfirm = false;
        awaitTrue(() -> rt.recover().block(WAIT).externalsSettled() == 1);
        assertThat(pay.state).containsEntry(commit.transactionId(), "CONFIRMED");
        RecoveryReport after = rt.recover().block(WAIT);
        assertThat(after.externalsPending()).isZero();
        assertThat(after.oldestPendingExternal()).isZero();
        assertThat(rt.details(commit.transactionId()).block(WAIT).externals())
                .containsExactly(Map.entry("pay", ExternalState.CONFIRMED));
        assertThat(pay.violations.get()).isZero();
        assertNoIntents();
    }

    @Test
    void aCoordinatorThatDiesAfterTheTriesHasThemCancelledByRecoveryInAnotherRuntime() {
        RedisTransactionRuntime dying = runtimeWith(
                o -> o.recovery(r -> r.lease(Duration.ofMillis(300)).interval(Duration.ZERO)),
                at -> at.step() == ProtocolHooks.Step.AFTER_PREPARE
                        ? Mono.error(new IllegalStateException("coordinator died"))
                        : Mono.empty());
        StepVerifier.create(dying.inTransaction(tx -> tx.on("a")
                        .set("order:5", "placed")
                        .then(tx.external("pay", Map.of("amount", "5")))
                        .then(tx.external("ship", Map.of()))))
                .expectError(ProtocolHooks.Halted.class)
                .verify(WAIT);
        assertThat(pay.inState("TRIED")).isEqualTo(1);
        String id = pay.state.keySet().iterator().next();
        TransactionDetails inDoubt = dying.details(id).block(WAIT);
        assertThat(inDoubt.status()).isEqualTo(TransactionStatus.IN_DOUBT);
        assertThat(inDoubt.externals())
                .containsExactly(Map.entry("pay", ExternalState.UNDECIDED), Map.entry("ship", ExternalState.UNDECIDED));
        pay.failCancel = true;
        RedisTransactionRuntime other = RedisTransactionRuntime.create(
                options().external(pay).external(ship).build(), ProtocolHooks.NONE);
        try {
            // A cancel that keeps failing is reported, by state, and the record says which participant it is.
            awaitTrue(() -> {
                RecoveryReport r = other.recover().block(WAIT);
                return r.externalsCancelling() == 1 && r.externalsConfirming() == 0;
            });
            assertThat(other.details(id).block(WAIT).externals())
                    .containsExactly(
                            Map.entry("pay", ExternalState.CANCELLING), Map.entry("ship", ExternalState.CANCELLED));
            pay.failCancel = false;
            awaitTrue(() -> {
                other.recover().block(WAIT);
                return pay.inState("CANCELLED") == 1 && ship.inState("CANCELLED") == 1;
            });
            assertThat(other.details(id).block(WAIT).externals())
                    .containsExactly(
                            Map.entry("pay", ExternalState.CANCELLED), Map.entry("ship", ExternalState.CANCELLED));
        } finally {
            other.closeGracefully().block(WAIT);
        }
        assertThat(get(a, "order:5")).isNull();
        assertThat(pay.confirms.get()).isZero();
        assertNoIntents();
    }

    @Test
    void aCoordinatorThatDiesAfterTheCommitPointHasItsExternalsConfirmedByRecovery() {
        RedisTransactionRuntime dying = runtimeWith(
                o -> o.recovery(r -> r.lease(Duration.ofMillis(300)).interval(Duration.ZERO)),
                at -> at.step() == ProtocolHooks.Step.AFTER_COMMIT_POINT
                        ? Mono.error(new IllegalStateException("coordinator died"))
                        : Mono.empty());
        StepVerifier.create(dying.inTransaction(tx -> tx.on("a")
                        .set("order:6", "placed")
                        .then(tx.on("b").set("stock:6", "1"))
                        .then(tx.external("pay", Map.of("amount", "5")))))
                .expectError(ProtocolHooks.Halted.class)
                .verify(WAIT);
        awaitTrue(() -> {
            dying.recover().block(WAIT);
            return pay.inState("CONFIRMED") == 1;
        });
        assertThat(get(a, "order:6")).isEqualTo("placed");
        assertThat(get(b, "stock:6")).isEqualTo("1");
        assertThat(pay.cancels.get()).isZero();
        assertThat(pay.violations.get()).isZero();
        assertNoIntents();
    }

    @Test
    void badRegistrationsAndJoinsAreRefused() {
        assertThatThrownBy(() -> options().external(pay).external(new Ledger("pay")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("external participant 'pay' is registered twice");
        assertThatThrownBy(() -> options().external(new Ledger("a")).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("external participant 'a' has the name of a Redis participant");
        assertThatThrownBy(() -> options().external(new Ledger("no,commas")))
                .isInstanceOf(IllegalArgumentException.class);
        RedisTransactionRuntime rt = runtimeWith(o -> o.retryPolicy(RetryPolicy.none()));
        StepVerifier.create(rt.inTransaction(tx -> tx.external("bank", Map.of())))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(RedtxArgumentException.class)
                        .hasMessageContaining("unknown external participant 'bank'; registered: [pay, ship]"))
                .verify(WAIT);
        StepVerifier.create(rt.inTransaction(tx -> tx.external("pay", Map.of()).then(tx.external("pay", Map.of()))))
                .expectErrorMessage("external participant 'pay' already joined this transaction")
                .verify(WAIT);
        assertThat(pay.state).isEmpty();
        assertThat(List.of(pay.violations.get(), ship.violations.get())).containsOnly(0);
    }
}
