package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.CommitProtocol;
import io.redtx.api.KeyLayout;
import io.redtx.api.RecoveryReport;
import io.redtx.api.RedtxTransientException;
import io.redtx.api.RetryPolicy;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionConflictException;
import io.redtx.api.TransactionResult;
import io.redtx.runtime.internal.protocol.ProtocolHooks;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * A live coordinator extends its transaction's leases until the commit point is decided (docs/design.md#leases), so a
 * transaction slower than its lease is not resolved under its feet; a dead (halted) one stops extending, and recovery
 * settles it once its lease ends.
 */
class LeaseTest extends ThreeParticipantsTestBase {

    private static final Duration LEASE = Duration.ofMillis(300);
    private static final Duration STALL = Duration.ofMillis(1500);

    private static RuntimeOptions.Builder shortLease(RuntimeOptions.Builder o) {
        return o.recovery(r -> r.lease(LEASE).interval(Duration.ZERO))
                .timeouts(t -> t.prepare(Duration.ofSeconds(2)).commit(Duration.ofSeconds(2)))
                .retryPolicy(RetryPolicy.none());
    }

    /** Sets x on a and y on b: a two-phase commit. */
    private static Mono<TransactionResult<String>> setXandY(RedisTransactionRuntime rt) {
        return rt.inTransactionWithResult(
                t -> t.on("a").set("x", "1").then(t.on("b").set("y", "2")).thenReturn("done"));
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static boolean preparedOnAAndB() {
        return a.command("ZCARD", KeyLayout.DEFAULT.indexKey()).equals(1L)
                && b.command("ZCARD", KeyLayout.DEFAULT.indexKey()).equals(1L);
    }

    private static void expectForeignIntent(RedisTransactionRuntime rt, String participant, String key, String owner) {
        StepVerifier.create(rt.inTransaction(t -> t.on(participant).get(key)))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(RedtxTransientException.class)
                        .isInstanceOfSatisfying(TransactionConflictException.class, c -> {
                            assertThat(c.reason()).isEqualTo(TransactionConflictException.Reason.FOREIGN_INTENT);
                            assertThat(c.key()).isEqualTo(key);
                            assertThat(c).hasMessageContaining("held by " + owner);
                        }))
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void aStalledLiveCoordinatorKeepsItsLeasesSoRecoveryLeavesItAloneAndItCommits() throws Exception {
        AtomicReference<String> stalledId = new AtomicReference<>();
        RedisTransactionRuntime stalled = runtime(LeaseTest::shortLease, at -> {
            if (at.step() != ProtocolHooks.Step.AFTER_PREPARE) {
                return Mono.empty();
            }
            stalledId.set(at.transactionId());
            return Mono.delay(STALL).then();
        });
        CompletableFuture<TransactionResult<String>> outcome = setXandY(stalled).toFuture();
        awaitTrue(LeaseTest::preparedOnAAndB);
        long preparedAt = System.nanoTime();

        // Its reads do not wait for a foreign intent: the stalled coordinator's intent is their answer.
        RedisTransactionRuntime observer = RedisTransactionRuntime.create(
                shortLease(options()).timeouts(t -> t.intentWait(Duration.ZERO)).build(), ProtocolHooks.NONE);
        int rounds = 0;
        try {
            // Well past several leases, and still inside the stall.
            while (System.nanoTime() - preparedAt < STALL.minusMillis(400).toNanos()) {
                StepVerifier.create(observer.recover())
                        .expectNext(RecoveryReport.EMPTY)
                        .verifyComplete();
                expectForeignIntent(observer, "a", "x", stalledId.get());
                expectForeignIntent(observer, "b", "y", stalledId.get());
                rounds++;
                sleep(LEASE.dividedBy(2));
            }
            assertThat(outcome).as("still stalled while recovery ran").isNotDone();
        } finally {
            observer.close();
        }
        assertThat(rounds).isGreaterThanOrEqualTo(3);
        assertThat(System.nanoTime() - preparedAt)
                .as("checked for longer than 3 leases")
                .isGreaterThan(LEASE.multipliedBy(3).toNanos());

        TransactionResult<String> result = outcome.get(10, TimeUnit.SECONDS);
        assertThat(result.value()).isEqualTo("done");
        assertThat(result.commit().protocol()).isEqualTo(CommitProtocol.TWO_PHASE);
        assertThat(get(a, "x")).isEqualTo("1");
        assertThat(get(b, "y")).isEqualTo("2");
        assertNoIntents();
    }

    @Test
    void aHaltedCoordinatorStopsExtendingAndRecoveryRollsItBack() {
        // Halted after two leases' worth of stall, during which it extended its leases; the runtime stays open, so an
        // extension that outlived the halt would still reach the shards.
        RedisTransactionRuntime dying = runtime(
                LeaseTest::shortLease,
                at -> at.step() == ProtocolHooks.Step.AFTER_PREPARE
                        ? Mono.delay(LEASE.multipliedBy(2))
                                .then(Mono.error(new IllegalStateException("coordinator died")))
                        : Mono.empty());
        StepVerifier.create(setXandY(dying))
                .expectErrorSatisfies(e ->
                        assertThat(e).isInstanceOf(ProtocolHooks.Halted.class).hasRootCauseMessage("coordinator died"))
                .verify(Duration.ofSeconds(10));
        assertThat(preparedOnAAndB()).as("intents left on a and b").isTrue();
        StepVerifier.create(dying.recover())
                .as("leases extended until the halt still run")
                .expectNext(RecoveryReport.EMPTY)
                .verifyComplete();

        sleep(LEASE.multipliedBy(2));

        // Every index is read before anything is resolved: both intents are counted.
        StepVerifier.create(dying.recover())
                .expectNext(new RecoveryReport(2, 0, 2, 0, 0))
                .verifyComplete();
        assertThat(get(a, "x")).isNull();
        assertThat(get(b, "y")).isNull();
        assertNoIntents();
    }
}
