package io.redtx.benchmarks;

import io.redtx.samples.bank.Bank;
import io.redtx.samples.load.Counts;
import io.redtx.samples.load.DroppedErrors;
import io.redtx.samples.load.EmbeddedServers;
import io.redtx.samples.load.Latency;
import io.redtx.samples.load.Phases;
import io.redtx.samples.load.Progress;
import io.redtx.samples.load.ProgressLine;
import io.redtx.test.redis.IntentCount;
import io.redtx.test.redis.Persistence;
import io.redtx.test.redis.RedisServer;
import java.io.PrintStream;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
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
 * The load program of the benchmarks: the bank workload run six ways, one after the other, on the same three
 * embedded {@code redis-server} processes (in memory, free loopback ports) that it starts and stops itself:
 * {@code raw-fanout} (non-atomic Lettuce over 3 servers), {@code lua-single} (one hand-written Lua script on one
 * server), {@code redtx-1pc} (one participant), {@code redtx-1pc-outbox} (the same plus one outbox message per
 * transfer), {@code redtx-2pc} (3 participants, every transfer across two) and {@code redtx-2pc-outbox}.
 *
 * <p>Each workload: balances reset ({@code FLUSHALL} and seeding), {@code --concurrency} workers each running one
 * transfer after the other for a warm-up and a measured window, then a drain (the transfers in flight finish).
 * Throughput and HdrHistogram latency percentiles count the transfers that moved money and finished inside the
 * measured window; {@code INFO commandstats} deltas of every server, from the start of the measured window to the end
 * of the drain, divided by the transfers finished in that time, give the commands per transfer. The total balance is
 * then checked: unchanged for the atomic workloads (PASS/FAIL), reported only for {@code raw-fanout}. An outbox
 * workload also checks that the messages appended over the whole workload are exactly its transfers that moved money
 * (PASS/FAIL), and reports the message's cost: how much less throughput it has than its plain counterpart, which runs
 * right before it (the target is at most 15%; missing it is reported, it does not fail the run).
 *
 * <p>At the end, one table; with {@code --json} the last line of stdout is one JSON object
 * {@code {"workloads": [{"name": ..., "txPerSec": ..., "p50Ms": ..., "p99Ms": ..., "p999Ms": ..., ...}, ...]}}. Exit
 * status: 0 when every atomic workload kept its total (and redtx left no intent, and every outbox message matched a
 * committed transfer), 1 otherwise or when the run failed, 2 on bad options.
 */
@Command(
        name = "redtx-benchmarks",
        mixinStandardHelpOptions = true,
        version = "redtx-benchmarks 0.1.0-SNAPSHOT",
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "The bank workload nine ways, one after the other, on the same 3 embedded redis-server processes"
                    + " (in memory) that this program starts on free loopback ports:",
            "  raw-fanout        Lettuce, not atomic: GET, then INCRBY on 2 of 3 servers",
            "  lua-single        one hand-written Lua script on 1 server (atomic ceiling)",
            "  watch-multi       hand-written WATCH/GET/MULTI/DECRBY/INCRBY/EXEC on 1 server, again until EXEC runs",
            "  redisson-rtx      Redisson RTransaction on 1 server, compareAndSet on both balances (keeps the total)",
            "  redisson-rtx-rcs  Redisson RTransaction on 1 server, get/check/set (total reported, not checked)",
            "  redtx-1pc         redtx, 1 participant: one-phase commits",
            "  redtx-1pc-outbox  redtx-1pc plus one transactional outbox message (XADD) per transfer",
            "  redtx-2pc         redtx, 3 participants, always across two: two-phase commits",
            "  redtx-2pc-outbox  redtx-2pc plus one outbox message per transfer, on the source's participant",
            "  redtx-1pc-replicated, redtx-2pc-replicated (not run by default; need --replicas 1): every step waits"
                    + " for one replica's acknowledgement (PUBLISH barrier + WAIT)",
            "Prints, per workload, throughput, latency percentiles, INFO commandstats per transfer and the balance"
                    + " check (for an outbox workload also the message count check and the message's cost in"
                    + " throughput against the plain workload run just before), then one table.",
            ""
        },
        footer = {
            "",
            "Exit status: 0 every atomic workload kept the total balance (and every outbox message matched a"
                    + " committed transfer); 1 one did not, or the run failed; 2 bad options."
        })
