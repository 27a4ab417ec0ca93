package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.redtx.api.RecoveryReport;
import io.redtx.api.RedtxArgumentException;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.metrics.TransactionMetrics;
import io.redtx.api.saga.SagaDefinition;
import io.redtx.api.saga.SagaOutcome;
import io.redtx.api.saga.SagaRecovery;
import io.redtx.api.saga.SagaRetry;
import io.redtx.api.saga.SagaStep;
import io.redtx.api.saga.SagaStepTimeoutException;
import io.redtx.runtime.internal.protocol.ProtocolHooks;
import io.redtx.test.redis.RedisServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

/**
 * Sagas against three real servers: steps across participants, compensation in reverse order, forward retries, a
 * runner that dies and is finished by another runtime's recovery pass, and one run per saga id.
 */
class SagaTest extends ThreeParticipantsTestBase {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Duration LEASE = Duration.ofMillis(300);

    /** What the external steps did, in order, across every runtime of a test. */
    private final List<String> calls = new CopyOnWriteArrayList<>();

    private static long value(RedisServer s, String key) {
        Object v = get(s, key);
        return v == null ? 0 : Long.parseLong(v.toString());
    }

    /**
     * reserve (a transaction on "a", compensated) → charge (external, compensated) → ship (a transaction on "b" and
     * "c"), where {@code charge} and {@code ship} do what the test gives.
     */
    private SagaDefinition order(String name, SagaRecovery recovery, SagaStep charge, SagaStep ship) {
        return SagaDefinition.builder(name)
                .recovery(recovery)
                .lease(LEASE)
                .step(SagaStep.transactional("reserve", (ctx, tx) -> tx.on("a").decrBy("stock", 1))
                        .withCompensation((ctx, tx) -> tx.on("a").incrBy("stock", 1))
                        .withRetry(SagaRetry.none()))
                .step(charge)
                .step(ship)
                .build();
    }

    private SagaStep charge() {
        return SagaStep.external("charge", ctx -> Mono.fromRunnable(() -> calls.add("charge " + ctx.idempotencyKey())))
                .withCompensation(ctx -> Mono.fromRunnable(() -> calls.add("refund " + ctx.idempotencyKey())));
    }

    private static SagaStep ship() {
        return SagaStep.transactional(
                        "ship",
                        (ctx, tx) -> tx.on("b")
                                .incrBy("shipped", 1)
                                .then(tx.on("c")
                                        .set(
                                                "order:" + ctx.sagaId(),
                                                ctx.input().get("item"))))
                .withRetry(SagaRetry.none());
    }

    private RedisTransactionRuntime runtimeWith(SagaDefinition... sagas) {
        // No periodic pass: each test runs its recovery passes itself, to count what one does.
        return runtime(o -> {
            o.recovery(r -> r.interval(Duration.ZERO));
            for (SagaDefinition s : sagas) {
                o.saga(s);
            }
            return o;
        });
    }

    private static RedisTransactionRuntime other(SagaDefinition saga) {
        RuntimeOptions.Builder o = options().saga(saga).recovery(r -> r.interval(Duration.ZERO));
        return RedisTransactionRuntime.create(o.build(), ProtocolHooks.NONE);
    }

    @Test
    void everyStepTakesEffectOnceAcrossParticipants() {
        RedisTransactionRuntime rt = runtimeWith(order("order", SagaRecovery.BACKWARD, charge(), ship()));

        rt.saga("order")
                .start("o-1", Map.of("item", "book"))
                .as(StepVerifier::create)
                .assertNext(outcome -> {
                    assertThat(outcome.status()).isEqualTo(SagaOutcome.Status.COMPLETED);
                    assertThat(outcome.completedSteps()).containsExactly("reserve", "charge", "ship");
                    assertThat(outcome.compensatedSteps()).isEmpty();
                    assertThat(outcome.cause()).isEmpty();
                })
                .verifyComplete();

        assertThat(value(a, "stock")).isEqualTo(-1);
        assertThat(value(b, "shipped")).isEqualTo(1);
        assertThat(get(c, "order:o-1")).isEqualTo("book");
        assertThat(calls).containsExactly("charge o-1/1");
        // The index lists only unfinished sagas; the record stays, and the lease is gone.
        String indexHolder = options().build().keyRouter().participantFor("o-1");
        RedisServer holder = Map.of("a", a, "b", b, "c", c).get(indexHolder);
        assertThat(holder.command("HLEN", "redtx:sgi")).isEqualTo(0L);
        assertThat(String.valueOf(holder.command("GET", "redtx:sg:{o-1}"))).contains("state=COMPLETED");
        assertThat(holder.command("EXISTS", "redtx:sgl:{o-1}")).isEqualTo(0L);
        assertNoIntents();
    }

