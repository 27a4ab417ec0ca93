package io.redtx.benchmarks;

import io.redtx.runtime.internal.Deadlines;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import reactor.core.publisher.Mono;

/**
 * What the client pays to put a time limit on one Redis command, from subscription to its reply: the per-command
 * part of every read, prepare and commit. The reply is a future completed by the benchmark (no I/O), as Lettuce's
 * async API hands it over. Compares Reactor's {@code timeout(Duration)} with {@link Deadlines#bound} (the runtime's
 * time limit per command), against no limit at all.
 *
 * <p>Run: {@code java -cp benchmarks/target/redtx-benchmarks.jar org.openjdk.jmh.Main TimeLimit}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(2)
public class TimeLimitBenchmark {

    private static final Duration LIMIT = Duration.ofSeconds(5);

    private Deadlines deadlines;

    @Setup
    public void start() {
        deadlines = new Deadlines();
    }

    @TearDown
    public void stop() {
        deadlines.stop();
    }

    /** The baseline: the command's reply, with the error mapping every command has, and no limit. */
    @Benchmark
    public void noLimit(Blackhole bh) {
        CompletableFuture<Object> reply = new CompletableFuture<>();
        reply(reply).subscribe(bh::consume);
        reply.complete("OK");
    }

    /** Before: a scheduled task on Reactor's parallel scheduler, and the operator name for the error message. */
    @Benchmark
    public void reactorTimeout(Blackhole bh) {
        CompletableFuture<Object> reply = new CompletableFuture<>();
        reply(reply).timeout(LIMIT).subscribe(bh::consume);
        reply.complete("OK");
    }

    /** Now: an entry on the runtime's hashed wheel, removed when the reply arrives. */
    @Benchmark
    public void wheelBound(Blackhole bh) {
        CompletableFuture<Object> reply = deadlines.bound(new CompletableFuture<>(), LIMIT);
        reply(reply).subscribe(bh::consume);
        reply.complete("OK");
    }

    private static Mono<Object> reply(CompletableFuture<Object> reply) {
        return Mono.fromFuture(reply, true).onErrorResume(IllegalStateException.class, e -> Mono.empty());
    }
}
