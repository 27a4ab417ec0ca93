package io.redtx.benchmarks;

import static io.redtx.samples.load.Format.f;

import io.redtx.api.AdmissionOptions;
import io.redtx.api.CommitProtocol;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionRuntime;
import io.redtx.runtime.RedisTransactionRuntime;
import io.redtx.samples.bank.Bank;
import io.redtx.samples.load.Counts;
import io.redtx.samples.load.DroppedErrors;
import io.redtx.samples.load.EmbeddedServers;
import io.redtx.samples.load.Format;
import io.redtx.samples.load.Latency;
import io.redtx.samples.load.Phases;
import io.redtx.samples.load.Progress;
import io.redtx.samples.load.ProgressLine;
import io.redtx.test.redis.IntentCount;
import io.redtx.test.redis.Persistence;
import io.redtx.test.redis.RedisCluster;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.Resharder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToDoubleFunction;
import java.util.stream.IntStream;
import org.HdrHistogram.Histogram;
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
 * <p>With {@code --reshard}, the cluster rounds run while a {@link Resharder} moves the slots of the first
 * {@code --reshard-groups} groups' accounts from master to master, one after the other as {@code redis-cli --cluster
 * reshard} does (each slot padded with {@code --slot-keys} filler keys, moved 10 keys per {@code MIGRATE}; two
 * migrations at once could deadlock, as {@code MIGRATE} blocks its source until the target answered). In both setups
 * one operation in ten is then an audit of a random group. A cluster round also prints how many transfers and audits
 * met a slot being migrated and the share of them that committed (target: at least 90%); every round prints the
 * share of all audits that committed, for comparison.
 *
 * <pre>
 * java -cp benchmarks/target/redtx-benchmarks.jar io.redtx.benchmarks.ClusterBenchmark --duration 20 --warmup 10
 * </pre>
 *
 * Exit status 0; 1 if an invariant failed, an audit saw a wrong sum or intents were left (or the run failed); 2 on bad
 * options.
 */
@Command(
        name = "cluster-benchmark",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = "Bank 2PC throughput: a 3-master Redis Cluster participant vs 3 standalone participants.")
public final class ClusterBenchmark implements Callable<Integer> {

    static final String NS = RuntimeOptions.DEFAULT_NAMESPACE;
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

    @Option(
            names = "--reshard",
            description = "migrate slots between masters during the cluster rounds, and audit a group every 10th"
                    + " operation in both setups")
    boolean reshard;

    @Option(
            names = "--reshard-groups",
            defaultValue = "1",
            description =
                    "with --reshard, the groups whose accounts' slots move, one slot at a time" + " (${DEFAULT-VALUE})")
    int reshardGroups;

    @Option(
            names = "--slot-keys",
            defaultValue = "300",
            description = "with --reshard, filler keys added to each migrated slot (${DEFAULT-VALUE})")
    int slotKeys;

    /** With {@code --reshard}: one operation in this many is an audit. */
    static final int AUDIT_EVERY = 10;

    /** With {@code --reshard}: the pause between two migrations. */
    static final Duration RESHARD_PAUSE = Duration.ofMillis(10);

    private final ProgressLine progressLine = new ProgressLine(System.err);
    private List<RedisServer> standalone;
    private RedisCluster cluster;

    /** Where the bank's accounts live. */
    enum Setup {
        STANDALONE,
        CLUSTER
    }

    /** What one round measured: the measured window and its latencies (microseconds, transfers that moved money). */
    record Round(
            Setup setup,
            double seconds,
            Window w,
            Histogram latency,
            boolean invariant,
            IntentCount intents,
            Resharding resharding) {
        double txPerSec() {
            return w.moved.sum() / seconds;
        }

        double ms(double percentile) {
            return Latency.millis(latency, percentile);
        }

        boolean passed() {
            return invariant && intents.none() && w.wrongAudits.sum() == 0;
        }
    }

    /** A transfer or audit of the measured window: when it ran, the cluster slots it touched, whether it committed. */
    record Op(boolean audit, long startNanos, long endNanos, int[] slots, boolean committed) {}

    /** Counters of one phase (warm-up, measured, drain), fed from Reactor/Netty threads without locks. */
    static final class Window {
        final LongAdder moved = new LongAdder();
        final LongAdder twoPhase = new LongAdder();
        final LongAdder insufficient = new LongAdder();
        final Counts failures = new Counts();
        final Recorder latency = Latency.recorder();
        final LongAdder audits = new LongAdder();
        final LongAdder wrongAudits = new LongAdder();
        /** Every transfer and audit, when the round reshards (else none is kept). */
        final Queue<Op> ops = new ConcurrentLinkedQueue<>();