    @Test
    void aFailingStepCompensatesTheEarlierStepsInReverseOrder() {
        SagaStep ship = SagaStep.transactional(
                        "ship",
                        (ctx, tx) -> tx.on("b")
                                .incrBy("shipped", 1)
                                .then(Mono.error(new IllegalStateException("no courier"))))
                .withRetry(SagaRetry.of(2, Duration.ZERO));
        RedisTransactionRuntime rt = runtimeWith(order("order", SagaRecovery.BACKWARD, charge(), ship));

        rt.saga("order")
                .start("o-2", Map.of())
                .as(StepVerifier::create)
                .assertNext(outcome -> {
                    assertThat(outcome.status()).isEqualTo(SagaOutcome.Status.COMPENSATED);
                    assertThat(outcome.completedSteps()).containsExactly("reserve", "charge");
                    assertThat(outcome.compensatedSteps()).containsExactly("charge", "reserve");
                    assertThat(outcome.failedStep()).contains("ship");
                    assertThat(outcome.cause()).contains("IllegalStateException: no courier");
                    assertThat(outcome.error()).get().isInstanceOf(IllegalStateException.class);
                })
                .verifyComplete();

        assertThat(value(a, "stock")).isZero(); // reserved, then released once
        assertThat(value(b, "shipped")).isZero(); // the failed step's transaction never committed
        assertThat(calls).containsExactly("charge o-2/1", "refund o-2/1");
        assertNoIntents();
    }

    @Test
    void aStepThatTimesOutFailsWithATypedErrorAndIsCompensated() {
        AtomicInteger refunds = new AtomicInteger();
        SagaStep charge = SagaStep.external("charge", ctx -> Mono.never())
                .withCompensation(ctx -> Mono.fromRunnable(refunds::incrementAndGet))
                .withTimeout(Duration.ofMillis(200))
                .withRetry(SagaRetry.none());
        RedisTransactionRuntime rt = runtimeWith(order("order", SagaRecovery.BACKWARD, charge, ship()));

        rt.saga("order")
                .start("o-3", Map.of())
                .as(StepVerifier::create)
                .assertNext(outcome -> {
                    assertThat(outcome.status()).isEqualTo(SagaOutcome.Status.COMPENSATED);
                    assertThat(outcome.failedStep()).contains("charge");
                    assertThat(outcome.error()).get().isInstanceOfSatisfying(SagaStepTimeoutException.class, e -> {
                        assertThat(e.stepName()).isEqualTo("charge");
                        assertThat(e.timeout()).isEqualTo(Duration.ofMillis(200));
                    });
                    assertThat(outcome.cause())
                            .get()
                            .asString()
                            .contains("step 'charge' did not finish within its timeout of 200 ms");
                    // A call that timed out may have taken effect: its compensation runs too.
                    assertThat(outcome.compensatedSteps()).containsExactly("charge", "reserve");
                })
                .verifyComplete();
        assertThat(refunds).hasValue(1);
        assertThat(value(a, "stock")).isZero();
    }

    @Test
    void forwardRecoveryRetriesAStepUntilItSucceeds() {
        AtomicInteger tries = new AtomicInteger();
        SagaStep charge = SagaStep.external(
                        "charge",
                        ctx -> Mono.defer(() -> tries.incrementAndGet() < 3
                                ? Mono.error(new IllegalStateException("gateway down"))
                                : Mono.empty()))
                .withRetry(SagaRetry.of(3, Duration.ofMillis(10)));
        RedisTransactionRuntime rt = runtimeWith(order("order", SagaRecovery.FORWARD, charge, ship()));

        rt.saga("order")
                .start("o-4", Map.of("item", "pen"))
                .as(StepVerifier::create)
                .assertNext(outcome -> assertThat(outcome.status()).isEqualTo(SagaOutcome.Status.COMPLETED))
                .verifyComplete();
        assertThat(tries).hasValue(3);
        assertThat(value(a, "stock")).isEqualTo(-1);
        assertThat(value(b, "shipped")).isEqualTo(1);
    }

