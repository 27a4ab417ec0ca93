package io.redtx.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

class DeadlinesTest {

    private final Deadlines deadlines = new Deadlines();

    @AfterEach
    void stop() {
        deadlines.stop();
    }

    @Test
    void anUnansweredReplyFailsWithATimeoutAfterItsLimitNotBefore() throws Exception {
        long start = System.nanoTime();
        CompletableFuture<String> reply = deadlines.bound(new CompletableFuture<>(), Duration.ofMillis(100));

        assertThatThrownBy(() -> reply.get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(TimeoutException.class)
                .hasMessage("no reply within 100 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(100));
    }

    @Test
    void aReplyInTimeKeepsItsValue() throws Exception {
        CompletableFuture<String> reply = deadlines.bound(new CompletableFuture<>(), Duration.ofMillis(50));
        reply.complete("OK");
        Thread.sleep(150); // past the limit: the cancelled wheel entry must not fire

        assertThat(reply.get()).isEqualTo("OK");
    }

    @Test
    void aDelayEmitsZeroAndCompletes() {
        StepVerifier.create(deadlines.delay(Duration.ofMillis(20)))
                .expectNext(0L)
                .expectComplete()
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void aCancelledDelayNeverEmits() throws Exception {
        AtomicInteger signals = new AtomicInteger();
        Disposable d = deadlines
                .delay(Duration.ofMillis(30))
                .subscribe(v -> signals.incrementAndGet(), e -> signals.incrementAndGet(), signals::incrementAndGet);
        d.dispose();
        Thread.sleep(150);

        assertThat(signals).hasValue(0);
    }

    @Test
    void aDelayWaitsForDemandBeforeEmitting() {
        StepVerifier.create(deadlines.delay(Duration.ofMillis(10)), 0)
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(100))
                .thenRequest(1)
                .expectNext(0L)
                .expectComplete()
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void aDelayAfterStopFailsInsteadOfHanging() {
        deadlines.stop();

        StepVerifier.create(deadlines.delay(Duration.ofMillis(10)))
                .expectError(IllegalStateException.class)
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void onAGivenSchedulerALimitFiresWhenThatSchedulerSaysSo() {
        VirtualTimeScheduler time = VirtualTimeScheduler.create();
        Deadlines virtual = new Deadlines(time);
        CompletableFuture<String> reply = virtual.bound(new CompletableFuture<>(), Duration.ofSeconds(30));
        CompletableFuture<String> answered = virtual.bound(new CompletableFuture<>(), Duration.ofSeconds(30));
        answered.complete("OK");

        time.advanceTimeBy(Duration.ofSeconds(30).minusMillis(1));
        assertThat(reply).isNotDone();
        time.advanceTimeBy(Duration.ofMillis(1));
        assertThat(reply).isCompletedExceptionally();
        assertThat(answered).isCompletedWithValue("OK");
        virtual.stop(); // leaves the given scheduler alone
        assertThat(time.isDisposed()).isFalse();
    }

    @Test
    void onAGivenSchedulerACancelledDelayNeverEmits() {
        VirtualTimeScheduler time = VirtualTimeScheduler.create();
        Deadlines virtual = new Deadlines(time);
        AtomicInteger emitted = new AtomicInteger();
        Disposable delay = virtual.delay(Duration.ofSeconds(1)).subscribe(tick -> emitted.incrementAndGet());
        Disposable kept = virtual.delay(Duration.ofSeconds(1)).subscribe(tick -> emitted.addAndGet(10));
        delay.dispose();

        time.advanceTimeBy(Duration.ofSeconds(5));
        assertThat(emitted).hasValue(10);
        kept.dispose();
    }
}
