package io.redtx.benchmarks;

import io.redtx.api.CommitProtocol;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionRuntime;
import io.redtx.runtime.RedisTransactionRuntime;
import io.redtx.samples.bank.Bank;
import io.redtx.test.redis.IntentCount;
import io.redtx.test.redis.Persistence;
import io.redtx.test.redis.RedisCluster;
import io.redtx.test.redis.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;

/**
 * Bank two-phase-commit throughput on a 3-master Redis Cluster against 3 standalone servers, same machine, same run.
 *
 * <ul>
 *   <li>{@code standalone}: participants {@code s0 .. s2}, one per server; every transfer crosses two of them
 *       ({@link Bank#transfer(Random, boolean) crossParticipant}), so it commits in two phases across servers.
 *   <li>{@code cluster}: one participant {@code c}, the cluster; its shards are hash slots, so a transfer between two
 *       accounts in different slots commits in two phases inside it. That is every transfer: no two accounts of one
 *       group share a slot.
 * </ul>
 *
 * <p>Starts 3 standalone {@code redis-server}s and a 3-master cluster, all with {@code --persistence}, then runs the
 * setups alternately, {@code --rounds} times each (standalone, cluster, standalone, cluster, ...: the machine's drift
 * falls on both). Each round: {@code FLUSHALL}, a fresh runtime (default options, {@code maxInFlight} at least
 * {@code --concurrency}), seeding, a warm-up, the measured window with {@code --concurrency} workers each running one
 * transfer after the other, the bank invariant, a graceful close and the intents left. Prints per round tx/s (money
 * moved), p50/p99/p999, the commits that were {@link CommitProtocol#TWO_PHASE} and the failures; then the means per
 * setup and the ratio cluster / standalone.
 *
 * <pre>
 * java -cp benchmarks/target/redtx-benchmarks.jar io.redtx.benchmarks.ClusterBenchmark --duration 20 --warmup 10
 * </pre>
 *
 * Exit status 0; 1 if an invariant failed or intents were left (or the run failed); 2 on bad options.
 */
@Command(
        name = "cluster-benchmark",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = "Bank 2PC throughput: a 3-master Redis Cluster participant vs 3 standalone participants.")
public final class ClusterBenchmark implements Callable<Integer> {

    static final String NS = RuntimeOptions.DEFAULT_NAMESPACE;
    static final long MAX_LATENCY_MICROS = TimeUnit.MINUTES.toMicros(2);
    static final Duration BACKOFF_AFTER_FAILURE = Duration.ofMillis(50);
    /** Bound on each blocking step: seeding, the drain of the transfers in flight, the invariant check, the close. */
    static final Duration LIMIT = Duration.ofSeconds(120);

    @Spec
    CommandSpec spec;

    @Option(names = "--duration", defaultValue = "20", description = "measured seconds per round (${DEFAULT-VALUE})")
    int durationSeconds;

    @Option(names = "--warmup", defaultValue = "10", description = "warm-up seconds per round (${DEFAULT-VALUE})")
    int warmupSeconds;

    @Option(names = "--rounds", defaultValue = "2", description = "rounds of each setup, alternated (${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--concurrency", defaultValue = "64", description = "transfers in flight (${DEFAULT-VALUE})")
    int concurrency;

    @Option(names = "--accounts", defaultValue = "3000", description = "accounts, a multiple of 100 (${DEFAULT-VALUE})")
    int accounts;

    @Option(names = "--persistence", defaultValue = "IN_MEMORY", description = "${COMPLETION-CANDIDATES}")
    Persistence persistence;

    @Option(names = "--seed", description = "seed of the random transfers (each round starts from it)")
    Long seed;

    private final List<RedisServer> standalone = new ArrayList<>();
    private RedisCluster cluster;

    /** Where the bank's accounts live. */
    enum Setup {
        STANDALONE,
        CLUSTER
    }

    /** What one round measured: the measured window and its latencies (microseconds, transfers that moved money). */
    record Round(Setup setup, double seconds, Window w, Histogram latency, boolean invariant, IntentCount intents) {
        double txPerSec() {
            return w.moved.sum() / seconds;
        }

        double ms(double percentile) {
            return latency.getValueAtPercentile(percentile) / 1000.0;
        }

        boolean passed() {
            return invariant && intents.none();
        }
    }

