package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.KeyLayout;
import io.redtx.api.lock.DistributedLock;
import io.redtx.api.lock.LockLease;
import io.redtx.api.lock.LockOptions;
import io.redtx.runtime.internal.protocol.ProtocolHooks;
import io.redtx.test.redis.RedisServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * Cancelling an acquisition or a holder of a distributed lock: nothing of it stays on the server (no holder, no place
 * in line), so the next acquirer is not held up. What the server holds is read from the lock's own keys.
 */
class LockCancellationTest extends ThreeParticipantsTestBase {

    private static final Duration WAIT = Duration.ofSeconds(5);
    /**
     * Longer than a prompt hand-over, shorter than what a leftover would cost: the waiters' fallback period (1 s) or
     * a forgotten place in line (a waiter's lease, 3 s).
     */
    private static final Duration PROMPT = Duration.ofMillis(500);

    private static LockOptions on(String participant) {
        return LockOptions.builder().participant(participant).waitTime(WAIT).build();
    }

    private static String holders(String name) {
        return KeyLayout.DEFAULT.distributedLockPrefix() + "l:{" + name + "}";
    }

    private static long inLine(RedisServer server, String name) {
        return (Long) server.command("ZCARD", holders(name) + ":line");
    }

    private static long holding(RedisServer server, String name) {
        return (Long) server.command("HLEN", holders(name));
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }

    @Test
    void aCancelledWaiterLeavesTheLineAndTheNextWaiterIsServedAtTheRelease() {
        RedisTransactionRuntime rt = runtime();
        DistributedLock lock = rt.lock("line", on("a"));
        LockLease holder = lock.acquire().block(WAIT);
        Disposable first = lock.acquire().subscribe();
        awaitTrue(() -> inLine(a, "line") == 1);
        AtomicReference<LockLease> second = new AtomicReference<>();
        AtomicLong grantedAt = new AtomicLong();
        Disposable secondWaiter = lock.acquire().subscribe(lease -> {
            grantedAt.set(System.nanoTime());
            second.set(lease);
        });
        awaitTrue(() -> inLine(a, "line") == 2);

        long cancelledAt = System.nanoTime();
        first.dispose();
        awaitTrue(() -> inLine(a, "line") == 1);
        long leftMs = millisSince(cancelledAt);
        long releasedAt = System.nanoTime();
        holder.release().block(WAIT);
        awaitTrue(() -> second.get() != null);
        long handOverMs = (grantedAt.get() - releasedAt) / 1_000_000;

        System.out.printf(
                "lock: cancelled waiter out of line %d ms after the cancel; next waiter granted %d ms after the"
                        + " release%n",
                leftMs, handOverMs);
        assertThat(Duration.ofMillis(leftMs)).isLessThan(PROMPT);
        assertThat(Duration.ofMillis(handOverMs)).isLessThan(PROMPT);
        second.get().release().block(WAIT);
        secondWaiter.dispose();
    }

    @Test
    void cancellingAWaiterOfWithLockLeavesTheLineWithoutRunningTheWork() {
        RedisTransactionRuntime rt = runtime();
        DistributedLock lock = rt.lock("scoped-wait", on("b"));
        LockLease holder = lock.acquire().block(WAIT);
        AtomicInteger ran = new AtomicInteger();
        Disposable waiter = lock.withLock(lease -> {
                    ran.incrementAndGet();
                    return Mono.never();
                })
                .subscribe();
        awaitTrue(() -> inLine(b, "scoped-wait") == 1);
        waiter.dispose();
        awaitTrue(() -> inLine(b, "scoped-wait") == 0);
        holder.release().block(WAIT);

        LockLease next = rt.lock(
                        "scoped-wait", on("b").mutate().waitTime(Duration.ZERO).build())
                .acquire()
                .block(WAIT);
        assertThat(ran).hasValue(0);
        next.release().block(WAIT);
    }

