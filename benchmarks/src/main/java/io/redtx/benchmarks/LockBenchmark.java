package io.redtx.benchmarks;

import io.redtx.api.lock.LockOptions;
import io.redtx.samples.load.Counts;
import io.redtx.samples.load.DroppedErrors;
import io.redtx.samples.load.EmbeddedServers;
import io.redtx.samples.load.Latency;
import io.redtx.samples.load.Phases;
import io.redtx.samples.load.Progress;
import io.redtx.samples.load.ProgressLine;
import io.redtx.test.redis.Persistence;
import io.redtx.test.redis.RedisServer;
import java.io.PrintStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;
import org.HdrHistogram.Recorder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The lock benchmark: redtx's distributed lock next to Redisson's, on one embedded {@code redis-server} (in memory,
 * a free loopback port) that it starts and stops itself. Each workload ({@link LockWorkload}) runs on a client of its
 * own, one after the other, the server emptied in between, in two phases:
 *
 * <ul>
 *   <li>{@code latency}: one worker acquiring and releasing one lock name in a loop (uncontended): percentiles of the
 *       acquisition, of the release and of the pair, and pairs per second;
 *   <li>{@code throughput}: {@code --concurrency} workers, each acquiring and releasing a random one of
 *       {@code --locks} names in a loop (with the default 1000 names mostly uncontended; {@code --locks 1} is the
 *       contended variant): pairs per second and their percentiles.
 * </ul>
 *
 * <p>Every phase has a warm-up, a measured window and a drain (the pairs in flight finish), as the load program's
 * workloads; {@code INFO commandstats} deltas divided by the pairs finished give the commands per pair. The guarded
 * workload's counters must add up to its committed transactions (PASS/FAIL). With {@code --json} the last line of
 * stdout is one JSON object. Exit status: 0 when every workload completed pairs in every phase and the guarded check
 * passed, 1 otherwise or when the run failed, 2 on bad options.
 */
@Command(
        name = "redtx-lock-benchmark",
        mixinStandardHelpOptions = true,
        version = "redtx-lock-benchmark 0.1.0-SNAPSHOT",
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "redtx's distributed lock next to Redisson's RLock, on one embedded redis-server (in memory) that this"
                    + " program starts on a free loopback port:",
            "  redtx-lock           redtx DistributedLock: acquire(), then lease.release()",
            "  redtx-lock-guarded   the same plus, per hold, a transaction: requireLock(lease), then incrBy",
            "  redisson-rlock       Redisson RLockReactive: lock(leaseTime, unit, threadId), then unlock(threadId)",
            "  redisson-fencedlock  Redisson RFencedLock (a token per grant): tryLockAndGetToken, then unlock",
            "Each in two phases: latency (1 worker, 1 lock name) and throughput (--concurrency workers over --locks"
                    + " names).",
            ""
        },
        footer = {
            "",
            "Exit status: 0 every workload completed pairs and the guarded counters added up; 1 not, or the run failed;"
                    + " 2 bad options."
        })
public final class LockBenchmark implements Callable<Integer> {

    /** How long the pairs in flight at the end of a window may take to finish. */
    static final Duration DRAIN_LIMIT = Duration.ofSeconds(60);

    /** The two phases, in the order they run. */
    static final List<String> PHASES = List.of("latency", "throughput");

    @Spec
    CommandSpec spec;

    @Option(
            names = "--duration",
            paramLabel = "SECONDS",
            defaultValue = "15",
            description = "measured seconds per phase of each workload, after its warm-up. Default: ${DEFAULT-VALUE}")
    int durationSeconds;

    @Option(
            names = "--warmup",
            paramLabel = "SECONDS",
            defaultValue = "5",
            description = "warm-up seconds per phase (load runs, figures not kept). Default: ${DEFAULT-VALUE}")
    int warmupSeconds;

    @Option(
            names = "--concurrency",
            paramLabel = "N",
            defaultValue = "64",
            description = "workers of the throughput phase, each holding at most one lock. Default: ${DEFAULT-VALUE}")
    int concurrency;

    @Option(
            names = "--locks",
            paramLabel = "N",
            defaultValue = "1000",
            description = "lock names of the throughput phase (1: every worker contends for one). Default:"
                    + " ${DEFAULT-VALUE}")
    int locks;

    @Option(
            names = "--workloads",
            paramLabel = "NAME",
            split = ",",
            defaultValue = "redtx-lock,redtx-lock-guarded,redisson-rlock,redisson-fencedlock",
            description = "workloads to run, comma-separated; they always run in the order above. Default: all four")
    List<String> workloadNames;

    @Option(
            names = "--phases",
            paramLabel = "PHASE",
            split = ",",
            defaultValue = "latency,throughput",
            description = "phases to run per workload: latency, throughput. Default: both")
    List<String> phaseNames;