    @Test
    void aForwardSagaThatGivesUpIsReportedFailingUntilARecoveryPassFinishesIt() throws InterruptedException {
        AtomicBoolean gatewayUp = new AtomicBoolean();
        SagaStep charge = SagaStep.external(
                        "charge",
                        ctx -> Mono.defer(() -> gatewayUp.get()
                                ? Mono.fromRunnable(() -> calls.add("charge"))
                                : Mono.error(new IllegalStateException("gateway down"))))
                .withRetry(SagaRetry.of(2, Duration.ZERO));
        RedisTransactionRuntime rt = runtimeWith(order("order", SagaRecovery.FORWARD, charge, ship()));

        rt.saga("order")
                .start("o-5", Map.of("item", "pen"))
                .as(StepVerifier::create)
                .assertNext(outcome -> {
                    assertThat(outcome.status()).isEqualTo(SagaOutcome.Status.FAILED);
                    assertThat(outcome.completedSteps()).containsExactly("reserve");
                    assertThat(outcome.failedStep()).contains("charge");
                    assertThat(outcome.cause()).get().asString().contains("gateway down");
                })
                .verifyComplete();
        // Starting it again answers with the recorded outcome, without running anything.
        StepVerifier.create(rt.saga("order").start("o-5", Map.of()))
                .assertNext(outcome -> assertThat(outcome.status()).isEqualTo(SagaOutcome.Status.FAILED))
                .verifyComplete();
        // Kept and reported by every pass until one can finish it.
        StepVerifier.create(rt.recover())
                .assertNext(r -> assertThat(r.sagasFailing()).isEqualTo(1))
                .verifyComplete();
        Thread.sleep(LEASE.toMillis() + 100);
        StepVerifier.create(rt.recover())
                .assertNext(r -> assertThat(r.sagasFailing()).isEqualTo(1))
                .verifyComplete();

        gatewayUp.set(true);
        Thread.sleep(LEASE.toMillis() + 100);
        StepVerifier.create(rt.recover())
                .assertNext(r -> {
                    assertThat(r.sagasResumed()).isEqualTo(1);
                    assertThat(r.sagasFailing()).isZero();
                })
                .verifyComplete();
        assertThat(value(a, "stock")).isEqualTo(-1);
        assertThat(value(b, "shipped")).isEqualTo(1);
        assertThat(calls).containsExactly("charge");
        StepVerifier.create(rt.saga("order").start("o-5", Map.of()))
                .assertNext(outcome -> assertThat(outcome.status()).isEqualTo(SagaOutcome.Status.COMPLETED))
                .verifyComplete();
    }

