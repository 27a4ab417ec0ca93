package io.redtx.samples.load;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The clock of one load run and its three windows: warm-up (the load runs, its figures are kept apart), measured, and
 * drain (the operations in flight at the end finish, not counted in the measured window). The load records into
 * {@link #current()}; the main thread moves the windows on: {@link #start}, {@link #awaitWarmup}, {@link #startMeasured},
 * {@link #awaitEnd}, {@link #endMeasured}, {@link #awaitDrain}. Also keeps the latencies of the last second for the progress
 * line ({@link #moved}).
 *
 * @param <W> a program's figures of one window, fed from Reactor and Netty threads without locks
 */
public final class Phases<W> {

    /** How long a worker waits after a failed operation, like any client, rather than spin on a failing server. */
    public static final Duration BACKOFF_AFTER_FAILURE = Duration.ofMillis(50);

    private final W warmup;
    private final W measured;
    private final W drain;
    private final AtomicReference<W> current;
    /** Until the clock starts the load has no end. */
    private final AtomicLong deadline = new AtomicLong(Long.MAX_VALUE);

    private final Recorder lastSecond = Latency.recorder();
    private Histogram interval;
    private int warmupSeconds;
    private int durationSeconds;
    private long start;
    private long warmupEnd;
    private long end;
    private volatile long measuredStart;
    private volatile long measuredEnd;

    /** @param window makes the figures of each window */
    public Phases(Supplier<W> window) {
        this.warmup = Objects.requireNonNull(window.get(), "window");
        this.measured = window.get();
        this.drain = window.get();
        this.current = new AtomicReference<>(warmup);
    }

    /** @return the window the load records into now */
    public W current() {
        return current.get();
    }

    /** @return the figures of the warm-up */
    public W warmup() {
        return warmup;
    }

    /** @return the figures of the measured window */
    public W measured() {
        return measured;
    }

    /** @return the figures of the drain */
    public W drain() {
        return drain;
    }

    /** @return whether the load should go on: until the end of the measured window, endless before {@link #start} */
    public boolean running() {
        return System.nanoTime() < deadline.get();
    }

    /** @return an endless stream of ticks, one per request, that completes once the measured window is over */
    public Flux<Integer> ticks() {
        return Flux.<Integer>generate(sink -> sink.next(0)).takeWhile(tick -> running());
    }

    /** @return a pause of {@link #BACKOFF_AFTER_FAILURE}, for a worker after a failure */
    public static Mono<Void> backoff() {
        return Mono.delay(BACKOFF_AFTER_FAILURE).then();
    }

    /** @param nanos the latency of an operation that moved money, for the progress line's last second */
    public void moved(long nanos) {
        lastSecond.recordValue(Latency.micros(nanos));
    }

    /**
     * Starts the clock: the warm-up from now, then the measured window; the load stops at its end. Called once the
     * load is subscribed: the first operations run on the subscribing thread, which takes a while in a fresh JVM (class
     * loading, connections, the first scripts), so that the windows get their full length.
     *
     * @param warmupSeconds length of the warm-up
     * @param durationSeconds length of the measured window
     */
    public void start(int warmupSeconds, int durationSeconds) {
        this.warmupSeconds = warmupSeconds;
        this.durationSeconds = durationSeconds;
        this.start = System.nanoTime();
        this.warmupEnd = start + TimeUnit.SECONDS.toNanos(warmupSeconds);
        this.end = warmupEnd + TimeUnit.SECONDS.toNanos(durationSeconds);
        deadline.set(end);
    }

    /**
     * Blocks until the end of the warm-up (or the load is done), rewriting the progress line.
     *
     * @param line the progress line
     * @param load the load, which may end early (a failure)
     * @param progress the line's text
     * @throws InterruptedException if interrupted while waiting
     */
    public void awaitWarmup(ProgressLine line, CompletableFuture<?> load, Progress progress)
            throws InterruptedException {
        line.watch(warmupEnd, load, progress);
    }

    /** Opens the measured window: from now on the load records into {@link #measured()}. */
    public void startMeasured() {
        measuredStart = System.nanoTime();
        current.set(measured);
    }

    /**
     * Blocks until the end of the measured window (or the load is done), rewriting the progress line.
     *
     * @param line the progress line
     * @param load the load, which may end early (a failure)
     * @param progress the line's text
     * @throws InterruptedException if interrupted while waiting
     */
    public void awaitEnd(ProgressLine line, CompletableFuture<?> load, Progress progress) throws InterruptedException {
        line.watch(end, load, progress);
    }

    /** Closes the measured window: from now on the load records into {@link #drain()}. */
    public void endMeasured() {
        measuredEnd = System.nanoTime();
        current.set(drain);
    }

    /**
     * Waits for the operations in flight to finish, then blanks the progress line.
     *
     * @param line the progress line
     * @param load the load, which completes once its last operation is done
     * @param limit how long the drain may take; past it the load is cancelled
     * @param label names the run in the exception's message
     * @throws IllegalStateException if the drain took longer than {@code limit} or the load failed
     * @throws InterruptedException if interrupted while waiting
     */
    public void awaitDrain(ProgressLine line, CompletableFuture<?> load, Duration limit, String label)
            throws InterruptedException {
        try {
            load.get(limit.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            load.cancel(true);
            throw new IllegalStateException(label + ": operations in flight did not finish within " + limit, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(label + ": the load pipeline failed", e.getCause());
        } finally {
            line.clear();
        }
    }

    /** @return the length of the measured window in seconds, from {@link #startMeasured()} to {@link #endMeasured()} */
    public double measuredSeconds() {
        return Format.seconds(measuredEnd - measuredStart);
    }

    /** The phase part of the progress line: "warm-up 3/10 s" or "12/20 s, 8 s left". */
    String phase(long now) {
        return now < warmupEnd
                ? Format.f("warm-up %d/%d s", secondsOf(now - start), warmupSeconds)
                : Format.f(
                        "%d/%d s, %d s left",
                        secondsOf(now - warmupEnd),
                        durationSeconds,
                        Math.max(0, secondsOf(end - now + TimeUnit.MILLISECONDS.toNanos(999))));
    }

    /** @return the latencies recorded by {@link #moved} since the last call (one thread only: the main one) */
    Histogram lastSecond() {
        interval = interval == null ? lastSecond.getIntervalHistogram() : lastSecond.getIntervalHistogram(interval);
        return interval;
    }

    /** @return when the clock started ({@link System#nanoTime()}) */
    public long startedAt() {
        return start;
    }

    /** @return when the measured window ends ({@link System#nanoTime()}) */
    public long endsAt() {
        return end;
    }

    private static long secondsOf(long nanos) {
        return TimeUnit.NANOSECONDS.toSeconds(nanos);
    }
}
