package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.AdmissionOptions;
import io.redtx.api.CommitProtocol;
import io.redtx.api.CommitResult;
import io.redtx.api.RecoveryReport;
import io.redtx.api.RetryPolicy;
import io.redtx.api.Transaction;
import io.redtx.api.TransactionConflictException;
import io.redtx.api.TransactionRejectedException;
import io.redtx.api.metrics.AbortCause;
import io.redtx.api.metrics.Phase;
import io.redtx.api.metrics.TransactionMetrics;
import io.redtx.api.metrics.TransactionObserver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/** What the runtime reports to its metrics and observer, counted exactly after known workloads on real servers. */
class MetricsTest extends ThreeParticipantsTestBase {

    /** Counts every call by a readable key, e.g. {@code committed TWO_PHASE attempts=1}. */
    static final class Recording implements TransactionMetrics {
        final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
        final AtomicReference<IntSupplier> inFlight = new AtomicReference<>();

        private void count(String what) {
            counts.computeIfAbsent(what, k -> new AtomicInteger()).incrementAndGet();
        }

        Map<String, Integer> snapshot() {
            Map<String, Integer> m = new TreeMap<>();
            counts.forEach((k, v) -> m.put(k, v.get()));
            return m;
        }

        @Override
        public void committed(CommitProtocol protocol, int attempts, Duration total) {
            assertThat(total).isPositive();
            count("committed " + protocol + " attempts=" + attempts);
        }

        @Override
        public void aborted(AbortCause cause) {
            count("aborted " + cause);
        }

        @Override
        public void conflict(TransactionConflictException.Reason reason) {
            count("conflict " + reason);
        }

        @Override
        public void retried() {
            count("retried");
        }

        @Override
        public void phase(Phase phase, Duration latency) {
            assertThat(latency).isPositive();
            count("phase " + phase);
        }

        @Override
        public void rejected() {
            count("rejected");
        }

        @Override
        public void inFlight(IntSupplier supplier) {
            inFlight.set(supplier);
        }

        @Override
        public void recovered(RecoveryReport report) {
            count("recovered");
        }
    }

    private final Recording metrics = new Recording();

    private RedisTransactionRuntime runtimeWithMetrics() {
        return runtime(o -> o.metrics(metrics)
                .recovery(r -> r.interval(Duration.ZERO))
                .retryPolicy(RetryPolicy.builder()
                        .maxAttempts(3)
                        .minBackoff(Duration.ofMillis(1))
                        .build()));
    }

    private static final AtomicLong CHANGES = new AtomicLong();

    /** Reads x on a, and on attempts up to {@code interfereUpTo}, changes it (to a new value) from outside before committing. */
    private static Mono<Void> readThenMaybeChanged(Transaction t, AtomicInteger attempts, int interfereUpTo) {
        int attempt = attempts.incrementAndGet();
        return t.on("a")
                .get("x")
                .then(
                        attempt <= interfereUpTo
                                ? outside(() -> a.command("SET", "x", "v" + CHANGES.incrementAndGet()))
                                : Mono.empty())
                .then(t.on("b").set("y", "from attempt " + attempt));
    }

    @Test
    void knownWorkloadGivesExactCounts() {
        var rt = runtimeWithMetrics();
        for (int i = 0; i < 5; i++) {
            rt.inTransaction(t -> t.on("a").set("one", "1")).block(Duration.ofSeconds(10));
        }
        for (int i = 0; i < 3; i++) {
            rt.inTransaction(t -> t.on("a").set("two", "1").then(t.on("b").set("two", "1")))
                    .block(Duration.ofSeconds(10));
        }
        for (int i = 0; i < 2; i++) {
            StepVerifier.create(rt.inTransaction(
                            t -> t.on("a").set("no", "1").then(Mono.error(new IllegalStateException("boom")))))
                    .verifyError(IllegalStateException.class);
        }
        AtomicInteger once = new AtomicInteger();
        rt.inTransaction(t -> readThenMaybeChanged(t, once, 1)).block(Duration.ofSeconds(10));
        AtomicInteger always = new AtomicInteger();
        StepVerifier.create(rt.inTransaction(t -> readThenMaybeChanged(t, always, Integer.MAX_VALUE)))
                .verifyError(TransactionConflictException.class);
        rt.recover().block(Duration.ofSeconds(10));

        assertThat(metrics.snapshot())
                .isEqualTo(new TreeMap<>(Map.ofEntries(
                        Map.entry("committed ONE_PHASE attempts=1", 5),
                        Map.entry("phase ONE_PHASE", 5),
                        Map.entry("committed TWO_PHASE attempts=1", 3),
                        Map.entry("committed TWO_PHASE attempts=2", 1),
                        // 3 plain two-phase commits, 1 retried one; the conflicts fail at prepare
                        Map.entry("phase PREPARE", 4 + 1 + 3),
                        Map.entry("phase COMMIT_POINT", 4),
                        Map.entry("phase SECONDARIES", 4),
                        Map.entry("aborted USER_ERROR", 2),
                        Map.entry("conflict READ_CHANGED", 1 + 3),
                        Map.entry("retried", 1 + 2),
                        Map.entry("aborted CONFLICT", 1),
                        Map.entry("recovered", 1))));
        assertThat(metrics.inFlight.get().getAsInt()).isZero();
    }

