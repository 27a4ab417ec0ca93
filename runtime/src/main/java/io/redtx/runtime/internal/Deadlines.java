package io.redtx.runtime.internal;

import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import io.netty.util.Timer;
import io.netty.util.TimerTask;
import io.redtx.api.Durations;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.Exceptions;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.core.scheduler.Scheduler;
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

    private final Timer timer;
    /** Where what a firing entry signals runs. */
    private final Scheduler signals;
    /** The wheel this owns and stops, or null when on a scheduler given by the caller. */
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
        this.timer = wheel;
        this.signals = Schedulers.parallel();
    }

    /**
     * Keeps every limit and delay on {@code scheduler} instead of a wheel, and signals on it too: a
     * {@code VirtualTimeScheduler} then decides when each fires (tests). {@link #stop()} leaves the scheduler as it is.
     *
     * @param scheduler the timer
     */
    public Deadlines(Scheduler scheduler) {
        this.wheel = null;
        this.timer = new SchedulerTimer(scheduler);
        this.signals = scheduler;
    }

    /** @return the timer, for Lettuce's client resources (which then leave stopping it to {@link #stop()}) */
    public Timer timer() {
        return timer;
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
            Timeout t = timer.newTimeout(
                    expired -> signal(() -> reply.completeExceptionally(
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
        return new Delay(this, delay.toNanos());
    }

    /** Stops the wheel; pending limits never fire. Blocks briefly (joins the worker): not on an event loop. */
    public void stop() {
        if (wheel != null) {
            wheel.stop();
        }
    }

    /**
     * Runs what a firing entry signals on Reactor's parallel scheduler, as Reactor's own timers do: what follows a
     * timeout (a rollback, a retry, the user's code) must neither hold up the wheel's single thread nor escape
     * BlockHound, which watches the parallel threads.
     */
    private void signal(Runnable signal) {
        try {
            signals.schedule(signal);
        } catch (RejectedExecutionException shutDown) {
            signal.run();
        }
    }

    private static final class Delay extends Mono<Long> {
        private final Deadlines deadlines;
        private final long nanos;

        Delay(Deadlines deadlines, long nanos) {
            this.deadlines = deadlines;
            this.nanos = nanos;
        }

        @Override
        public void subscribe(CoreSubscriber<? super Long> actual) {
            Tick tick = new Tick(actual, deadlines);
            actual.onSubscribe(tick);
            Timeout t;
            try {
                t = deadlines.timer.newTimeout(tick, nanos, TimeUnit.NANOSECONDS);
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
        private final Deadlines deadlines;
        private volatile Timeout timeout;

        Tick(CoreSubscriber<? super Long> actual, Deadlines deadlines) {
            this.actual = actual;
            this.deadlines = deadlines;
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
            deadlines.signal(() -> add(FIRED, REQUESTED));
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

    /** Netty's {@link Timer} on a Reactor {@link Scheduler}: one scheduled task per entry. */
    private static final class SchedulerTimer implements Timer {
        private final Scheduler scheduler;

        SchedulerTimer(Scheduler scheduler) {
            this.scheduler = scheduler;
        }

        @Override
        public Timeout newTimeout(TimerTask task, long delay, TimeUnit unit) {
            Entry entry = new Entry(this, task);
            entry.armed(scheduler.schedule(entry, delay, unit));
            return entry;
        }

        @Override
        public Set<Timeout> stop() {
            return Set.of();
        }
    }

    /** One entry of a {@link SchedulerTimer}: runs its task once, unless cancelled first. */
    private static final class Entry extends AtomicInteger implements Timeout, Runnable {
        private static final int PENDING = 0;
        private static final int EXPIRED = 1;
        private static final int CANCELLED = 2;

        private final Timer timer;
        private final TimerTask task;
        private volatile Disposable scheduled;

        Entry(Timer timer, TimerTask task) {
            this.timer = timer;
            this.task = task;
        }

        void armed(Disposable d) {
            scheduled = d;
            if (get() == CANCELLED) {
                d.dispose(); // cancelled before the scheduler took it
            }
        }

        @Override
        public void run() {
            if (compareAndSet(PENDING, EXPIRED)) {
                try {
                    task.run(this);
                } catch (Exception e) {
                    throw Exceptions.propagate(e);
                }
            }
        }

        @Override
        public Timer timer() {
            return timer;
        }

        @Override
        public TimerTask task() {
            return task;
        }

        @Override
        public boolean isExpired() {
            return get() == EXPIRED;
        }

        @Override
        public boolean isCancelled() {
            return get() == CANCELLED;
        }

        @Override
        public boolean cancel() {
            if (!compareAndSet(PENDING, CANCELLED)) {
                return false;
            }
            Disposable d = scheduled;
            if (d != null) {
                d.dispose();
            }
            return true;
        }
    }
}