public final class LoadBenchmark implements Callable<Integer> {

    /** How long the transfers in flight at the end of the window may take to finish. */
    static final Duration DRAIN_LIMIT = Duration.ofSeconds(60);

    /** Number of embedded servers. */
    static final int SERVERS = 3;

    @Spec
    CommandSpec spec;

    @Option(
            names = "--duration",
            paramLabel = "SECONDS",
            defaultValue = "20",
            description = "measured seconds per workload, after its warm-up. Default: ${DEFAULT-VALUE}")
    int durationSeconds;

    @Option(
            names = "--warmup",
            paramLabel = "SECONDS",
            defaultValue = "10",
            description = "warm-up seconds per workload (load runs, figures not kept). Default: ${DEFAULT-VALUE}")
    int warmupSeconds;

    @Option(
            names = "--concurrency",
            paramLabel = "N",
            defaultValue = "64",
            description = "transfers in flight at any time (workers). Default: ${DEFAULT-VALUE}")
    int concurrency;

    @Option(
            names = "--audits",
            paramLabel = "N",
            defaultValue = "0",
            description = "read-only audits (one transaction reading a group of 100 accounts) in flight beside the"
                    + " transfers, in the redtx workloads; reported as audits/s, retries and latency, and any audit"
                    + " that saw a wrong group sum fails the balance check. Default: ${DEFAULT-VALUE}")
    int audits;

    @Option(
            names = "--accounts",
            paramLabel = "N",
            defaultValue = "" + Bank.DEFAULT_ACCOUNTS,
            description =
                    "accounts, a multiple of 100 (transfers stay inside groups of 100). Default: ${DEFAULT-VALUE}")
    int accounts;

    @Option(
            names = "--workloads",
            paramLabel = "NAME",
            split = ",",
            defaultValue = "raw-fanout,lua-single,watch-multi,redisson-rtx,redisson-rtx-rcs,redtx-1pc,redtx-1pc-outbox,"
                    + "redtx-2pc,redtx-2pc-outbox",
            description = "workloads to run, comma-separated; they always run in the order raw-fanout, lua-single,"
                    + " watch-multi, redisson-rtx, redisson-rtx-rcs, redtx-1pc, redtx-1pc-outbox, redtx-2pc,"
                    + " redtx-2pc-outbox (each outbox workload right after its plain one, so that the two are compared"
                    + " minutes apart at most). Default: all nine")
    List<String> workloadNames;

    @Option(
            names = "--replicas",
            paramLabel = "N",
            defaultValue = "0",
            description = "replicas started for each server, for every workload (0 or 1): with 1, the replicated"
                    + " workloads measure the wait against their plain ones on the same replicated servers. Default:"
                    + " ${DEFAULT-VALUE}")
    int replicas;

    @Option(names = "--json", description = "end stdout with one line: the results as one JSON object")
    boolean json;

    @Option(
            names = "--seed",
            paramLabel = "SEED",
            description = "seed of the random transfers (each workload starts from it)")
    Long seed;

    private final PrintStream out;
    private final PrintStream err;
    private final ProgressLine progressLine;

    /** A command that prints to {@code System.out} and its progress line to {@code System.err}. */
    public LoadBenchmark() {
        this(System.out, System.err);
    }

    /**
     * @param out the report, the table and the JSON line
     * @param err the progress line and error messages
     */
    LoadBenchmark(PrintStream out, PrintStream err) {
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
        System.exit(new CommandLine(new LoadBenchmark()).execute(args));
    }