    /** Counters of one phase (warm-up, measured, drain), fed from Reactor/Netty threads without locks. */
    static final class Window {
        final LongAdder moved = new LongAdder();
        final LongAdder twoPhase = new LongAdder();
        final LongAdder insufficient = new LongAdder();
        final Map<String, LongAdder> failures = new ConcurrentSkipListMap<>();
        final Recorder latency = new Recorder(MAX_LATENCY_MICROS, 3);

        void done(Bank.Transfer t, long nanos) {
            if (t.status() == Bank.Status.INSUFFICIENT_FUNDS) {
                insufficient.increment();
                return;
            }
            moved.increment();
            latency.recordValue(Math.min(MAX_LATENCY_MICROS, Math.max(1, nanos / 1000)));
            if (t.commit().protocol() == CommitProtocol.TWO_PHASE) {
                twoPhase.increment();
            }
        }

        void failed(Throwable e) {
            failures.computeIfAbsent(e.getClass().getSimpleName(), k -> new LongAdder())
                    .increment();
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ClusterBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (durationSeconds < 1
                || warmupSeconds < 0
                || rounds < 1
                || concurrency < 1
                || accounts < 100
                || accounts % 100 != 0) {
            throw new ParameterException(
                    spec.commandLine(),
                    "need --duration >= 1, --warmup >= 0, --rounds >= 1,"
                            + " --concurrency >= 1 and --accounts a positive multiple of 100");
        }
        LongAdder dropped = new LongAdder();
        // A prepare leg may fail after its sibling's failure was signalled: counted instead of logged.
        Hooks.onErrorDropped(e -> dropped.increment());
        try {
            for (int i = 0; i < 3; i++) {
                standalone.add(RedisServer.start(persistence));
            }
            cluster = RedisCluster.start(3, persistence);
            String version = standalone.get(0).version();
            System.out.println(f(
                    "redis-server %s, %s; standalone ports %s; cluster masters %s",
                    version,
                    persistence,
                    join(standalone, s -> "" + s.port(), ", "),
                    join(cluster.masters(), s -> "" + s.port(), ", ")));
            System.out.println(f(
                    "%d accounts, concurrency %d, warm-up %d s + measured %d s per round, %d rounds",
                    accounts, concurrency, warmupSeconds, durationSeconds, rounds));
            System.out.println(
                    "round setup           tx/s   p50 ms   p99 ms  p999 ms     2PC / moved  invariant  failures");
            List<Round> results = new ArrayList<>();
            for (int r = 1; r <= rounds; r++) {
                for (Setup setup : Setup.values()) {
                    Round x = run(setup);
                    results.add(x);
                    String twoPhase = x.w().twoPhase.sum() + " / " + x.w().moved.sum();
                    String latency = f("%8.2f %8.2f %8.2f", x.ms(50), x.ms(99), x.ms(99.9));
                    String check = x.invariant() ? "holds" : "BROKEN";
                    String left = x.intents().none() ? "" : ", intents left " + x.intents();
                    System.out.println(f(
                            "%-5d %-10s %9.1f %s %15s  %-9s  %s insufficient=%d%s",
                            r,
                            name(setup),
                            x.txPerSec(),
                            latency,
                            twoPhase,
                            check,
                            x.w().failures,
                            x.w().insufficient.sum(),
                            left));
                }
            }
            summary(results, dropped.sum());
            return results.stream().allMatch(Round::passed) ? 0 : 1;
        } finally {
            Hooks.resetOnErrorDropped();
            if (cluster != null) {
                cluster.close();
            }
            standalone.forEach(RedisServer::close);
        }
    }