    @Option(
            names = "--lease-ms",
            paramLabel = "MS",
            defaultValue = "30000",
            description = "lease of every grant, redtx and Redisson alike. Default: ${DEFAULT-VALUE}")
    long leaseMillis;

    @Option(
            names = "--wait-ms",
            paramLabel = "MS",
            defaultValue = "10000",
            description = "longest wait of a redtx acquisition and of a Redisson fenced lock's (RLock.lock waits"
                    + " without limit). Default: ${DEFAULT-VALUE}")
    long waitMillis;

    @Option(
            names = "--redisson-watchdog",
            description = "Redisson locks without a lease time: its watchdog renews them (as redtx renews every"
                    + " lease), instead of a fixed lease of --lease-ms")
    boolean redissonWatchdog;

    @Option(names = "--json", description = "end stdout with one line: the results as one JSON object")
    boolean json;

    private final PrintStream out;
    private final PrintStream err;
    private final ProgressLine progressLine;

    /** A command that prints to {@code System.out} and its progress line to {@code System.err}. */
    public LockBenchmark() {
        this(System.out, System.err);
    }

    /**
     * @param out the report, the table and the JSON line
     * @param err the progress line and error messages
     */
    LockBenchmark(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
        this.progressLine = new ProgressLine(err);
    }

    /**
     * Runs the program and exits with its status ({@link #call()}).
     *
     * @param args the options; {@code --help} lists them
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new LockBenchmark()).execute(args));
    }

    /**
     * Starts the server, runs the chosen workloads one after the other, prints their reports, the table and (with
     * {@code --json}) the JSON line, and stops the server. Blocks the calling thread, which must not be a Reactor
     * thread.
     *
     * @return 0 if every workload completed pairs in every phase and the guarded counters added up, else 1
     * @throws ParameterException on bad options (exit status 2)
     * @throws Exception if the server cannot start or a workload cannot run to its end
     */
    @Override
    public Integer call() throws Exception {
        Set<LockWorkload> chosen = validate();
        boolean latency = phaseNames.stream().anyMatch(p -> p.trim().equals("latency"));
        boolean throughput = phaseNames.stream().anyMatch(p -> p.trim().equals("throughput"));
        LockReport report = new LockReport(out, concurrency, locks, durationSeconds, warmupSeconds);
        try (DroppedErrors droppedErrors = DroppedErrors.count();
                EmbeddedServers started = EmbeddedServers.start(1, Persistence.IN_MEMORY)) {
            RedisServer server = started.get(0);
            out.printf(
                    Locale.ROOT,
                    "redtx-lock-benchmark: 1 embedded redis-server %s (in memory) on port %d; phases %s; latency: 1"
                            + " worker, 1 lock; throughput: %d workers over %d lock%s; warm-up %d s, measured %d s"
                            + " per phase; lease %d ms; workloads %s%n",
                    server.version(),
                    server.port(),
                    String.join(", ", phaseNames),
                    concurrency,
                    locks,
                    locks == 1 ? " (contended)" : "s",
                    warmupSeconds,
                    durationSeconds,
                    leaseMillis,
                    chosen.stream().map(LockWorkload::id).collect(Collectors.joining(", ")));
            LockWorkload.Settings settings = new LockWorkload.Settings(
                    server,
                    locks,
                    concurrency,
                    Duration.ofMillis(leaseMillis),
                    Duration.ofMillis(waitMillis),
                    redissonWatchdog);
            Map<LockWorkload, LockReport.Result> results = new LinkedHashMap<>();
            for (LockWorkload w : chosen) {
                server.flushAll();
                long droppedBefore = droppedErrors.sum();
                LockReport.Phase lat = null;
                LockReport.Phase tput = null;
                long commits;
                long counters;
                String configuration;
                try (LockWorkload.Engine engine = w.open(settings)) {
                    configuration = engine.configuration();
                    if (latency) {
                        lat = run(w, engine, server, "latency", 1, 1);
                    }
                    if (throughput) {
                        tput = run(w, engine, server, "throughput", concurrency, locks);
                    }
                    commits = engine.guardedCommits();
                    engine.close(); // the guarded transactions still running in the background end here
                    counters = engine.guardedCounterTotal();
                }
                LockReport.Result r = new LockReport.Result(
                        w, configuration, lat, tput, commits, counters, droppedErrors.sum() - droppedBefore);
                results.put(w, r);
                report.print(r);
            }
            report.table(results);
            boolean ok = results.values().stream().allMatch(LockReport.Result::passed);
            out.println("RESULT: " + (ok ? "PASS" : "FAIL")
                    + " (every workload completed pairs; the guarded counters equal the guarded commits)");
            if (json) {
                out.println(report.json(results));
            }
            out.flush();
            return ok ? 0 : 1;
        } finally {
            progressLine.clear();
        }
    }

