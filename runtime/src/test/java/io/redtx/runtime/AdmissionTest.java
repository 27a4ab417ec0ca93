package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.AdmissionOptions;
import io.redtx.api.RetryPolicy;
import io.redtx.api.Transaction;
import io.redtx.api.TransactionRejectedException;
import io.redtx.api.TransactionStateException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

/** The runtime-wide in-flight limit: wait or reject, shared by inTransaction and begin, nothing leaked. */
class AdmissionTest extends ThreeParticipantsTestBase {

    /** A transaction on a and b whose work waits for {@code gate} before writing. */
    private static Mono<String> held(RedisTransactionRuntime rt, Sinks.Empty<Void> gate, String value) {
        return rt.inTransaction(t -> gate.asMono()
                .then(t.on("a").set("x", value))
                .then(t.on("b").set("y", value))
                .thenReturn(value));
    }

    private static TransactionRejectedException.Reason reasonOf(Throwable e) {
        assertThat(e).isInstanceOf(TransactionRejectedException.class);
        return ((TransactionRejectedException) e).reason();
    }

    @Test
    void rejectRefusesAtOnceWhenTheLimitIsReachedAndAdmitsAgainOnceOneEnds() {
        var rt = runtime(o -> o.admission(a -> a.maxInFlight(1).overflow(AdmissionOptions.Overflow.REJECT)));
        Sinks.Empty<Void> gate = Sinks.empty();
        var first = held(rt, gate, "1").toFuture();
        awaitTrue(() -> rt.inFlight() == 1);

        StepVerifier.create(rt.inTransaction(t -> t.on("a").get("x")))
                .expectErrorSatisfies(e -> {
                    assertThat(reasonOf(e)).isEqualTo(TransactionRejectedException.Reason.LIMIT_REACHED);
                    assertThat(e).hasMessageContaining("maxInFlight 1");
                })
                .verify(Duration.ofSeconds(10));

        gate.tryEmitEmpty();
        assertThat(first.join()).isEqualTo("1");
        awaitTrue(() -> rt.inFlight() == 0);
        StepVerifier.create(rt.inTransaction(t -> t.on("a").get("x")))
                .expectNext("1")
                .verifyComplete();
    }

    @Test
    void waitAdmitsAWaitingTransactionWhenARunningOneEnds() {
        var rt = runtime(o -> o.admission(a -> a.maxInFlight(1).timeout(Duration.ofSeconds(5))));
        Sinks.Empty<Void> gate = Sinks.empty();
        var first = held(rt, gate, "1").toFuture();
        awaitTrue(() -> rt.inFlight() == 1);

        var second = rt.inTransaction(t -> t.on("a").get("x")).toFuture();
        awaitTrue(() -> rt.admissionWaiting() == 1);
        assertThat(second).isNotDone();

        gate.tryEmitEmpty();
        assertThat(first.join()).isEqualTo("1");
        assertThat(second.join())
                .as("admitted after the first ended, so it reads its write")
                .isEqualTo("1");
    }

    @Test
    void waitGivesUpAfterTheAdmissionTimeout() {
        var rt = runtime(o -> o.admission(a -> a.maxInFlight(1).timeout(Duration.ofMillis(200))));
        Sinks.Empty<Void> gate = Sinks.empty();
        held(rt, gate, "1").subscribe();
        awaitTrue(() -> rt.inFlight() == 1);

        StepVerifier.create(rt.inTransaction(t -> t.on("a").set("x", "never")))
                .expectErrorSatisfies(
                        e -> assertThat(reasonOf(e)).isEqualTo(TransactionRejectedException.Reason.WAIT_TIMED_OUT))
                .verify(Duration.ofSeconds(10));
        gate.tryEmitEmpty();
        awaitTrue(() -> rt.inFlight() == 0);
        assertThat(get(a, "x")).isEqualTo("1");
    }