    /** One round of {@code setup}, from {@code FLUSHALL} to the intents left once its runtime closed. */
    private Round run(Setup setup) throws Exception {
        List<RedisServer> servers = setup == Setup.CLUSTER ? cluster.masters() : standalone;
        servers.forEach(RedisServer::flushAll);
        // Default options, except that only the workers may cap the load (a refused admission would be a failure).
        RuntimeOptions.Builder options =
                RuntimeOptions.builder().maxInFlight(Math.max(RuntimeOptions.DEFAULT_MAX_IN_FLIGHT, concurrency));
        List<String> participants = new ArrayList<>();
        if (setup == Setup.CLUSTER) {
            participants.add("c");
            options.participant("c", "redis-cluster://" + join(servers, s -> RedisServer.HOST + ":" + s.port(), ","));
        } else {
            for (int i = 0; i < servers.size(); i++) {
                participants.add("s" + i);
                options.participant("s" + i, servers.get(i).uri());
            }
        }
        TransactionRuntime runtime = RedisTransactionRuntime.create(options.build());
        Window measured = new Window();
        double seconds;
        Bank.Invariant invariant;
        try {
            Bank bank = new Bank(runtime, participants, accounts, Bank.DEFAULT_INITIAL_BALANCE);
            bank.seed().block(LIMIT);
            Random random = seed == null ? new Random() : new Random(seed);
            AtomicReference<Window> current = new AtomicReference<>(new Window());
            AtomicLong deadline = new AtomicLong(Long.MAX_VALUE);
            // crossParticipant: always across servers for standalone; no effect with the one cluster participant.
            Mono<Void> transfer = Mono.defer(() -> {
                long start = System.nanoTime();
                return bank.transfer(random, true)
                        .doOnNext(t -> current.get().done(t, System.nanoTime() - start))
                        .then()
                        .onErrorResume(e -> {
                            current.get().failed(e);
                            return Mono.delay(BACKOFF_AFTER_FAILURE).then();
                        });
            });
            CompletableFuture<Void> load = Flux.range(0, concurrency)
                    .flatMap(w -> transfer.repeat(() -> System.nanoTime() < deadline.get()), concurrency)
                    .then()
                    .toFuture();
            long warmupEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmupSeconds);
            long end = warmupEnd + TimeUnit.SECONDS.toNanos(durationSeconds);
            deadline.set(end);
            sleepUntil(warmupEnd);
            current.set(measured);
            long start = System.nanoTime();
            sleepUntil(end);
            current.set(new Window()); // the drain: transfers in flight at the end finish, not counted
            seconds = (System.nanoTime() - start) / 1e9;
            load.get(LIMIT.toSeconds(), TimeUnit.SECONDS);
            invariant = bank.checkInvariant().block(LIMIT);
        } finally {
            runtime.closeGracefully().block(LIMIT);
        }
        IntentCount left = setup == Setup.CLUSTER ? IntentCount.on(NS, cluster) : IntentCount.on(NS, servers);
        boolean holds = invariant != null && invariant.holds();
        return new Round(setup, seconds, measured, measured.latency.getIntervalHistogram(), holds, left);
    }

    private void summary(List<Round> results, long dropped) {
        System.out.println(f("== summary: mean over %d rounds per setup", rounds));
        System.out.println("setup           tx/s   p50 ms   p99 ms     2PC / moved  tx/s per round");
        double[] tx = new double[2];
        double[] p99 = new double[2];
        for (Setup setup : Setup.values()) {
            List<Round> mine = results.stream().filter(r -> r.setup() == setup).toList();
            tx[setup.ordinal()] = mean(mine, Round::txPerSec);
            p99[setup.ordinal()] = mean(mine, r -> r.ms(99));
            long twoPhase = mine.stream().mapToLong(r -> r.w().twoPhase.sum()).sum();
            long moved = mine.stream().mapToLong(r -> r.w().moved.sum()).sum();
            List<String> each = mine.stream().map(r -> f("%.1f", r.txPerSec())).toList();
            System.out.println(f(
                    "%-10s %9.1f %8.2f %8.2f %15s  %s",
                    name(setup),
                    tx[setup.ordinal()],
                    mean(mine, r -> r.ms(50)),
                    p99[setup.ordinal()],
                    twoPhase + " / " + moved,
                    each));
        }
        System.out.println(f("cluster / standalone: tx/s x%.2f, p99 x%.2f", tx[1] / tx[0], p99[1] / p99[0]));
        System.out.println(f(
                "invariant and intents: %s; errors dropped after a sibling failed: %d",
                results.stream().allMatch(Round::passed) ? "PASS every round" : "FAIL", dropped));
    }

    private static String name(Setup setup) {
        return setup.name().toLowerCase(Locale.ROOT);
    }

    private static double mean(List<Round> rounds, ToDoubleFunction<Round> value) {
        return rounds.stream().mapToDouble(value).average().orElse(Double.NaN);
    }

    private static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    private static String join(List<RedisServer> servers, Function<RedisServer, String> text, String separator) {
        return servers.stream().map(text).collect(Collectors.joining(separator));
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        for (long left; (left = nanoTime - System.nanoTime()) > 0; ) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }
}