    private Set<LockWorkload> validate() {
        check(durationSeconds >= 1, "--duration must be at least 1 (seconds), was " + durationSeconds);
        check(warmupSeconds >= 0, "--warmup must be >= 0 (seconds), was " + warmupSeconds);
        check(concurrency >= 1, "--concurrency must be >= 1, was " + concurrency);
        check(locks >= 1, "--locks must be >= 1, was " + locks);
        check(
                leaseMillis >= LockOptions.MIN_LEASE.toMillis(),
                "--lease-ms must be at least " + LockOptions.MIN_LEASE.toMillis() + ", was " + leaseMillis);
        check(waitMillis >= 0, "--wait-ms must be >= 0, was " + waitMillis);
        for (String p : phaseNames) {
            check(PHASES.contains(p.trim()), "--phases: unknown phase '" + p.trim() + "'; known: latency, throughput");
        }
        Set<String> names = new LinkedHashSet<>();
        for (String name : workloadNames) {
            String n = name.trim();
            check(
                    LockWorkload.byId(n).isPresent(),
                    "--workloads: unknown workload '" + n
                            + "'; known: redtx-lock, redtx-lock-guarded, redisson-rlock, redisson-fencedlock");
            names.add(n);
        }
        check(!names.isEmpty(), "--workloads must name at least one workload");
        Set<LockWorkload> chosen = new LinkedHashSet<>();
        for (LockWorkload w : LockWorkload.values()) {
            if (names.contains(w.id())) {
                chosen.add(w);
            }
        }
        return chosen;
    }

    private void check(boolean ok, String message) {
        if (!ok) {
            throw new ParameterException(spec.commandLine(), message);
        }
    }

    /** One phase of one workload: warm-up, measured window, drain; blocks the calling thread. */
    private LockReport.Phase run(
            LockWorkload w, LockWorkload.Engine engine, RedisServer server, String phase, int workers, int names)
            throws Exception {
        Phases<Window> phases = new Phases<>(Window::new);
        List<RedisServer> servers = List.of(server);
        CompletableFuture<Void> load = Flux.range(0, workers)
                .flatMap(worker -> pair(engine, worker, names, phases).repeat(phases::running), workers)
                .then()
                .toFuture();
        phases.start(warmupSeconds, durationSeconds);
        Progress progress = new Progress(phases, w.id() + " " + phase, null, "pairs");
        phases.awaitWarmup(progressLine, load, progress);
        CommandStats before = CommandStats.take(servers);
        phases.startMeasured();
        phases.awaitEnd(progressLine, load, progress);
        phases.endMeasured();
        phases.awaitDrain(progressLine, load, DRAIN_LIMIT, w.id() + " " + phase);
        CommandStats after = CommandStats.take(servers);
        Window m = phases.measured();
        return new LockReport.Phase(
                phase,
                workers,
                names,
                phases.measuredSeconds(),
                m.pairs.sum(),
                m.failures.snapshot(),
                m.failures.first(),
                m.acquire.getIntervalHistogram(),
                m.release.getIntervalHistogram(),
                m.pair.getIntervalHistogram(),
                m.finished() + phases.drain().finished(),
                after.since(before));
    }

    /**
     * One acquisition and its release, timed: the acquisition from subscription to the grant, the release from its
     * subscription to its completion, the pair from the first to the last (the guarded transaction included). A failure
     * is counted and followed by a pause; a hold whose work failed is still released.
     */
    private static Mono<Void> pair(LockWorkload.Engine engine, int worker, int names, Phases<Window> phases) {
        return Mono.defer(() -> {
                    int lock = names == 1 ? 0 : ThreadLocalRandom.current().nextInt(names);
                    long start = System.nanoTime();
                    return engine.acquire(worker, lock).flatMap(held -> {
                        long granted = System.nanoTime();
                        return held.work()
                                .onErrorResume(e -> held.release()
                                        .onErrorResume(ignored -> Mono.empty())
                                        .then(Mono.error(e)))
                                .then(Mono.defer(() -> {
                                    long releasing = System.nanoTime();
                                    return held.release().doOnSuccess(v -> {
                                        long end = System.nanoTime();
                                        phases.current().done(granted - start, end - releasing, end - start);
                                        phases.moved(end - start);
                                    });
                                }));
                    });
                })
                .onErrorResume(e -> {
                    phases.current().failures.add(e);
                    return Phases.backoff();
                });
    }

    /** The figures of one window of a phase, fed from Reactor and Netty threads with wait-free structures only. */
    static final class Window {
        final LongAdder pairs = new LongAdder();
        final Counts failures = new Counts();
        final Recorder acquire = Latency.recorder();
        final Recorder release = Latency.recorder();
        final Recorder pair = Latency.recorder();

        void done(long acquireNanos, long releaseNanos, long pairNanos) {
            pairs.increment();
            acquire.recordValue(Latency.micros(acquireNanos));
            release.recordValue(Latency.micros(releaseNanos));
            pair.recordValue(Latency.micros(pairNanos));
        }

        long finished() {
            return pairs.sum() + failures.total();
        }
    }
}