    @Test
    void aRunnerThatDiesIsFinishedForwardByAnotherRuntimesRecovery() throws InterruptedException {
        AtomicBoolean alive = new AtomicBoolean(true);
        AtomicInteger charges = new AtomicInteger();
        // The first runtime's charge hangs: its runner "dies" there, after reserve committed.
        SagaStep charge = SagaStep.external(
                        "charge",
                        ctx -> Mono.defer(() -> {
                            charges.incrementAndGet();
                            return alive.get() ? Mono.never() : Mono.empty();
                        }))
                .withCompensation(ctx -> Mono.fromRunnable(() -> calls.add("refund")));
        SagaDefinition saga = order("order", SagaRecovery.BACKWARD, charge, ship());
        RedisTransactionRuntime first = other(saga);
        Disposable running =
                first.saga("order").start("o-6", Map.of("item", "cup")).subscribe();
        awaitTrue(() -> charges.get() == 1);
        running.dispose();
        first.close();
        assertThat(value(a, "stock")).isEqualTo(-1);

        alive.set(false);
        List<RecoveryReport> metered = new CopyOnWriteArrayList<>();
        TransactionMetrics metrics = new TransactionMetrics() {
            @Override
            public void recovered(RecoveryReport report) {
                metered.add(report);
            }
        };
        RedisTransactionRuntime rt = runtime(
                o -> o.recovery(r -> r.interval(Duration.ZERO)).saga(saga).metrics(metrics));
        // Within the dead runner's lease, nothing is taken over.
        StepVerifier.create(rt.recover())
                .assertNext(r -> assertThat(r.sagasResumed()).isZero())
                .verifyComplete();
        Thread.sleep(LEASE.toMillis() + 100);
        StepVerifier.create(rt.recover())
                .assertNext(r -> assertThat(r).isEqualTo(new RecoveryReport(0, 0, 0, 0, 0, 1, 0, 0)))
                .verifyComplete();
        // The metrics see each pass whole, its sagas included.
        assertThat(metered).hasSize(2).last().isEqualTo(new RecoveryReport(0, 0, 0, 0, 0, 1, 0, 0));

        assertThat(value(a, "stock")).isEqualTo(-1); // reserve applied exactly once
        assertThat(value(b, "shipped")).isEqualTo(1); // ship applied exactly once
        assertThat(get(c, "order:o-6")).isEqualTo("cup");
        assertThat(charges).hasValue(2); // the step that was in progress runs again: it must be idempotent
        assertThat(calls).isEmpty();
        StepVerifier.create(rt.saga("order").start("o-6", Map.of()))
                .assertNext(outcome -> assertThat(outcome.status()).isEqualTo(SagaOutcome.Status.COMPLETED))
                .verifyComplete();
        StepVerifier.create(rt.recover())
                .assertNext(r -> assertThat(r.sagasResumed()).isZero())
                .verifyComplete();
    }