        void done(Bank.Transfer t, long nanos) {
            if (t.status() == Bank.Status.INSUFFICIENT_FUNDS) {
                insufficient.increment();
                return;
            }
            moved.increment();
            latency.recordValue(Latency.micros(nanos));
            if (t.commit().protocol() == CommitProtocol.TWO_PHASE) {
                twoPhase.increment();
            }
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
                || accounts % 100 != 0
                || slotKeys < 0
                || reshardGroups < 1
                || reshardGroups > accounts / Bank.GROUP_SIZE) {
            throw new ParameterException(
                    spec.commandLine(),
                    "need --duration >= 1, --warmup >= 0, --rounds >= 1, --concurrency >= 1, --slot-keys >= 0,"
                            + " --accounts a positive multiple of 100 and --reshard-groups from 1 to the groups");
        }
        try (DroppedErrors dropped = DroppedErrors.count();
                EmbeddedServers servers = EmbeddedServers.start(3, persistence)) {
            standalone = servers.list();
            cluster = RedisCluster.start(3, persistence);
            String version = standalone.get(0).version();
            System.out.println(f(
                    "redis-server %s, %s; standalone ports %s; cluster masters %s",
                    version, persistence, EmbeddedServers.ports(standalone), EmbeddedServers.ports(cluster.masters())));
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
                    String check = x.invariant() && x.w().wrongAudits.sum() == 0 ? "holds" : "BROKEN";
                    String left = x.intents().none() ? "" : "; intents left: " + Format.intents(x.intents());
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
                    if (reshard) {
                        System.out.println(f(
                                "      audits %d of %d committed, %d saw a wrong sum%s",
                                x.w().audits.sum(),
                                x.w().ops.stream().filter(Op::audit).count(),
                                x.w().wrongAudits.sum(),
                                setup == Setup.CLUSTER
                                        ? "; resharding: " + x.resharding().describe()
                                        : ""));
                    }
                }
            }
            summary(results, dropped.sum());
            return results.stream().allMatch(Round::passed) ? 0 : 1;
        } finally {
            progressLine.clear();
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    /** One round of {@code setup}, from {@code FLUSHALL} to the intents left once its runtime closed. */
    private Round run(Setup setup) throws Exception {
        List<RedisServer> servers = setup == Setup.CLUSTER ? cluster.masters() : standalone;
        servers.forEach(RedisServer::flushAll);
        // Default options, except that only the workers may cap the load (a refused admission would be a failure).
        RuntimeOptions.Builder options = RuntimeOptions.builder()
                .admission(a -> a.maxInFlight(Math.max(AdmissionOptions.DEFAULT_MAX_IN_FLIGHT, concurrency)));
        List<String> participants = new ArrayList<>();
        if (setup == Setup.CLUSTER) {
            participants.add("c");
            options.participant("c", cluster.participantUri());
        } else {
            for (int i = 0; i < servers.size(); i++) {
                participants.add("s" + i);
                options.participant("s" + i, servers.get(i).uri());
            }
        }
        TransactionRuntime runtime = RedisTransactionRuntime.create(options.build());
        Phases<Window> phases = new Phases<>(Window::new);
        Window measured = phases.measured();
        double seconds;
        Bank.Invariant invariant;
        Resharding resharding = Resharding.NONE;
        try {
            Bank bank = new Bank(runtime, participants, accounts, Bank.DEFAULT_INITIAL_BALANCE);
            bank.seed().block(LIMIT);
            int[][] slotsOfGroup = slotsOfGroups(bank);
            boolean resharded = reshard && setup == Setup.CLUSTER;
            if (resharded) {
                padReshardedSlots();
            }
            Random random = seed == null ? new Random() : new Random(seed);
            AtomicLong operations = new AtomicLong();
            Mono<Void> operation = Mono.defer(() -> reshard && operations.getAndIncrement() % AUDIT_EVERY == 0
                            ? audit(bank, random.nextInt(bank.groups()), slotsOfGroup, phases)
                            : transfer(bank, random, phases))
                    .onErrorResume(e -> {
                        phases.current().failures.add(e);
                        return Phases.backoff();
                    });
            CompletableFuture<Void> load = Flux.range(0, concurrency)
                    .flatMap(w -> operation.repeat(phases::running), concurrency)
                    .then()
                    .toFuture();
            phases.start(warmupSeconds, durationSeconds);
            Progress progress = new Progress(phases, name(setup), null);
            Resharder resharder = resharded
                    ? Resharder.start(
                            cluster,
                            Arrays.stream(slotsOfGroup, 0, reshardGroups)
                                    .flatMapToInt(IntStream::of)
                                    .boxed()
                                    .toList(),
                            10,
                            RESHARD_PAUSE)
                    : null;
            int migrationsBefore = 0;
            long keysBefore = 0;
            try {
                phases.awaitWarmup(progressLine, load, progress);
                if (resharder != null) {
                    migrationsBefore = resharder.migrations();
                    keysBefore = resharder.keysMoved();
                }
                phases.startMeasured();
                phases.awaitEnd(progressLine, load, progress);
                phases.endMeasured();
                seconds = phases.measuredSeconds();
                phases.awaitDrain(progressLine, load, LIMIT, "cluster-benchmark " + name(setup));
            } finally {
                if (resharder != null) {
                    resharder.close();
                }
            }
            if (resharder != null) {
                resharding = resharding(
                        measured, resharder.migrations() - migrationsBefore, resharder.keysMoved() - keysBefore);
            }
            invariant = bank.checkInvariant().block(LIMIT);
        } finally {
            runtime.closeGracefully().block(LIMIT);
        }
        IntentCount left = setup == Setup.CLUSTER ? IntentCount.on(NS, cluster) : IntentCount.on(NS, servers);
        boolean holds = invariant != null && invariant.holds();
        return new Round(setup, seconds, measured, measured.latency.getIntervalHistogram(), holds, left, resharding);
    }

    /** One transfer; crossParticipant: always across servers for standalone, no effect with one cluster participant. */
    private Mono<Void> transfer(Bank bank, Random random, Phases<Window> phases) {
        Bank.TransferOrder order = bank.randomTransfer(random, true);
        long start = System.nanoTime();
        int[] slots = {RedisCluster.slot(Bank.key(order.from())), RedisCluster.slot(Bank.key(order.to()))};
        return bank.transfer(order.from(), order.to(), order.amount())
                .doOnNext(t -> {
                    long nanos = System.nanoTime() - start;
                    phases.current().done(t, nanos);
                    if (t.status() == Bank.Status.TRANSFERRED) {
                        phases.moved(nanos);
                    }
                })
                .doOnEach(signal -> {
                    if (reshard && (signal.isOnNext() || signal.isOnError())) {
                        phases.current().ops.add(new Op(false, start, System.nanoTime(), slots, signal.isOnNext()));
                    }
                })
                .then();
    }

    /** One audit of {@code group}: a read-only transaction over its 100 accounts, whose sum must be the group's. */
    private Mono<Void> audit(Bank bank, int group, int[][] slotsOfGroup, Phases<Window> phases) {
        long start = System.nanoTime();
        return bank.audit(group)
                .doOnNext(a -> {
                    Window w = phases.current();
                    w.audits.increment();
                    if (!a.consistent()) {
                        w.wrongAudits.increment();
                    }
                })
                .doOnEach(signal -> {
                    if (signal.isOnNext() || signal.isOnError()) {
                        phases.current()
                                .ops
                                .add(new Op(true, start, System.nanoTime(), slotsOfGroup[group], signal.isOnNext()));
                    }
                })
                .then();
    }

    /** Per group, the cluster slots of its accounts. */
    private static int[][] slotsOfGroups(Bank bank) {
        int[][] slots = new int[bank.groups()][];
        for (int g = 0; g < slots.length; g++) {
            slots[g] = IntStream.range(g * Bank.GROUP_SIZE, (g + 1) * Bank.GROUP_SIZE)
                    .map(i -> RedisCluster.slot(Bank.key(i)))
                    .toArray();
        }
        return slots;
    }

    /**
     * Adds {@code --slot-keys} filler keys to the slot of each account of the resharded groups (tagged with the
     * account's key), on its master, so that moving the slot takes as long as moving a slot that holds that many keys.
     */
    private void padReshardedSlots() {
        for (int i = 0; i < reshardGroups * Bank.GROUP_SIZE; i++) {
            String key = Bank.key(i);
            cluster.masterFor(key)
                    .command(
                            "EVAL",
                            "for i = 1, tonumber(ARGV[2]) do redis.call('SET', ARGV[1] .. i, 'filler') end",
                            "0",
                            "{" + key + "}:filler:",
                            Integer.toString(slotKeys));
        }
    }

    /** Which transactions of {@code w} met a slot being migrated, and how many of them committed. */
    private Resharding resharding(Window w, int migrations, long keysMoved) {
        long[] transfers = new long[2];
        long[] audits = new long[2];
        for (Op op : w.ops) {
            boolean met = IntStream.of(op.slots()).anyMatch(s -> cluster.migrating(s, op.startNanos(), op.endNanos()));
            if (met) {
                long[] c = op.audit() ? audits : transfers;
                c[0]++;
                if (op.committed()) {
                    c[1]++;
                }
            }
        }
        return new Resharding(migrations, keysMoved, transfers, audits);
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
        System.out.println(f(
                "cluster%s / standalone: tx/s x%.2f, p99 x%.2f",
                reshard ? " (resharding)" : "", tx[1] / tx[0], p99[1] / p99[0]));
        if (reshard) {
            Resharding all = results.stream().map(Round::resharding).reduce(Resharding.NONE, Resharding::plus);
            System.out.println("resharding, all cluster rounds: " + all.describe() + "; target: at least 90% of each");
        }
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
}
