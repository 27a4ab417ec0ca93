package io.redtx.spring.transaction;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.RedtxArgumentException;
import io.redtx.api.Transaction;
import io.redtx.api.TransactionConflictException;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.TransactionStateException;
import io.redtx.api.TransactionTimeoutException;
import io.redtx.spring.boot.RedtxAutoConfiguration;
import io.redtx.spring.boot.RedtxTransactionAutoConfiguration;
import io.redtx.test.redis.IntentCount;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.IllegalTransactionStateException;
import org.springframework.transaction.NestedTransactionNotSupportedException;
import org.springframework.transaction.NoTransactionException;
import org.springframework.transaction.UnexpectedRollbackException;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

/**
 * {@code @Transactional} and {@code TransactionalOperator} on redtx through {@link RedtxTransactionManager}, against
 * two real servers ({@code a}, {@code b}): every write of a service goes to both, so a commit is a two-phase one.
 */
@RedisTest
class TransactionalTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    static RedisServer a;
    static RedisServer b;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(
                    AutoConfigurations.of(RedtxAutoConfiguration.class, RedtxTransactionAutoConfiguration.class))
            .withUserConfiguration(Services.class);

    @BeforeAll
    static void startServers(RedisServer first, RedisServer second) {
        a = first;
        b = second;
    }

    @BeforeEach
    void emptyServers() {
        // A background rollback of the previous test must not land in this one.
        await(() -> intents().none(), "no intents left by the previous test");
        a.flushAll();
        b.flushAll();
    }

    private ApplicationContextRunner withServers(String... more) {
        return runner.withPropertyValues("redtx.participants.a=" + a.uri(), "redtx.participants.b=" + b.uri())
                .withPropertyValues(more);
    }

    @Test
    void aCommittedTransactionIsVisibleOnBothParticipants() {
        withServers().run(context -> {
            String id = context.getBean(Shop.class).writeBoth("k", "v").block(WAIT);
            assertThat(id).isNotBlank();
            assertThat(a.command("GET", "k")).isEqualTo("v");
            assertThat(b.command("GET", "k")).isEqualTo("v");
        });
    }

    @Test
    void aRuntimeExceptionRollsBackAndIsWhatTheCallerSees() {
        withServers().run(context -> {
            StepVerifier.create(context.getBean(Shop.class).writeBothThen("k", new IllegalStateException("refused")))
                    .expectErrorSatisfies(e -> assertThat(e)
                            .isInstanceOf(IllegalStateException.class)
                            .hasMessage("refused"))
                    .verify(WAIT);
            assertNothingWritten("k");
        });
    }

    @Test
    void aCheckedExceptionCommitsAsSpringsDefaultRulesSay() {
        withServers().run(context -> {
            StepVerifier.create(context.getBean(Shop.class).writeBothThen("k", new Exception("checked")))
                    .expectErrorMessage("checked")
                    .verify(WAIT);
            assertThat(a.command("GET", "k")).isEqualTo("v");
            assertThat(b.command("GET", "k")).isEqualTo("v");
        });
    }

    @Test
    void rollbackForMakesACheckedExceptionRollBack() {
        withServers().run(context -> {
            StepVerifier.create(context.getBean(Shop.class).writeBothThenRollbackForAny("k", new Exception("checked")))
                    .expectErrorMessage("checked")
                    .verify(WAIT);
            assertNothingWritten("k");
        });
    }

    @Test
    void theOperatorRollsBackOnAnyError() {
        withServers().run(context -> {
            TransactionalOperator operator = context.getBean(TransactionalOperator.class);
            RedtxTemplate template = context.getBean(RedtxTemplate.class);
            StepVerifier.create(template.opsFor("a")
                            .set("k", "v")
                            .then(Mono.error(new Exception("checked")))
                            .as(operator::transactional))
                    .expectErrorMessage("checked")
                    .verify(WAIT);
            assertNothingWritten("k");
            StepVerifier.create(template.opsFor("a").set("k", "v").as(operator::transactional))
                    .verifyComplete();
            assertThat(a.command("GET", "k")).isEqualTo("v");
        });
    }

    @Test
    void requiredJoinsTheOuterTransaction() {
        withServers().run(context -> {
            List<String> ids = context.getBean(Shop.class).outerThenInner(false).block(WAIT);
            assertThat(ids).hasSize(2);
            assertThat(ids.get(1)).isEqualTo(ids.get(0));
        });
    }

    @Test
    void aJoinedScopeThatFailsMakesTheOuterCommitRollBack() {
        withServers().run(context -> {
            StepVerifier.create(context.getBean(Shop.class).outerSwallowsInnerFailure())
                    .expectError(UnexpectedRollbackException.class)
                    .verify(WAIT);
            assertNothingWritten("outer");
            assertNothingWritten("inner");
        });
    }

    @Test
    void requiresNewCommitsIndependentlyOfTheOuterTransaction() {
        withServers().run(context -> {
            AtomicReference<List<String>> ids = new AtomicReference<>();
            StepVerifier.create(context.getBean(Shop.class).outerThenInner(true).doOnNext(ids::set))
                    .expectErrorMessage("outer fails after the inner committed")
                    .verify(WAIT);
            // The inner transaction committed on its own; the outer one, which failed afterwards, left nothing.
            assertThat(a.command("GET", "inner")).isEqualTo("v");
            assertThat(b.command("GET", "inner")).isEqualTo("v");
            assertNothingWritten("outer");
        });
    }

    @Test
    void requiresNewRunsInAnotherTransaction() {
        withServers().run(context -> {
            List<String> ids = context.getBean(Shop.class).outerThenNew().block(WAIT);
            assertThat(ids).hasSize(2);
            assertThat(ids.get(1)).isNotEqualTo(ids.get(0));
            // The outer transaction is the current one again after the inner one ended: its write committed too.
            assertThat(a.command("GET", "outer")).isEqualTo("after");
        });
    }

    @Test
    void requiresNewWithoutATransactionBeginsOne() {
        withServers().run(context -> {
            StepVerifier.create(context.getBean(Inner.class).requiresNew())
                    .assertNext(id -> assertThat(id).isNotBlank())
                    .verifyComplete();
            assertThat(a.command("GET", "inner")).isEqualTo("v");
            assertThat(b.command("GET", "inner")).isEqualTo("v");
        });
    }

    @Test
    void supportsJoinsAnOuterTransaction() {
        withServers().run(context -> {
            List<String> ids = context.getBean(Shop.class).outerThenSupports().block(WAIT);
            assertThat(ids.get(1)).isEqualTo(ids.get(0));
        });
    }

    @Test
    void notSupportedAndNeverWithoutATransactionRunWithoutOne() {
        withServers().run(context -> {
            Inner inner = context.getBean(Inner.class);
            StepVerifier.create(inner.notSupported())
                    .expectError(NoTransactionException.class)
                    .verify(WAIT);
            StepVerifier.create(inner.never()).expectNext("ran").verifyComplete();
        });
    }

    @Test
    void mandatoryWithoutATransactionFails() {
        withServers()
                .run(context -> StepVerifier.create(context.getBean(Inner.class).mandatory())
                        .expectError(IllegalTransactionStateException.class)
                        .verify(WAIT));
    }

    @Test
    void mandatoryJoinsAnOuterTransaction() {
        withServers().run(context -> {
            List<String> ids = context.getBean(Shop.class).outerThenMandatory().block(WAIT);
            assertThat(ids.get(1)).isEqualTo(ids.get(0));
        });
    }

    @Test
    void neverInsideATransactionFails() {
        withServers()
                .run(context -> StepVerifier.create(context.getBean(Shop.class).outerThenNever())
                        .expectError(IllegalTransactionStateException.class)
                        .verify(WAIT));
    }

    @Test
    void supportsWithoutATransactionRunsWithoutOne() {
        withServers()
                .run(context -> StepVerifier.create(context.getBean(Inner.class).supports())
                        .expectError(NoTransactionException.class)
                        .verify(WAIT));
    }

    @Test
    void notSupportedSuspendsTheOuterTransaction() {
        withServers()
                .run(context -> StepVerifier.create(context.getBean(Shop.class).outerThenNotSupported())
                        .expectError(NoTransactionException.class)
                        .verify(WAIT));
    }

    @Test
    void nestedIsRefusedWithOrWithoutAnOuterTransaction() {
        withServers().run(context -> {
            StepVerifier.create(context.getBean(Inner.class).nested())
                    .expectErrorSatisfies(e -> assertThat(e)
                            .isInstanceOf(NestedTransactionNotSupportedException.class)
                            .hasMessageContaining("no savepoints"))
                    .verify(WAIT);
            StepVerifier.create(context.getBean(Shop.class).outerThenNested())
                    .expectError(NestedTransactionNotSupportedException.class)
                    .verify(WAIT);
            assertNothingWritten("outer");
        });
    }

    @Test
    void currentOfTheRuntimeIsTheSameHandleAndIsActiveSaysSo() {
        withServers().run(context -> {
            TransactionRuntime runtime = context.getBean(TransactionRuntime.class);
            TransactionalOperator operator = context.getBean(TransactionalOperator.class);
            StepVerifier.create(RedtxTransactions.current()
                            .zipWith(RedtxTransactions.current(runtime), (any, own) -> any == own)
                            .zipWith(RedtxTransactions.isActive(runtime), (same, active) -> same && active)
                            .as(operator::transactional))
                    .expectNext(true)
                    .verifyComplete();
            StepVerifier.create(RedtxTransactions.isActive(runtime))
                    .expectNext(false)
                    .verifyComplete();
            StepVerifier.create(RedtxTransactions.current(runtime))
                    .expectError(NoTransactionException.class)
                    .verify(WAIT);
        });
    }

    @Test
    void currentOutsideATransactionFailsClearly() {
        StepVerifier.create(RedtxTransactions.current())
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(NoTransactionException.class)
                        .hasMessageContaining("no redtx transaction in progress"))
                .verify(WAIT);
    }

    @Test
    void theTimeoutAttributeIsTheTransactionsTimeLimit() {
        withServers().run(context -> {
            StepVerifier.create(context.getBean(Shop.class).writeBothSlowly("k", Duration.ofMillis(1500)))
                    .expectErrorSatisfies(e -> assertThat(e)
                            .isInstanceOf(TransactionTimeoutException.class)
                            .satisfies(t -> assertThat(((TransactionTimeoutException) t).timeout())
                                    .isEqualTo(Duration.ofSeconds(1))))
                    .verify(WAIT);
            assertNothingWritten("k");
        });
    }

    @Test
    void anOperationAfterTheTimeoutFailsWithTheHandlesStateAndNothingIsWritten() {
        withServers().run(context -> {
            StepVerifier.create(context.getBean(Shop.class).writeAfter("k", Duration.ofMillis(1500)))
                    .expectErrorSatisfies(e -> assertThat(e)
                            .isInstanceOf(TransactionStateException.class)
                            .hasMessageContaining("accepts no more operations"))
                    .verify(WAIT);
            assertNothingWritten("k");
        });
    }

    @Test
    void withinTheTimeoutItCommits() {
        withServers().run(context -> {
            StepVerifier.create(context.getBean(Shop.class).writeBothSlowly("k", Duration.ofMillis(100)))
                    .verifyComplete();
            assertThat(a.command("GET", "k")).isEqualTo("v");
        });
    }

    @Test
    void readOnlyRefusesWrites() {
        withServers().run(context -> {
            a.command("SET", "k", "before");
            Shop shop = context.getBean(Shop.class);
            StepVerifier.create(shop.readOnly("k")).expectNext("before").verifyComplete();
            StepVerifier.create(shop.readOnlyWrite("k"))
                    .expectError(RedtxArgumentException.class)
                    .verify(WAIT);
            assertThat(a.command("GET", "k")).isEqualTo("before");
        });
    }

    @Test
    void aConflictAtCommitReachesTheCallerAsRedtxsConflict() {
        withServers().run(context -> {
            a.command("SET", "counter", "0");
            StepVerifier.create(context.getBean(Shop.class).incrementWithInterference(new AtomicInteger(1)))
                    .expectError(TransactionConflictException.class)
                    .verify(WAIT);
            // The interfering write stands; the conflicting increment did not apply.
            assertThat(a.command("GET", "counter")).isEqualTo("100");
        });
    }

    @Test
    void retryOnConflictRunsTheTransactionAgainAndCommits() {
        withServers().run(context -> {
            a.command("SET", "counter", "0");
            AtomicInteger interferences = new AtomicInteger(2);
            AtomicInteger attempts = new AtomicInteger();
            StepVerifier.create(context.getBean(Shop.class)
                            .incrementWithInterference(interferences)
                            .doOnSubscribe(s -> attempts.incrementAndGet())
                            .retryWhen(RedtxRetry.onConflict()))
                    .expectNext(201L)
                    .verifyComplete();
            // Two attempts conflicted (each after another write of 100), the third committed on top of them.
            assertThat(attempts).hasValue(3);
            assertThat(a.command("GET", "counter")).isEqualTo("201");
        });
    }

    @Test
    void retryOnConflictGivesUpWithTheConflictAfterThePolicysAttempts() {
        withServers().run(context -> {
            a.command("SET", "counter", "0");
            AtomicInteger attempts = new AtomicInteger();
            StepVerifier.create(context.getBean(Shop.class)
                            .incrementWithInterference(new AtomicInteger(100))
                            .doOnSubscribe(s -> attempts.incrementAndGet())
                            .retryWhen(RedtxRetry.onConflict(io.redtx.api.RetryPolicy.builder()
                                    .maxAttempts(3)
                                    .build())))
                    .expectError(TransactionConflictException.class)
                    .verify(WAIT);
            assertThat(attempts).hasValue(3);
        });
    }

    @Test
    void retryOnConflictInsideATransactionLeavesTheConflictToTheOuterOne() {
        withServers().run(context -> {
            AtomicInteger inner = new AtomicInteger();
            StepVerifier.create(context.getBean(Shop.class).outerRetryingInner(inner))
                    .expectError(TransactionConflictException.class)
                    .verify(WAIT);
            assertThat(inner).hasValue(1);
            assertNothingWritten("outer");
            // The same scope called outside any transaction is retried as the policy says.
            AtomicInteger alone = new AtomicInteger();
            StepVerifier.create(context.getBean(Inner.class)
                            .conflicting(alone)
                            .retryWhen(RedtxRetry.onConflict(io.redtx.api.RetryPolicy.builder()
                                    .maxAttempts(4)
                                    .build())))
                    .expectError(TransactionConflictException.class)
                    .verify(WAIT);
            assertThat(alone).hasValue(4);
        });
    }

    @Test
    void theTemplateRunsAloneOutsideATransaction() {
        withServers().run(context -> {
            RedtxTemplate template = context.getBean(RedtxTemplate.class);
            StepVerifier.create(template.opsFor("a").incrBy("n", 5))
                    .expectNext(5L)
                    .verifyComplete();
            StepVerifier.create(template.opsFor("b").hset("h", "f", "x")).verifyComplete();
            assertThat(a.command("GET", "n")).isEqualTo("5");
            assertThat(b.command("HGET", "h", "f")).isEqualTo("x");
            StepVerifier.create(template.opsFor("b").hget("h", "f"))
                    .expectNext("x")
                    .verifyComplete();
        });
    }

    @Test
    void cancellingMidTransactionRollsBackAndLeavesNothing() {
        withServers().run(context -> {
            AtomicReference<Transaction> handle = new AtomicReference<>();
            Sinks.One<Void> inside = Sinks.one();
            Disposable request = context.getBean(Shop.class)
                    .writeBothAndHang("k", handle, inside)
                    .subscribe(v -> {}, e -> {});
            StepVerifier.create(inside.asMono()).verifyComplete();

            request.dispose();

            // The manager rolled the handle back (not merely abandoned it until its time limit): it refuses work.
            await(
                    () -> {
                        try {
                            handle.get().on("a").get("k").block(WAIT);
                            return false;
                        } catch (TransactionStateException rolledBack) {
                            return true;
                        }
                    },
                    "the cancelled transaction's handle to be rolled back");
            assertNothingWritten("k");
            assertThat(intents()).isEqualTo(IntentCount.NONE);
        });
    }

    @Test
    void cancellingAtRandomMomentsLeavesEachTransactionAllOrNothing() {
        withServers().run(context -> {
            Shop shop = context.getBean(Shop.class);
            int runs = 40;
            for (int i = 0; i < runs; i++) {
                Disposable request = shop.writeBoth("k" + i, "v").subscribe(v -> {}, e -> {});
                long pause = ThreadLocalRandom.current().nextLong(0, 4_000_000);
                long until = System.nanoTime() + pause;
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
                request.dispose();
            }
            // Rollbacks after a cancel, and roll-forwards after a commit point, finish in the background.
            await(() -> intents().none(), "no intents left after the cancelled transactions");
            for (int i = 0; i < runs; i++) {
                int run = i;
                await(
                        () -> java.util.Objects.equals(a.command("GET", "k" + run), b.command("GET", "k" + run)),
                        "run " + i + " on both participants or on neither");
            }
        });
    }

    private static IntentCount intents() {
        return IntentCount.on("redtx:", List.of(a, b));
    }

    private static void assertNothingWritten(String key) {
        assertThat(a.command("GET", key)).isNull();
        assertThat(b.command("GET", key)).isNull();
        // A commit's secondaries are rolled forward, and a rollback's intents removed, in the background.
        await(() -> intents().none(), "no intents left");
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class Services {
        @Bean
        Inner inner(RedtxTemplate template) {
            return new Inner(template);
        }

        @Bean
        Shop shop(RedtxTemplate template, Inner inner, TransactionRuntime runtime) {
            return new Shop(template, inner, runtime);
        }
    }

    /** Scopes that the {@link Shop}'s methods call through the proxy, with their own propagation. */
    static class Inner {
        private final RedtxTemplate template;

        Inner(RedtxTemplate template) {
            this.template = template;
        }

        @Transactional
        public Mono<String> required() {
            return template.opsFor("a").set("inner", "v").then(currentId());
        }

        @Transactional
        public Mono<Void> requiredFails() {
            return template.opsFor("a").set("inner", "v").then(Mono.error(new IllegalStateException("inner fails")));
        }

        @Transactional(propagation = Propagation.REQUIRES_NEW)
        public Mono<String> requiresNew() {
            return template.opsFor("a")
                    .set("inner", "v")
                    .then(template.opsFor("b").set("inner", "v"))
                    .then(currentId());
        }

        @Transactional(propagation = Propagation.MANDATORY)
        public Mono<String> mandatory() {
            return currentId();
        }

        @Transactional(propagation = Propagation.NEVER)
        public Mono<String> never() {
            return Mono.just("ran");
        }

        @Transactional(propagation = Propagation.SUPPORTS)
        public Mono<String> supports() {
            return currentId();
        }

        @Transactional(propagation = Propagation.NOT_SUPPORTED)
        public Mono<String> notSupported() {
            return currentId();
        }

        @Transactional(propagation = Propagation.NESTED)
        public Mono<String> nested() {
            return currentId();
        }

        /** Fails as a read that met another transaction's intent would, inside the work. */
        @Transactional
        public Mono<Long> conflicting(AtomicInteger calls) {
            return currentId().flatMap(id -> {
                calls.incrementAndGet();
                return Mono.error(new TransactionConflictException(
                        id, "a", "counter", TransactionConflictException.Reason.FOREIGN_INTENT, null));
            });
        }
    }

    static class Shop {
        private final RedtxTemplate template;
        private final Inner inner;
        private final TransactionRuntime runtime;

        Shop(RedtxTemplate template, Inner inner, TransactionRuntime runtime) {
            this.template = template;
            this.inner = inner;
            this.runtime = runtime;
        }

        @Transactional
        public Mono<String> writeBoth(String key, String value) {
            return template.opsFor("a")
                    .set(key, value)
                    .then(template.opsFor("b").set(key, value))
                    .then(currentId());
        }

        @Transactional
        public Mono<Void> writeBothThen(String key, Throwable error) {
            return writeBothAndFail(key, error);
        }

        @Transactional(rollbackFor = Exception.class)
        public Mono<Void> writeBothThenRollbackForAny(String key, Throwable error) {
            return writeBothAndFail(key, error);
        }

        private Mono<Void> writeBothAndFail(String key, Throwable error) {
            return template.opsFor("a")
                    .set(key, "v")
                    .then(template.opsFor("b").set(key, "v"))
                    .then(Mono.error(error));
        }

        @Transactional(timeout = 1)
        public Mono<Void> writeBothSlowly(String key, Duration pause) {
            return template.opsFor("a")
                    .set(key, "v")
                    .then(template.opsFor("b").set(key, "v"))
                    .then(Mono.delay(pause))
                    .then();
        }

        @Transactional(timeout = 1)
        public Mono<Void> writeAfter(String key, Duration pause) {
            return Mono.delay(pause).then(template.opsFor("a").set(key, "v"));
        }

        @Transactional(readOnly = true)
        public Mono<String> readOnly(String key) {
            return template.opsFor("a").get(key);
        }

        @Transactional(readOnly = true)
        public Mono<Void> readOnlyWrite(String key) {
            return template.opsFor("a").set(key, "written");
        }

        @Transactional
        public Mono<List<String>> outerThenInner(boolean failAfterNew) {
            if (failAfterNew) {
                return template.opsFor("a")
                        .set("outer", "v")
                        .then(template.opsFor("b").set("outer", "v"))
                        .then(inner.requiresNew())
                        .then(Mono.error(new IllegalStateException("outer fails after the inner committed")));
            }
            return currentId().zipWith(inner.required(), List::of);
        }

        @Transactional
        public Mono<List<String>> outerThenNew() {
            return currentId()
                    .zipWith(inner.requiresNew(), List::of)
                    .flatMap(ids -> template.opsFor("a").set("outer", "after").thenReturn(ids));
        }

        @Transactional
        public Mono<Void> outerSwallowsInnerFailure() {
            return template.opsFor("a")
                    .set("outer", "v")
                    .then(inner.requiredFails().onErrorResume(IllegalStateException.class, e -> Mono.empty()));
        }

        @Transactional
        public Mono<List<String>> outerThenMandatory() {
            return currentId().zipWith(inner.mandatory(), List::of);
        }

        @Transactional
        public Mono<List<String>> outerThenSupports() {
            return currentId().zipWith(inner.supports(), List::of);
        }

        @Transactional
        public Mono<String> outerThenNever() {
            return currentId().then(inner.never());
        }

        @Transactional
        public Mono<String> outerThenNotSupported() {
            return currentId().then(inner.notSupported());
        }

        @Transactional
        public Mono<String> outerThenNested() {
            return template.opsFor("a").set("outer", "v").then(inner.nested());
        }

        @Transactional
        public Mono<Long> incrementWithInterference(AtomicInteger interferences) {
            return increment(template, runtime, interferences);
        }

        @Transactional
        public Mono<Long> outerRetryingInner(AtomicInteger innerCalls) {
            return template.opsFor("a")
                    .set("outer", "v")
                    .then(Mono.defer(() -> inner.conflicting(innerCalls)).retryWhen(RedtxRetry.onConflict()));
        }

        @Transactional
        public Mono<Void> writeBothAndHang(String key, AtomicReference<Transaction> handle, Sinks.One<Void> inside) {
            return RedtxTransactions.current()
                    .doOnNext(handle::set)
                    .then(template.opsFor("a").set(key, "v"))
                    .then(template.opsFor("b").set(key, "v"))
                    .then(Mono.fromRunnable(inside::tryEmitEmpty))
                    .then(Mono.never());
        }

        /**
         * Reads {@code counter} on {@code a}, then (while {@code interferences} lasts) lets another transaction change
         * it before adding 1: the commit finds what it read changed.
         */
        static Mono<Long> increment(RedtxTemplate template, TransactionRuntime runtime, AtomicInteger interferences) {
            return template.opsFor("a")
                    .get("counter")
                    .flatMap(seen -> interferences.getAndDecrement() > 0
                            ? runtime.inTransaction(other -> other.on("a").incrBy("counter", 100))
                                    .thenReturn(seen)
                            : Mono.just(seen))
                    .then(template.opsFor("a").incrBy("counter", 1));
        }
    }

    private static Mono<String> currentId() {
        return RedtxTransactions.current().map(Transaction::id);
    }
}
