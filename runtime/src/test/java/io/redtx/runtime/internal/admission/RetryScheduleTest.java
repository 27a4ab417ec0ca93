package io.redtx.runtime.internal.admission;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.RetryPolicy;
import io.redtx.api.TransactionConflictException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** Backoff after a conflict, and retries on one hot key spaced out runtime-wide (a fake clock, no servers). */
class RetryScheduleTest {

    private static final long MS = 1_000_000L;

    private final AtomicLong clock = new AtomicLong(-5_000 * MS); // System.nanoTime() may be negative too

    private RetrySchedule schedule(long minMs, long maxMs, double jitter) {
        return new RetrySchedule(
                RetryPolicy.builder()
                        .maxAttempts(3)
                        .minBackoff(Duration.ofMillis(minMs))
                        .maxBackoff(Duration.ofMillis(maxMs))
                        .jitter(jitter)
                        .build(),
                clock::get,
                Schedulers::parallel);
    }

    private static TransactionConflictException conflictOn(String participant, String key) {
        return new TransactionConflictException(
                "t", participant, key, TransactionConflictException.Reason.READ_CHANGED, null);
    }

    @Test
    void retriesOnOneKeyAreSpacedByTheMinimumBackoffUpToTheMaximum() {
        RetrySchedule s = schedule(2, 7, 0);
        TransactionConflictException hot = conflictOn("a", "hot");
        assertThat(s.delayNanos(hot, 0)).isEqualTo(2 * MS);
        assertThat(s.delayNanos(hot, 0)).isEqualTo(4 * MS);
        assertThat(s.delayNanos(hot, 0)).isEqualTo(6 * MS);
        assertThat(s.delayNanos(hot, 0)).isEqualTo(7 * MS); // capped at maxBackoff
        assertThat(s.delayNanos(hot, 0)).isEqualTo(7 * MS);
    }

    @Test
    void otherKeysAreNotHeldBackByAHotOne() {
        RetrySchedule s = schedule(2, 100, 0);
        for (int i = 0; i < 10; i++) {
            s.delayNanos(conflictOn("a", "hot"), 0);
        }
        String cold = "cold";
        while (RetrySchedule.bucket("a", cold) == RetrySchedule.bucket("a", "hot")) {
            cold += "!";
        }
        assertThat(s.delayNanos(conflictOn("a", cold), 0)).isEqualTo(2 * MS);
        // Same key name on another participant is another key.
        if (RetrySchedule.bucket("b", "hot") != RetrySchedule.bucket("a", "hot")) {
            assertThat(s.delayNanos(conflictOn("b", "hot"), 0)).isEqualTo(2 * MS);
        }
    }

    @Test
    void reservationsLapseAsTimePasses() {
        RetrySchedule s = schedule(2, 100, 0);
        TransactionConflictException hot = conflictOn("a", "hot");
        s.delayNanos(hot, 0);
        s.delayNanos(hot, 0);
        clock.addAndGet(50 * MS);
        assertThat(s.delayNanos(hot, 0)).isEqualTo(2 * MS);
    }

    @Test
    void backoffGrowsExponentiallyPerRetryAndStaysWithinBoundsWithJitter() {
        RetrySchedule exact = schedule(2, 100, 0);
        assertThat(exact.delayNanos(conflictOn("a", "k1"), 1)).isEqualTo(4 * MS);
        assertThat(exact.delayNanos(conflictOn("a", "k2"), 3)).isEqualTo(16 * MS);
        assertThat(exact.delayNanos(conflictOn("a", "k3"), 70)).isEqualTo(100 * MS); // no overflow

        RetrySchedule jittered = schedule(2, 100, 0.5);
        for (int i = 0; i < 1000; i++) {
            clock.addAndGet(1000 * MS); // every reservation has lapsed
            assertThat(jittered.delayNanos(conflictOn("a", "k"), 3)).isBetween(8 * MS, 24 * MS);
        }
    }

    @Test
    void onlyConflictsAreRetriedAndTheLastErrorEndsTheRetries() {
        RetrySchedule s = schedule(1, 1, 0);
        AtomicInteger attempts = new AtomicInteger();
        StepVerifier.create(Mono.defer(() -> {
                            attempts.incrementAndGet();
                            return Mono.error(conflictOn("a", "x"));
                        })
                        .retryWhen(s.retry()))
                .verifyError(TransactionConflictException.class);
        assertThat(attempts).hasValue(3);

        attempts.set(0);
        StepVerifier.create(Mono.defer(() -> {
                            attempts.incrementAndGet();
                            return Mono.error(new IllegalStateException("not a conflict"));
                        })
                        .retryWhen(s.retry()))
                .verifyError(IllegalStateException.class);
        assertThat(attempts).hasValue(1);
    }

    /** A transaction's own policy sets its backoff and cap, and shares the key's spacing with the runtime's. */
    @Test
    void aTransactionsOwnPolicyBacksOffByItsOwnBoundsBehindTheOthers() {
        RetrySchedule s = schedule(2, 100, 0);
        RetryPolicy own = RetryPolicy.builder()
                .minBackoff(Duration.ofMillis(5))
                .maxBackoff(Duration.ofMillis(6))
                .jitter(0)
                .build();
        TransactionConflictException hot = conflictOn("a", "hot");

        assertThat(s.delayNanos(hot, 0, own)).isEqualTo(5 * MS);
        assertThat(s.delayNanos(hot, 0)).isEqualTo(7 * MS); // behind the first, by the spacing (2 ms)
        assertThat(s.delayNanos(hot, 0, own)).isEqualTo(6 * MS); // capped at its own maximum
        assertThat(s.retry(RetryPolicy.none())).isNull();
        assertThat(s.retry(own)).isNotNull();
    }

    @Test
    void aSingleAttemptPolicyHasNoRetry() {
        assertThat(new RetrySchedule(RetryPolicy.none(), clock::get, Schedulers::parallel).retry())
                .isNull();
    }

    @Test
    void spacingFollowsHowLongRecentCommitsTook() {
        RetrySchedule s = schedule(2, 100, 0);
        for (int i = 0; i < 100; i++) {
            s.committed(10 * MS);
        }
        assertThat(s.spacingNanos()).isBetween(9 * MS, 10 * MS);
        TransactionConflictException hot = conflictOn("a", "hot");
        assertThat(s.delayNanos(hot, 0)).isEqualTo(2 * MS);
        assertThat(s.delayNanos(hot, 0)).isEqualTo(2 * MS + s.spacingNanos());

        for (int i = 0; i < 100; i++) {
            s.committed(10_000 * MS); // slower than maxBackoff: capped
        }
        assertThat(s.spacingNanos()).isBetween(99 * MS, 100 * MS);
        for (int i = 0; i < 100; i++) {
            s.committed(0);
        }
        assertThat(s.spacingNanos()).isBetween(2 * MS, 3 * MS);
    }
}