    /**
     * Starts the servers, runs the chosen workloads one after the other, prints their reports, the table and (with
     * {@code --json}) the JSON line, and stops the servers. Blocks the calling thread, which must not be a Reactor
     * thread.
     *
     * @return 0 if every atomic workload kept the total balance, redtx left no intent and every outbox workload's
     *     messages matched its committed transfers, else 1
     * @throws ParameterException on bad options (exit status 2)
     * @throws Exception if a server cannot start or a workload cannot run to its end
     */
    @Override
    public Integer call() throws Exception {
        Set<Workload> chosen = validate();
        LoadReport report = new LoadReport(out, concurrency, accounts, durationSeconds, warmupSeconds);
        try (DroppedErrors droppedErrors = DroppedErrors.count();
                EmbeddedServers started = EmbeddedServers.start(SERVERS, Persistence.IN_MEMORY);
                Replicas replicated = Replicas.of(started.list(), replicas)) {
            List<RedisServer> servers = started.list();
            out.printf(
                    Locale.ROOT,
                    "redtx-benchmarks: %d embedded redis-server %s (in memory) on ports %s; %d accounts x %d;"
                            + " concurrency %d; warm-up %d s, measured %d s per workload; workloads %s%n",
                    SERVERS,
                    servers.get(0).version(),
                    EmbeddedServers.ports(servers),
                    accounts,
                    Bank.DEFAULT_INITIAL_BALANCE,
                    concurrency,
                    warmupSeconds,
                    durationSeconds,
                    chosen.stream().map(Workload::id).collect(Collectors.joining(", ")));
            Map<Workload, LoadReport.Result> results = new EnumMap<>(Workload.class);
            for (Workload w : chosen) {
                LoadReport.Result r = run(w, servers, droppedErrors);
                results.put(w, r);
                report.print(r, w.plain().map(results::get).orElse(null));
            }
            report.table(results);
            boolean ok = results.values().stream().allMatch(LoadReport.Result::passed);
            out.println("RESULT: " + (ok ? "PASS" : "FAIL")
                    + " (balance checks of the atomic workloads, message counts of the outbox workloads)");
            if (json) {
                out.println(report.json(results));
            }
            out.flush();
            return ok ? 0 : 1;
        } finally {
            progressLine.clear();
        }
    }

