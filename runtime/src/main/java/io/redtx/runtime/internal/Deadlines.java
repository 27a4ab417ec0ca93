package io.redtx.runtime.internal;

import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import io.netty.util.Timer;
import io.netty.util.TimerTask;
import io.redtx.api.Durations;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.core.scheduler.Schedulers;

/**
 * The runtime's timer for the time limits of Redis commands and for short internal delays: a hashed wheel (one daemon
 * thread, {@value #TICK_MILLIS} ms ticks), also lent to Lettuce for its reconnect delays. A whole transaction's time
 * limit stays on Reactor's timer, so that tests in virtual time control it.
 *
 * <p>It replaces a Reactor {@code timeout(Duration)} per command. That operator schedules a task on a shared
 * {@code ScheduledThreadPoolExecutor} (a heap insert and a removal under its lock) and, at each subscription, runs a
 * regular expression over its source's name for an error message nobody reads: together about a fifth of the
 * client's CPU in a one-phase commit (measured with JFR). Adding to and cancelling from the wheel are queue operations.
 */
public final class Deadlines {

    /** Resolution of the time limits: a limit fires between its time and one tick later. */
    public static final long TICK_MILLIS = 5;

    private final HashedWheelTimer wheel;

    /** Starts the wheel's thread; {@link #stop()} ends it. */
    public Deadlines() {
        ThreadFactory threads = task -> {
            Thread t = new Thread(task, "redtx-deadlines");
            t.setDaemon(true);
            return t;
        };
        this.wheel = new HashedWheelTimer(threads, TICK_MILLIS, TimeUnit.MILLISECONDS, 512);
        // Start here, on the caller's thread: the first newTimeout() would otherwise wait for the worker to start,
        // and it is called from event loops.
        wheel.start();
    }

    /** @return the wheel, for Lettuce's client resources (which then leave stopping it to {@link #stop()}) */
    public Timer timer() {
        return wheel;
    }

    /**
     * Fails {@code reply} with a {@link TimeoutException} unless it completes within {@code timeout}. For a Lettuce
     * command this is what Lettuce's own command timeout does: the command stays on its connection, and its late
     * reply is read and dropped.
     *
     * @param <T> the reply's type
     * @param reply the command's reply
     * @param timeout its time limit
     * @return {@code reply}
     */
    public <T> CompletableFuture<T> bound(CompletableFuture<T> reply, Duration timeout) {
        if (!reply.isDone()) {
            Timeout t = wheel.newTimeout(
                    expired -> onReactorThread(() -> reply.completeExceptionally(
                            new TimeoutException("no reply within " + Durations.text(timeout)))),
                    timeout.toNanos(),
                    TimeUnit.NANOSECONDS);
            reply.whenComplete((value, error) -> t.cancel());
        }
        return reply;
    }

    /**
     * Like {@code Mono.delay(delay)} on this wheel: emits 0 once {@code delay} has passed; cancelling removes it from
     * the wheel.
     *
     * @param delay how long
     * @return 0 after {@code delay}
     */
    public Mono<Long> delay(Duration delay) {
        return new Delay(wheel, delay.toNanos());
    }

    /** Stops the wheel; pending limits never fire. Blocks briefly (joins the worker): not on an event loop. */
    public void stop() {
        wheel.stop();
    }

    /**
     * Runs what a firing entry signals on Reactor's parallel scheduler, as Reactor's own timers do: what follows a
     * timeout (a rollback, a retry, the user's code) must neither hold up the wheel's single thread nor escape
     * BlockHound, which watches the parallel threads.
     */
    private static void onReactorThread(Runnable signal) {
        try {
            Schedulers.parallel().schedule(signal);
        } catch (RejectedExecutionException shutDown) {
            signal.run();
        }
    }

    private static final class Delay extends Mono<Long> {
        private final Timer wheel;
        private final long nanos;

        Delay(Timer wheel, long nanos) {
            this.wheel = wheel;
            this.nanos = nanos;
        }

        @Override
        public void subscribe(CoreSubscriber<? super Long> actual) {
            Tick tick = new Tick(actual);
            actual.onSubscribe(tick);
            Timeout t;
            try {
                t = wheel.newTimeout(tick, nanos, TimeUnit.NANOSECONDS);
            } catch (RuntimeException stopped) { // the runtime closed meanwhile
                tick.fail(stopped);
                return;
            }
            tick.armed(t);
        }
    }

    /** The subscription of one {@link Delay}: emits once both requested and fired, never after a cancel. */
    private static final class Tick extends AtomicInteger implements Subscription, TimerTask {
        private static final int REQUESTED = 1;
        private static final int FIRED = 2;
        private static final int DONE = 4;

        private final CoreSubscriber<? super Long> actual;
        private volatile Timeout timeout;

        Tick(CoreSubscriber<? super Long> actual) {
            this.actual = actual;
        }

        void armed(Timeout t) {
            timeout = t;
            if ((get() & DONE) != 0) {
                t.cancel(); // cancelled before the wheel took it
            }
        }

        @Override
        public void request(long n) {
            if (Operators.validate(n)) {
                add(REQUESTED, FIRED);
            }
        }

        @Override
        public void run(Timeout t) {
            onReactorThread(() -> add(FIRED, REQUESTED));
        }

        /** Sets {@code flag}; emits if {@code other} was already set, unless done. */
        private void add(int flag, int other) {
            for (; ; ) {
                int s = get();
                if ((s & (flag | DONE)) != 0) {
                    return;
                }
                boolean emit = (s & other) != 0;
                if (compareAndSet(s, emit ? s | flag | DONE : s | flag)) {
                    if (emit) {
                        actual.onNext(0L);
                        actual.onComplete();
                    }
                    return;
                }
            }
        }

        void fail(Throwable e) {
            if ((getAndUpdate(s -> s | DONE) & DONE) == 0) {
                actual.onError(e);
            }
        }

        @Override
        public void cancel() {
            if ((getAndUpdate(s -> s | DONE) & DONE) == 0) {
                Timeout t = timeout;
                if (t != null) {
                    t.cancel();
                }
            }
        }
    }
}