    /**
     * The runner's coordinator stops for good while committing the ship step, before or after its commit point. The
     * step's writes and the saga's progress are one transaction, so recovery either rolls both back (and the saga
     * runs the step again) or rolls both forward (and the saga goes on after it): the step takes effect once.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(
            value = ProtocolHooks.Step.class,
            names = {"AFTER_PREPARE", "AFTER_COMMIT_POINT"})
    void aRunnerThatDiesCommittingAStepIsResumedWithTheStepAppliedOnce(ProtocolHooks.Step dieAt)
            throws InterruptedException {
        AtomicBoolean shipping = new AtomicBoolean();
        AtomicBoolean halted = new AtomicBoolean();
        SagaDefinition saga = SagaDefinition.builder("order")
                .lease(LEASE)
                .step(SagaStep.transactional("reserve", (ctx, tx) -> tx.on("a").decrBy("stock", 1))
                        .withCompensation((ctx, tx) -> tx.on("a").incrBy("stock", 1)))
                .step(SagaStep.transactional(
                        "ship",
                        (ctx, tx) -> tx.on("b")
                                .incrBy("shipped", 1)
                                .then(tx.on("c").incrBy("shipped", 1))
                                .doOnSuccess(done -> shipping.set(true))))
                .step(SagaStep.external("notify", ctx -> Mono.fromRunnable(() -> calls.add("notify"))))
                .build();
        RuntimeOptions dyingOptions = options()
                .saga(saga)
                .recovery(r -> r.interval(Duration.ZERO).lease(LEASE))
                .build();
        // Only the ship step writes two participants besides the record's, so only its commit reaches the hook
        // with shipping set; it then hangs there for good, like a coordinator process that stopped.
        RedisTransactionRuntime first = RedisTransactionRuntime.create(dyingOptions, point -> {
            if (point.step() == dieAt && shipping.get()) {
                halted.set(true);
                return Mono.never();
            }
            return Mono.empty();
        });
        Disposable running = first.saga("order").start("o-10", Map.of()).subscribe();
        awaitTrue(halted::get);
        running.dispose();
        first.close();

        RedisTransactionRuntime rt = runtimeWith(saga);
        Thread.sleep(LEASE.toMillis() + 100);
        StepVerifier.create(rt.recover())
                // Who settles the step's intents (this pass, or the takeover's read of the record meeting them) varies;
                // what matters is that the step took effect once.
                .assertNext(r -> assertThat(r.sagasResumed()).isEqualTo(1))
                .verifyComplete();
        assertThat(value(a, "stock")).isEqualTo(-1);
        assertThat(value(b, "shipped")).isEqualTo(1);
        assertThat(value(c, "shipped")).isEqualTo(1);
        assertThat(calls).containsExactly("notify");
        assertNoIntents();
    }

    @Test
    void aRunnerThatDiesWhileCompensatingIsCompensatedBackwardByAnotherRuntime() throws InterruptedException {
        AtomicBoolean alive = new AtomicBoolean(true);
        AtomicInteger refundCalls = new AtomicInteger();
        SagaStep charge = SagaStep.external("charge", ctx -> Mono.fromRunnable(() -> calls.add("charge")))
                .withCompensation(ctx -> Mono.defer(() -> {
                    refundCalls.incrementAndGet();
                    return alive.get() ? Mono.never() : Mono.fromRunnable(() -> calls.add("refund"));
                }));
        SagaStep ship = SagaStep.transactional("ship", (ctx, tx) -> Mono.error(new IllegalStateException("lost")))
                .withRetry(SagaRetry.none());
        SagaDefinition saga = order("order", SagaRecovery.BACKWARD, charge, ship);
        RedisTransactionRuntime first = other(saga);
        Disposable running = first.saga("order").start("o-7", Map.of()).subscribe();
        awaitTrue(() -> refundCalls.get() == 1);
        running.dispose();
        first.close();

        alive.set(false);
        RedisTransactionRuntime rt = runtimeWith(saga);
        Thread.sleep(LEASE.toMillis() + 100);
        StepVerifier.create(rt.recover())
                .assertNext(r -> assertThat(r).isEqualTo(new RecoveryReport(0, 0, 0, 0, 0, 0, 1, 0)))
                .verifyComplete();
        assertThat(value(a, "stock")).isZero(); // reserved once, released once
        assertThat(calls).containsExactly("charge", "refund");
        StepVerifier.create(rt.saga("order").start("o-7", Map.of()))
                .assertNext(outcome -> {
                    assertThat(outcome.status()).isEqualTo(SagaOutcome.Status.COMPENSATED);
                    assertThat(outcome.compensatedSteps()).containsExactly("charge", "reserve");
                    assertThat(outcome.failedStep()).contains("ship");
                    assertThat(outcome.error()).isEmpty(); // learned from the record, not seen happen
                })
                .verifyComplete();
    }

    @Test
    void thePeriodicRecoveryPassFinishesASagaWhoseRunnerDied() {
        AtomicBoolean alive = new AtomicBoolean(true);
        AtomicInteger charges = new AtomicInteger();
        SagaStep charge = SagaStep.external(
                        "charge",
                        ctx -> Mono.defer(() -> {
                            charges.incrementAndGet();
                            return alive.get() ? Mono.never() : Mono.empty();
                        }))
                .withCompensation(ctx -> Mono.empty());
        SagaDefinition saga = order("order", SagaRecovery.BACKWARD, charge, ship());
        RedisTransactionRuntime first = other(saga);
        Disposable running =
                first.saga("order").start("o-11", Map.of("item", "mug")).subscribe();
        awaitTrue(() -> charges.get() == 1);
        running.dispose();
        first.close();

        alive.set(false);
        runtime(o -> o.saga(saga).recovery(r -> r.interval(Duration.ofMillis(100))));
        // The ship step's transaction commits on "b" and "c" in two phases: a plain read of one server may see the
        // roll-forward there before the other's, so wait for both.
        awaitTrue(() -> "mug".equals(get(c, "order:o-11")) && value(b, "shipped") == 1);
        assertThat(value(a, "stock")).isEqualTo(-1);
        assertThat(value(b, "shipped")).isEqualTo(1);
    }

    /**
     * A runner whose lease ran out while it waited on a call (its renewals paused, as in a long GC pause: here the
     * lease is expired by hand) loses the saga to another runtime; when its call returns it records nothing over the
     * new owner and waits for the saga's end instead.
     */
    @Test
    void aRunnerThatLostItsLeaseCannotRecordOverTheNewOwner() {
        Sinks.Empty<Void> firstCall = Sinks.empty();
        AtomicInteger charges = new AtomicInteger();
        SagaStep charge = SagaStep.external(
                        "charge", ctx -> charges.incrementAndGet() == 1 ? firstCall.asMono() : Mono.empty())
                .withCompensation(ctx -> Mono.empty());
        SagaDefinition saga = order("order", SagaRecovery.BACKWARD, charge, ship());
        RedisTransactionRuntime first = other(saga);
        try {
            Mono<SagaOutcome> stale =
                    first.saga("order").start("o-12", Map.of("item", "pen")).cache();
            Disposable running = stale.subscribe();
            awaitTrue(() -> charges.get() == 1);
            String holder = options().build().keyRouter().participantFor("o-12");
            Map.of("a", a, "b", b, "c", c).get(holder).command("SET", "redtx:sgl:{o-12}", "paused|0");

            RedisTransactionRuntime rt = runtimeWith(saga);
            StepVerifier.create(rt.saga("order").start("o-12", Map.of()))
                    .assertNext(outcome -> assertThat(outcome.status()).isEqualTo(SagaOutcome.Status.COMPLETED))
                    .verifyComplete();

            firstCall.tryEmitEmpty();
            StepVerifier.create(stale)
                    .assertNext(outcome -> {
                        assertThat(outcome.status()).isEqualTo(SagaOutcome.Status.COMPLETED);
                        assertThat(outcome.completedSteps()).containsExactly("reserve", "charge", "ship");
                    })
                    .verifyComplete();
            running.dispose();
            assertThat(charges).hasValue(2);
            assertThat(value(a, "stock")).isEqualTo(-1);
            assertThat(value(b, "shipped")).isEqualTo(1);
        } finally {
            first.close();
        }
    }

