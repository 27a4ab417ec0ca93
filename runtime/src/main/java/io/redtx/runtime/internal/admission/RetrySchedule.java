package io.redtx.runtime.internal.admission;

import io.redtx.api.RetryPolicy;
import io.redtx.api.TransactionConflictException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.util.retry.Retry;

/**
 * When to retry after a conflict: the policy's exponential backoff with jitter, and, runtime-wide, retries of
 * transactions that conflicted on the same key spaced apart by about the time a commit holds its keys (a moving
 * average of recent commits, within [{@link RetryPolicy#minBackoff()}, {@link RetryPolicy#maxBackoff()}]). Without the
 * spacing, N transactions conflicting on one hot key retry together, one wins and N - 1 conflict again, round after
 * round, using the connections and admission slots the rest of the application needs; spaced out, they retry about one
 * at a time, each after the previous one's commit. Keys share a fixed number of buckets, so the state is bounded
 * whatever the key space.
 */
public final class RetrySchedule {

    static final int BUCKETS = 1024; // a power of two

    private final RetryPolicy policy;
    private final LongSupplier clock;
    private final Supplier<Scheduler> timer;
    private final long origin;
    private final long minNanos;
    private final long maxNanos;
    /** Per bucket, the earliest time (clock nanos) the next retry on one of its keys may start. */
    private final AtomicLongArray next = new AtomicLongArray(BUCKETS);
    /**
     * Moving average of how long recent commits held their keys. Updated without a lock: a lost update among racing
     * commits only makes the average a little less smooth.
     */
    private volatile long spacingNanos;

    /**
     * @param clock nanoseconds, for the budget and the spacing of retries
     * @param timer where the delays between attempts run
     */
    public RetrySchedule(RetryPolicy policy, LongSupplier clock, Supplier<Scheduler> timer) {
        this.policy = policy;
        this.clock = clock;
        this.timer = timer;
        this.origin = clock.getAsLong();
        this.minNanos = policy.minBackoff().toNanos();
        this.maxNanos = policy.maxBackoff().toNanos();
        this.spacingNanos = minNanos;
    }

    /**
     * A transaction committed; its commit held its keys for {@code commitNanos} (prepare, commit point and secondaries,
     * or the one-phase script). Moves the spacing an eighth of the way towards it.
     */
    public void committed(long commitNanos) {
        long s = spacingNanos;
        long sample = Math.max(minNanos, Math.min(maxNanos, commitNanos));
        spacingNanos = s + (sample - s) / 8;
    }

    /** @return the current spacing of retries on one key */
    long spacingNanos() {
        return spacingNanos;
    }

    /** @return the reactor retry of this schedule, or null when the policy allows one attempt only */
    public Retry retry() {
        return retry(policy);
    }

    /**
     * @param own a transaction's own policy: its attempts and backoff, spaced with the runtime's other retries on
     *     the same key
     * @return the reactor retry, or null when {@code own} allows one attempt only
     */
    public Retry retry(RetryPolicy own) {
        if (own.maxAttempts() == 1) {
            return null;
        }
        return Retry.from(signals -> signals.concatMap(signal -> {
            if (!(signal.failure() instanceof TransactionConflictException conflict)
                    || signal.totalRetries() >= own.maxAttempts() - 1) {
                return Mono.error(signal.failure());
            }
            return Mono.delay(Duration.ofNanos(delayNanos(conflict, signal.totalRetries(), own)), timer.get());
        }));
    }

    /** {@link #delayNanos(TransactionConflictException, long, RetryPolicy)} with the runtime's policy. */
    long delayNanos(TransactionConflictException conflict, long retry) {
        return delayNanos(conflict, retry, policy);
    }

    /**
     * The wait before retry number {@code retry + 1} of a transaction that conflicted: its jittered backoff, pushed
     * back behind the retries already scheduled on the same key (but never past {@code own}'s maximum backoff).
     */
    long delayNanos(TransactionConflictException conflict, long retry, RetryPolicy own) {
        // From this schedule's start, so never below a bucket's initial 0 (System.nanoTime() may be negative).
        long now = clock.getAsLong() - origin;
        long cap = own.maxBackoff().toNanos();
        long backoff = backoffNanos(retry, own);
        int bucket = bucket(conflict.participant(), conflict.key());
        long spacing = spacingNanos;
        long due;
        for (; ; ) {
            long reserved = next.get(bucket);
            due = Math.min(Math.max(now + backoff, reserved), now + cap);
            if (next.compareAndSet(bucket, reserved, Math.max(reserved, due + spacing))) {
                break;
            }
        }
        return due - now;
    }

    /** Exponential from the minimum, capped, randomised by the jitter factor within [min, max] (as Reactor's). */
    private static long backoffNanos(long retry, RetryPolicy policy) {
        long minNanos = policy.minBackoff().toNanos();
        long maxNanos = policy.maxBackoff().toNanos();
        // minNanos << retry, unless that would overflow
        long base = retry < Long.numberOfLeadingZeros(minNanos) - 1 ? Math.min(maxNanos, minNanos << retry) : maxNanos;
        long spread = (long) (base * policy.jitter());
        long low = Math.max(minNanos - base, -spread);
        long high = Math.min(maxNanos - base, spread);
        return high <= low ? base : base + ThreadLocalRandom.current().nextLong(low, high + 1);
    }

    static int bucket(String participant, String key) {
        int h = participant.hashCode() * 31 + key.hashCode();
        h ^= h >>> 16;
        return h & (BUCKETS - 1);
    }
}