    private Set<Workload> validate() {
        check(durationSeconds >= 1, "--duration must be at least 1 (seconds), was " + durationSeconds);
        check(warmupSeconds >= 0, "--warmup must be >= 0 (seconds), was " + warmupSeconds);
        check(concurrency >= 1, "--concurrency must be >= 1, was " + concurrency);
        check(audits >= 0, "--audits must be >= 0, was " + audits);
        check(replicas == 0 || replicas == 1, "--replicas must be 0 or 1, was " + replicas);
        check(
                accounts >= Bank.GROUP_SIZE && accounts % Bank.GROUP_SIZE == 0,
                "--accounts must be a positive multiple of " + Bank.GROUP_SIZE + ", was " + accounts);
        Set<String> names = new LinkedHashSet<>();
        for (String name : workloadNames) {
            String n = name.trim();
            check(Workload.byId(n).isPresent(), "--workloads: unknown workload '" + n + "'; known: " + Workload.ids());
            names.add(n);
        }
        check(!names.isEmpty(), "--workloads must name at least one workload");
        Set<Workload> chosen = new LinkedHashSet<>();
        for (Workload w : Workload.values()) {
            if (names.contains(w.id())) {
                check(!w.replicated() || replicas > 0, "--workloads: " + w.id() + " needs --replicas 1");
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

    /** One workload, from seeding to the balance check; blocks the calling thread. */
    private LoadReport.Result run(Workload w, List<RedisServer> servers, DroppedErrors droppedErrors) throws Exception {
        Layout layout = new Layout(accounts, w.shards(), Bank.DEFAULT_INITIAL_BALANCE);
        layout.seed(servers);
        Random random = seed == null ? new Random() : new Random(seed);
        long droppedBefore = droppedErrors.sum();
        Phases<Window> phases = new Phases<>(Window::new);
        CommandStats before;
        CommandStats after;
        Workload.Engine engine = w.open(servers, layout, concurrency + audits);
        int auditors = engine.audits() ? audits : 0;
        IntentCount intents;
        try {
            Mono<Void> transfer = Mono.defer(() -> {
                Bank.TransferOrder order = layout.pick(random);
                long start = System.nanoTime();
                return engine.transfer(order)
                        .doOnNext(outcome -> {
                            long nanos = System.nanoTime() - start;
                            phases.current().done(outcome, nanos);
                            if (outcome.moved()) {
                                phases.moved(nanos);
                            }
                        })
                        .then()
                        .onErrorResume(e -> {
                            phases.current().failures.add(e);
                            return Phases.backoff();
                        });
            });
            Mono<Void> audit = Mono.defer(() -> {
                int group = random.nextInt(accounts / Bank.GROUP_SIZE);
                long start = System.nanoTime();
                return engine.audit(group)
                        .doOnNext(audited -> phases.current().audited(audited, System.nanoTime() - start))
                        .then()
                        .onErrorResume(e -> {
                            phases.current().auditFailures.add(e);
                            return Phases.backoff();
                        });
            });
            CompletableFuture<Void> load = Flux.merge(
                            Flux.range(0, concurrency).flatMap(worker -> transfer.repeat(phases::running), concurrency),
                            Flux.range(0, auditors)
                                    .flatMap(auditor -> audit.repeat(phases::running), Math.max(1, auditors)))
                    .then()
                    .toFuture();
            phases.start(warmupSeconds, durationSeconds);
            Progress progress = new Progress(phases, w.id(), null);
            phases.awaitWarmup(progressLine, load, progress);
            // Commands sent from here on belong to transfers that finish in the measured window or in the drain.
            before = CommandStats.take(servers);
            phases.startMeasured();
            phases.awaitEnd(progressLine, load, progress);
            phases.endMeasured();
            phases.awaitDrain(progressLine, load, DRAIN_LIMIT, w.id());
            after = CommandStats.take(servers);
        } finally {
            intents = engine.closeAndCheck().orElse(null);
        }
        Layout.Balances balances = layout.balances(servers);
        // Every transfer ended in one of the three windows (the load completed in the drain), and the runtime closed
        // gracefully, so every roll-forward that applies a message is done: the count is final.
        OutboxCheck outbox = w.outbox()
                ? OutboxCheck.count(
                        servers.subList(0, w.shards()),
                        phases.warmup().transferred.sum()
                                + phases.measured().transferred.sum()
                                + phases.drain().transferred.sum())
                : null;
        CommandStats delta = after.since(before);
        CommandStats.NoScript noScript = new CommandStats.NoScript(servers.get(0));
        Map<String, Boolean> clientOnly = new TreeMap<>();
        delta.total().keySet().forEach(name -> clientOnly.put(name, noScript.test(name)));
        Window measured = phases.measured();
        return new LoadReport.Result(
                w,
                phases.measuredSeconds(),
                measured.transferred.sum(),
                measured.insufficient.sum(),
                measured.retries.sum(),
                measured.failures.snapshot(),
                measured.failures.first(),
                measured.latency.getIntervalHistogram(),
                measured.finished() + phases.drain().finished(),
                delta,
                clientOnly,
                balances,
                intents,
                outbox,
                droppedErrors.sum() - droppedBefore,
                auditors == 0
                        ? null
                        : new LoadReport.Audits(
                                measured.audited.sum(),
                                measured.auditRetries.sum(),
                                measured.auditInconsistent.sum(),
                                measured.auditFailures.snapshot(),
                                measured.auditLatency.getIntervalHistogram()));
    }

    /**
     * The figures of one phase of a workload (warm-up, measured window, drain). Fed from Reactor and Netty threads
     * with wait-free structures only; read by the main thread.
     */
    static final class Window {
        final LongAdder transferred = new LongAdder();
        final LongAdder insufficient = new LongAdder();
        /** Attempts beyond the first, of the transfers that finished (redtx re-runs a transfer after a conflict). */
        final LongAdder retries = new LongAdder();

        final Counts failures = new Counts();
        final Recorder latency = Latency.recorder();

        final LongAdder audited = new LongAdder();
        final LongAdder auditRetries = new LongAdder();
        final LongAdder auditInconsistent = new LongAdder();
        final Counts auditFailures = new Counts();
        final Recorder auditLatency = Latency.recorder();

        void audited(Workload.Audited audit, long nanos) {
            audited.increment();
            auditRetries.add(audit.attempts() - 1);
            if (!audit.consistent()) {
                auditInconsistent.increment();
            }
            auditLatency.recordValue(Latency.micros(nanos));
        }

        void done(Workload.Outcome outcome, long nanos) {
            retries.add(outcome.attempts() - 1);
            if (outcome.moved()) {
                transferred.increment();
                latency.recordValue(Latency.micros(nanos));
            } else {
                insufficient.increment();
            }
        }

        long finished() {
            return transferred.sum() + insufficient.sum() + failures.total();
        }
    }
}