    @Test
    void cancellingTheWorkOfWithLockFreesTheLockAtOnce() {
        RedisTransactionRuntime rt = runtime();
        DistributedLock lock = rt.lock("scoped", on("c"));
        AtomicReference<LockLease> held = new AtomicReference<>();
        // Known once the work is subscribed: a cancel before that is usingWhen's to hold until then.
        Disposable work = lock.withLock(lease -> Mono.never().doOnSubscribe(s -> held.set(lease)))
                .subscribe();
        awaitTrue(() -> held.get() != null);
        assertThat(holding(c, "scoped")).isOne();

        long cancelledAt = System.nanoTime();
        work.dispose();
        assertThat(held.get().isHeld()).as("held right after the cancel").isFalse();
        awaitTrue(() -> holding(c, "scoped") == 0);
        long freedMs = millisSince(cancelledAt);
        // Another runtime, as another process would: it tries once and must get it.
        RedisTransactionRuntime other = RedisTransactionRuntime.create(options().build(), ProtocolHooks.NONE);
        try {
            long askedAt = System.nanoTime();
            LockLease next = other.lock(
                            "scoped", on("c").mutate().waitTime(Duration.ZERO).build())
                    .acquire()
                    .block(WAIT);
            System.out.printf(
                    "lock: holder inside withLock cancelled; lock free on the server %d ms later, granted to another"
                            + " runtime in %d ms (token %d after %d)%n",
                    freedMs, millisSince(askedAt), next.token(), held.get().token());
            assertThat(Duration.ofMillis(freedMs)).isLessThan(PROMPT);
            assertThat(next.token()).isGreaterThan(held.get().token());
            next.release().block(WAIT);
        } finally {
            other.closeGracefully().block(WAIT);
        }
    }

    /**
     * A waiter cancelled the moment it subscribed: its first ask is on its way to the server when it is cancelled, and
     * a leaving of the line sent at once could run before the ask (the participant's connections take commands in
     * turn) and be undone by it. Left there, the place would hold everyone behind it up for a waiter's lease (3 s),
     * though nobody holds the lock.
     */
    @Test
    void waitersCancelledAsTheyAskLeaveNoPlaceInLine() {
        RedisTransactionRuntime rt = runtime();
        DistributedLock lock = rt.lock("hasty", on("a"));
        for (int i = 0; i < 3; i++) { // every connection to "a" connected and its scripts loaded
            lock.acquire().flatMap(LockLease::release).block(WAIT);
        }
        LockLease holder = lock.acquire().block(WAIT);
        int waiters = 100;
        for (int i = 0; i < waiters; i++) {
            lock.acquire().subscribe().dispose();
        }
        awaitBackground();
        sleep(300); // the last asks have run too: every script these waiters sent is done
        long left = inLine(a, "hasty");

        long releasedAt = System.nanoTime();
        holder.release().block(WAIT);
        LockLease next = lock.acquire().block(WAIT);
        long nextMs = millisSince(releasedAt);
        System.out.printf(
                "lock: %d waiters cancelled as they asked: places left in line %d; the next acquisition after the"
                        + " release took %d ms%n",
                waiters, left, nextMs);
        next.release().block(WAIT);
        assertThat(left).as("places in line left by cancelled waiters").isZero();
        assertThat(Duration.ofMillis(nextMs)).isLessThan(PROMPT);
    }

    /**
     * Cancellations at random moments, while waiting in line, as the grant arrives and during the work: afterwards no
     * one holds the lock and no one is left in line.
     */
    @Test
    void cancellationsAtAnyMomentLeaveNoHolderBehind() {
        RedisTransactionRuntime rt = runtime();
        AtomicInteger worked = new AtomicInteger();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        int rounds = 60;
        for (int i = 0; i < rounds; i++) {
            // A lock per round, so that a round's leftovers cannot decide the next one's moments.
            DistributedLock lock = rt.lock("random-" + i, on("b"));
            // Two contenders: one of them waits in line while the other holds.
            Disposable one = contender(lock, worked, errors);
            Disposable two = contender(lock, worked, errors);
            LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(4_000_000));
            one.dispose();
            LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(2_000_000));
            two.dispose();
        }
        awaitBackground();
        sleep(300);
        long held = 0;
        long queued = 0;
        for (int i = 0; i < rounds; i++) {
            held += holding(b, "random-" + i);
            queued += inLine(b, "random-" + i);
        }
        System.out.printf(
                "lock: %d contenders cancelled at random moments (%d reached their work); afterwards held %d, in line"
                        + " %d%n",
                2 * rounds, worked.get(), held, queued);
        assertThat(errors).isEmpty();
        assertThat(held).as("holders left by cancelled contenders").isZero();
        assertThat(queued).as("places in line left by cancelled contenders").isZero();
    }

    private static Disposable contender(DistributedLock lock, AtomicInteger worked, List<Throwable> errors) {
        return lock.withLock(lease -> {
                    worked.incrementAndGet();
                    return Mono.delay(
                            Duration.ofNanos(ThreadLocalRandom.current().nextLong(2_000_000)));
                })
                .subscribe(ignored -> {}, errors::add);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