    @Test
    void rejectionsAndExplicitHandlesAreCountedAndTheGaugeFollowsPermits() {
        var rt = runtime(
                o -> o.metrics(metrics).admission(a -> a.maxInFlight(2).overflow(AdmissionOptions.Overflow.REJECT)));
        Transaction first = rt.begin().block(Duration.ofSeconds(10));
        Transaction second = rt.begin().block(Duration.ofSeconds(10));
        assertThat(metrics.inFlight.get().getAsInt()).isEqualTo(2);

        StepVerifier.create(rt.inTransaction(t -> t.on("a").get("x"))).verifyError(TransactionRejectedException.class);
        StepVerifier.create(rt.begin()).verifyError(TransactionRejectedException.class);

        second.rollback().block(Duration.ofSeconds(10));
        first.on("a").set("x", "1").then(first.on("c").set("z", "1")).block(Duration.ofSeconds(10));
        first.commit().block(Duration.ofSeconds(10));
        assertThat(metrics.inFlight.get().getAsInt()).isZero();

        assertThat(metrics.snapshot())
                .isEqualTo(new TreeMap<>(Map.of(
                        "rejected", 2,
                        "aborted REJECTED", 2,
                        "aborted ROLLED_BACK", 1,
                        "committed TWO_PHASE attempts=1", 1,
                        "phase PREPARE", 1,
                        "phase COMMIT_POINT", 1,
                        "phase SECONDARIES", 1)));
    }

    @Test
    void cancelBeforeTheCommitPointCountsAsCancelled() {
        var rt = runtimeWithMetrics();
        StepVerifier.create(rt.inTransaction(t -> t.on("a").set("x", "1").then(Mono.never())))
                .thenAwait(Duration.ofMillis(50))
                .thenCancel()
                .verify(Duration.ofSeconds(10));
        assertThat(metrics.snapshot()).isEqualTo(Map.of("aborted CANCELLED", 1));
    }

    @Test
    void throwingMetricsNeverFailATransaction() {
        TransactionMetrics broken = new TransactionMetrics() {
            @Override
            public void committed(CommitProtocol protocol, int attempts, Duration total) {
                throw new IllegalStateException("metrics down");
            }

            @Override
            public void phase(Phase phase, Duration latency) {
                throw new IllegalStateException("metrics down");
            }
        };
        var rt = runtime(o -> o.metrics(broken));
        StepVerifier.create(rt.inTransaction(t ->
                        t.on("a").set("x", "1").then(t.on("b").set("y", "1")).thenReturn("done")))
                .expectNext("done")
                .verifyComplete();
        assertThat(get(a, "x")).isEqualTo("1");
        assertThat(get(b, "y")).isEqualTo("1");
    }

    /** Records the calls of each scope, in order. */
    static final class RecordingObserver implements TransactionObserver {
        final List<List<String>> scopes = new CopyOnWriteArrayList<>();

        @Override
        public Scope start(ContextView context) {
            List<String> calls = new CopyOnWriteArrayList<>();
            calls.add("start caller=" + context.getOrDefault("caller", "none"));
            scopes.add(calls);
            return new Scope() {
                @Override
                public Context context(Context c) {
                    calls.add("context");
                    return c.put("span", "span-" + scopes.size());
                }

                @Override
                public void attempt(String transactionId, int attempt) {
                    calls.add("attempt " + attempt);
                }

                @Override
                public void committed(CommitResult result) {
                    calls.add("committed attempts=" + result.attempts());
                }

                @Override
                public void aborted(AbortCause cause, Throwable error) {
                    calls.add("aborted " + cause + " "
                            + (error == null ? "-" : error.getClass().getSimpleName()));
                }
            };
        }
    }

    @Test
    void workRunsWithTheAttemptIdAndTheObserversContext() {
        RecordingObserver observer = new RecordingObserver();
        var rt = runtime(o -> o.observer(observer));
        AtomicReference<String> handleId = new AtomicReference<>();
        StepVerifier.create(rt.inTransaction(t -> {
                            handleId.set(t.id());
                            return Mono.deferContextual(
                                    c -> Mono.just(c.get(Transaction.CONTEXT_KEY) + " " + c.get("span")));
                        })
                        .contextWrite(Context.of("caller", "test")))
                .assertNext(seen -> assertThat(seen).isEqualTo(handleId.get() + " span-1"))
                .verifyComplete();
        assertThat(observer.scopes)
                .containsExactly(List.of("start caller=test", "context", "attempt 1", "committed attempts=1"));
    }

    @Test
    void observerSeesEveryAttemptAndOneEnding() {
        RecordingObserver observer = new RecordingObserver();
        var rt = runtime(o -> o.observer(observer)
                .retryPolicy(RetryPolicy.builder()
                        .maxAttempts(2)
                        .minBackoff(Duration.ofMillis(1))
                        .build()));
        AtomicInteger always = new AtomicInteger();
        StepVerifier.create(rt.inTransaction(t -> readThenMaybeChanged(t, always, Integer.MAX_VALUE)))
                .verifyError(TransactionConflictException.class);
        assertThat(observer.scopes)
                .containsExactly(List.of(
                        "start caller=none",
                        "context",
                        "attempt 1",
                        "attempt 2",
                        "aborted CONFLICT TransactionConflictException"));
    }
}