    @Test
    void moreWaitersThanMaxWaitingAreRejectedAtOnce() {
        var rt = runtime(o -> o.admission(a -> a.maxInFlight(1).maxWaiting(1).timeout(Duration.ofSeconds(5))));
        Sinks.Empty<Void> gate = Sinks.empty();
        held(rt, gate, "1").subscribe();
        awaitTrue(() -> rt.inFlight() == 1);
        var waiting = rt.inTransaction(t -> t.on("a").get("x")).toFuture();
        awaitTrue(() -> rt.admissionWaiting() == 1);

        StepVerifier.create(rt.inTransaction(t -> t.on("a").get("x")))
                .expectErrorSatisfies(
                        e -> assertThat(reasonOf(e)).isEqualTo(TransactionRejectedException.Reason.TOO_MANY_WAITING))
                .verify(Duration.ofSeconds(10));
        gate.tryEmitEmpty();
        assertThat(waiting.join()).isEqualTo("1");
    }

    @Test
    void aCancelledWaiterLeavesNoPermitBehind() {
        var rt = runtime(o -> o.admission(a -> a.maxInFlight(1).timeout(Duration.ofSeconds(5))));
        Sinks.Empty<Void> gate = Sinks.empty();
        var first = held(rt, gate, "1").toFuture();
        awaitTrue(() -> rt.inFlight() == 1);
        Disposable waiter =
                rt.inTransaction(t -> t.on("c").set("z", "cancelled")).subscribe();
        awaitTrue(() -> rt.admissionWaiting() == 1);

        waiter.dispose();
        awaitTrue(() -> rt.admissionWaiting() == 0);
        gate.tryEmitEmpty();
        first.join();
        awaitTrue(() -> rt.inFlight() == 0);
        assertThat(get(c, "z")).as("the cancelled waiter never ran").isNull();
    }

    @Test
    void anExplicitTransactionHoldsItsPermitUntilItEnds() {
        var rt = runtime(o -> o.admission(a -> a.maxInFlight(1).overflow(AdmissionOptions.Overflow.REJECT)));
        Transaction t = rt.begin().block(Duration.ofSeconds(10));
        assertThat(rt.inFlight()).isEqualTo(1);
        StepVerifier.create(rt.begin())
                .expectError(TransactionRejectedException.class)
                .verify(Duration.ofSeconds(10));

        t.on("a").set("x", "1").then(t.on("b").set("y", "1")).block(Duration.ofSeconds(10));
        t.commit().block(Duration.ofSeconds(10));
        awaitTrue(() -> rt.inFlight() == 0);

        Transaction rolledBack = rt.begin().block(Duration.ofSeconds(10));
        rolledBack.rollback().block(Duration.ofSeconds(10));
        assertThat(rt.inFlight()).isZero();
    }

    @Test
    void anAbandonedExplicitTransactionIsRolledBackAfterTheTransactionTimeout() {
        var rt = runtime(o -> o.admission(a -> a.maxInFlight(1)).timeouts(t -> t.transaction(Duration.ofMillis(300))));
        Transaction abandoned = rt.begin().block(Duration.ofSeconds(10));
        assertThat(rt.inFlight()).isEqualTo(1);

        awaitTrue(() -> rt.inFlight() == 0);
        StepVerifier.create(abandoned.on("a").set("x", "late"))
                .expectError(TransactionStateException.class)
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void aTransactionWaitingToRetryHoldsNoSlot() {
        var rt = runtime(o -> o.admission(a -> a.maxInFlight(1).overflow(AdmissionOptions.Overflow.REJECT))
                .retryPolicy(RetryPolicy.builder()
                        .maxAttempts(2)
                        .minBackoff(Duration.ofSeconds(2))
                        .maxBackoff(Duration.ofSeconds(2))
                        .jitter(0)
                        .build()));
        a.command("SET", "x", "0");
        AtomicInteger attempts = new AtomicInteger();
        // The first attempt's read is changed behind its back: it conflicts and waits 2 s before its retry.
        var hot = rt.inTransaction(t -> {
                    int attempt = attempts.incrementAndGet();
                    return t.on("a")
                            .get("x")
                            .then(attempt == 1 ? outside(() -> a.command("SET", "x", "changed")) : Mono.empty())
                            .then(t.on("b").set("y", "attempt " + attempt));
                })
                .toFuture();
        awaitTrue(() -> attempts.get() == 1 && rt.inFlight() == 0);

        StepVerifier.create(rt.inTransaction(t -> t.on("c").set("z", "admitted")))
                .verifyComplete();
        assertThat(attempts).hasValue(1); // still waiting to retry
        hot.join();
        assertThat(get(b, "y")).isEqualTo("attempt 2");
        assertThat(get(c, "z")).isEqualTo("admitted");
    }
}