    @Test
    void theSameSagaIdStartedTwiceRunsOnce() {
        RedisTransactionRuntime rt = runtimeWith(order("order", SagaRecovery.BACKWARD, charge(), ship()));

        Mono.zip(
                        rt.saga("order").start("o-8", Map.of("item", "hat")),
                        rt.saga("order").start("o-8", Map.of("item", "other")))
                .as(StepVerifier::create)
                .assertNext(both -> {
                    assertThat(both.getT1().status()).isEqualTo(SagaOutcome.Status.COMPLETED);
                    assertThat(both.getT2().status()).isEqualTo(SagaOutcome.Status.COMPLETED);
                })
                .verifyComplete();
        StepVerifier.create(rt.saga("order").start("o-8", Map.of()))
                .assertNext(
                        outcome -> assertThat(outcome.completedSteps()).containsExactly("reserve", "charge", "ship"))
                .verifyComplete();

        assertThat(value(a, "stock")).isEqualTo(-1);
        assertThat(value(b, "shipped")).isEqualTo(1);
        assertThat(get(c, "order:o-8")).isIn("hat", "other"); // the input of the start that created the record
        assertThat(calls).containsExactly("charge o-8/1");
    }

    @Test
    void unknownSagasBadIdsAndAnIdOfAnotherSagaAreRefused() {
        SagaDefinition one = order("one", SagaRecovery.BACKWARD, charge(), ship());
        SagaDefinition two = order("two", SagaRecovery.BACKWARD, charge(), ship());
        RedisTransactionRuntime rt = runtimeWith(one, two);

        assertThatThrownBy(() -> rt.saga("three"))
                .isInstanceOf(RedtxArgumentException.class)
                .hasMessage("no saga named 'three' is registered (registered: [one, two])");
        StepVerifier.create(rt.saga("one").start("bad{id}", Map.of()))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(RedtxArgumentException.class)
                        .hasMessageContaining("without '{' or '}'"))
                .verify(WAIT);
        StepVerifier.create(rt.saga("one").start("o-9", Map.of()))
                .expectNextCount(1)
                .verifyComplete();
        StepVerifier.create(rt.saga("two").start("o-9", Map.of()))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(RedtxArgumentException.class)
                        .hasMessage("saga o-9 exists as an instance of saga 'one', not 'two'"))
                .verify(WAIT);
    }
}
