package io.redtx.benchmarks;

import io.redtx.samples.ProgressLine;
import io.redtx.samples.bank.Bank;
import io.redtx.test.redis.IntentCount;
import io.redtx.test.redis.Persistence;
import io.redtx.test.redis.RedisServer;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
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
import tools.jackson.databind.json.JsonMapper;

/**
 * The load program of the benchmarks: the bank workload run four ways, one after the other, on the same three
 * embedded {@code redis-server} processes (in memory, free loopback ports) that it starts and stops itself:
 * {@code raw-fanout} (non-atomic Lettuce over 3 servers), {@code lua-single} (one hand-written Lua script on one
 * server), {@code redtx-1pc} (one participant) and {@code redtx-2pc} (3 participants, every transfer across two).
 *
 * <p>Each workload: balances reset ({@code FLUSHALL} and seeding), {@code --concurrency} workers each running one
 * transfer after the other for a warm-up and a measured window, then a drain (the transfers in flight finish).
 * Throughput and HdrHistogram latency percentiles count the transfers that moved money and finished inside the
 * measured window; {@code INFO commandstats} deltas of every server, from the start of the measured window to the end
 * of the drain, divided by the transfers finished in that time, give the commands per transfer. The total balance is
 * then checked: unchanged for the atomic workloads (PASS/FAIL), reported only for {@code raw-fanout}.
 *
 * <p>At the end, one table; with {@code --json} the last line of stdout is one JSON object
 * {@code {"workloads": [{"name": ..., "txPerSec": ..., "p50Ms": ..., "p99Ms": ..., "p999Ms": ..., ...}, ...]}}. Exit
 * status: 0 when every atomic workload kept its total (and redtx left no intent), 1 otherwise or when the run failed,
 * 2 on bad options.
 */
@Command(
        name = "redtx-benchmarks",
        mixinStandardHelpOptions = true,
        version = "redtx-benchmarks 0.1.0-SNAPSHOT",
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "The bank workload four ways, one after the other, on the same 3 embedded redis-server processes"
                    + " (in memory) that this program starts on free loopback ports:",
            "  raw-fanout  Lettuce, not atomic: GET, then INCRBY on 2 of 3 servers",
            "  lua-single  one hand-written Lua script on 1 server (atomic ceiling)",
            "  redtx-1pc   redtx, 1 participant: one-phase commits",
            "  redtx-2pc   redtx, 3 participants, always across two: two-phase commits",
            "Prints, per workload, throughput, latency percentiles, INFO commandstats per transfer and the balance"
                    + " check, then one table.",
            ""
        },
        footer = {
            "",
            "Exit status: 0 every atomic workload kept the total balance; 1 one did not, or the run failed; 2 bad"
                    + " options."
        })
public final class LoadBenchmark implements Callable<Integer> {

    /** Largest latency the histograms hold (longer ones count as this): a fixed range, so recording never locks. */
    static final long MAX_LATENCY_MICROS = TimeUnit.MINUTES.toMicros(2);

    /** How long the transfers in flight at the end of the window may take to finish. */
    static final Duration DRAIN_LIMIT = Duration.ofSeconds(60);

    /** How long a worker waits after a failed transfer rather than spin on a failing server. */
    static final Duration BACKOFF_AFTER_FAILURE = Duration.ofMillis(50);

    /** How often the progress line on stderr is rewritten. */
    static final long PROGRESS_NANOS = TimeUnit.SECONDS.toNanos(1);

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
            defaultValue = "raw-fanout,lua-single,redtx-1pc,redtx-2pc",
            description = "workloads to run, comma-separated; they always run in the order raw-fanout, lua-single,"
                    + " redtx-1pc, redtx-2pc. Default: all four")
    List<String> workloadNames;

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
     * @return 0 if every atomic workload kept the total balance and redtx left no intent, else 1
     * @throws ParameterException on bad options (exit status 2)
     * @throws Exception if a server cannot start or a workload cannot run to its end
     */
    @Override
    public Integer call() throws Exception {
        Set<Workload> chosen = validate();
        List<RedisServer> servers = new ArrayList<>();
        LongAdder droppedErrors = new LongAdder();
        // A sibling of a failed operation (the other INCRBY, a prepare leg) may fail after the failure was signalled;
        // Reactor drops it and would log it with its stack trace. Counted instead.
        Hooks.onErrorDropped(e -> droppedErrors.increment());
        try {
            for (int i = 0; i < SERVERS; i++) {
                servers.add(RedisServer.start(Persistence.IN_MEMORY));
            }
            out.printf(
                    Locale.ROOT,
                    "redtx-benchmarks: %d embedded redis-server %s (in memory) on ports %s; %d accounts x %d;"
                            + " concurrency %d; warm-up %d s, measured %d s per workload; workloads %s%n",
                    SERVERS,
                    servers.get(0).version(),
                    servers.stream().map(s -> Integer.toString(s.port())).collect(Collectors.joining(", ")),
                    accounts,
                    Bank.DEFAULT_INITIAL_BALANCE,
                    concurrency,
                    warmupSeconds,
                    durationSeconds,
                    chosen.stream().map(Workload::id).collect(Collectors.joining(", ")));
            Map<Workload, Result> results = new EnumMap<>(Workload.class);
            for (Workload w : chosen) {
                Result r = run(w, servers, droppedErrors);
                results.put(w, r);
                print(r);
            }
            table(results);
            boolean ok = results.values().stream().allMatch(Result::passed);
            out.println("RESULT: " + (ok ? "PASS" : "FAIL") + " (balance checks of the atomic workloads)");
            if (json) {
                out.println(json(results));
            }
            out.flush();
            return ok ? 0 : 1;
        } finally {
            Hooks.resetOnErrorDropped();
            progressLine.clear();
            for (RedisServer s : servers) {
                s.close();
            }
        }
    }

    private Set<Workload> validate() {
        check(durationSeconds >= 1, "--duration must be at least 1 (seconds), was " + durationSeconds);
        check(warmupSeconds >= 0, "--warmup must be >= 0 (seconds), was " + warmupSeconds);
        check(concurrency >= 1, "--concurrency must be >= 1, was " + concurrency);
        check(
                accounts >= Bank.GROUP_SIZE && accounts % Bank.GROUP_SIZE == 0,
                "--accounts must be a positive multiple of " + Bank.GROUP_SIZE + ", was " + accounts);
        Set<String> names = new LinkedHashSet<>();
        for (String name : workloadNames) {
            String n = name.trim();
            check(
                    Workload.byId(n).isPresent(),
                    "--workloads: unknown workload '" + n + "'; known: raw-fanout, lua-single, redtx-1pc, redtx-2pc");
            names.add(n);
        }
        check(!names.isEmpty(), "--workloads must name at least one workload");
        Set<Workload> chosen = new LinkedHashSet<>();
        for (Workload w : Workload.values()) {
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

    /** One workload, from seeding to the balance check; blocks the calling thread. */
    private Result run(Workload w, List<RedisServer> servers, LongAdder droppedErrors) throws Exception {
        Layout layout = new Layout(accounts, w.shards(), Bank.DEFAULT_INITIAL_BALANCE);
        layout.seed(servers);
        Random random = seed == null ? new Random() : new Random(seed);
        long droppedBefore = droppedErrors.sum();
        Window warmup = new Window();
        Window measured = new Window();
        Window drain = new Window();
        AtomicReference<Window> current = new AtomicReference<>(warmup);
        // No end until the clock starts, below.
        AtomicLong deadline = new AtomicLong(Long.MAX_VALUE);
        CommandStats before;
        CommandStats after;
        Workload.Engine engine = w.open(servers, layout, concurrency);
        IntentCount intents;
        try {
            Mono<Void> transfer = Mono.defer(() -> {
                Bank.TransferOrder order = layout.pick(random);
                long start = System.nanoTime();
                return engine.transfer(order)
                        .doOnNext(outcome -> current.get().done(outcome, System.nanoTime() - start))
                        .then()
                        .onErrorResume(e -> {
                            current.get().failed(e);
                            return Mono.delay(BACKOFF_AFTER_FAILURE).then();
                        });
            });
            CompletableFuture<Void> load = Flux.range(0, concurrency)
                    .flatMap(worker -> transfer.repeat(() -> System.nanoTime() < deadline.get()), concurrency)
                    .then()
                    .toFuture();
            // Subscribing ran the first transfers on this thread (a cold JVM: class loading, connections): the clock
            // starts after it, so that the windows get their full length.
            long start = System.nanoTime();
            long warmupEnd = start + TimeUnit.SECONDS.toNanos(warmupSeconds);
            long end = warmupEnd + TimeUnit.SECONDS.toNanos(durationSeconds);
            deadline.set(end);
            Progress progress = new Progress(
                    w, start, warmupEnd, end, () -> warmup.finished() + measured.finished() + drain.finished());
            progressLine.watch(warmupEnd, load, () -> progress.next, progress::line);
            // Commands sent from here on belong to transfers that finish in the measured window or in the drain.
            before = CommandStats.take(servers);
            measured.start = System.nanoTime();
            current.set(measured);
            progressLine.watch(end, load, () -> progress.next, progress::line);
            measured.end = System.nanoTime();
            current.set(drain);
            try {
                load.get(DRAIN_LIMIT.toSeconds(), TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                load.cancel(true);
                throw new IllegalStateException(w.id() + ": transfers in flight did not finish within " + DRAIN_LIMIT);
            } catch (ExecutionException e) {
                throw new IllegalStateException(w.id() + ": the load pipeline failed", e.getCause());
            } finally {
                progressLine.clear();
            }
            after = CommandStats.take(servers);
        } finally {
            intents = engine.closeAndCheck().orElse(null);
        }
        Layout.Balances balances = layout.balances(servers);
        CommandStats delta = after.since(before);
        CommandStats.NoScript noScript = new CommandStats.NoScript(servers.get(0));
        Map<String, Boolean> clientOnly = new TreeMap<>();
        delta.total().keySet().forEach(name -> clientOnly.put(name, noScript.test(name)));
        return new Result(
                w,
                (measured.end - measured.start) / 1e9,
                measured.transferred.sum(),
                measured.insufficient.sum(),
                measured.retries.sum(),
                measured.failures(),
                new TreeMap<>(measured.firstFailures),
                measured.latency.getIntervalHistogram(),
                measured.finished() + drain.finished(),
                delta,
                clientOnly,
                balances,
                intents,
                droppedErrors.sum() - droppedBefore);
    }

    // ---- report ---------------------------------------------------------------------------------------------------

    private void print(Result r) {
        Workload w = r.workload();
        out.printf(Locale.ROOT, "== %s: %s%n", w.id(), w.description());
        out.printf(
                Locale.ROOT,
                "  transfers: %d in %.2f s = %.1f tx/s; %d insufficient funds; %d retries after conflicts; failed: %s%n",
                r.transferred(),
                r.seconds(),
                r.txPerSec(),
                r.insufficient(),
                r.retries(),
                r.failures().isEmpty() ? "none" : r.failures());
        r.firstFailures().forEach((kind, e) -> out.println("    first " + kind + ": " + e));
        Histogram h = r.latency();
        out.printf(
                Locale.ROOT,
                "  latency ms (transfers that moved money): %s%n",
                h.getTotalCount() == 0
                        ? "n/a"
                        : String.format(
                                Locale.ROOT,
                                "p50 %.3f  p99 %.3f  p999 %.3f  max %.3f  (n=%d)",
                                r.percentileMs(50),
                                r.percentileMs(99),
                                r.percentileMs(99.9),
                                h.getMaxValue() / 1000.0,
                                h.getTotalCount()));
        out.printf(
                Locale.ROOT,
                "  commandstats per transfer (all servers, from the measured window to the end of the drain, /%d"
                        + " transfers finished then; Redis also counts the commands a script runs):%n",
                r.finishedForStats());
        Map<String, CommandStats.Calls> total = r.commands().total();
        String scripts = calls(r, total, Kind.SCRIPT, 1);
        out.println("    script calls: " + scripts
                + (scripts.equals("none") || w.shardsPerTransfer() == 1
                        ? ""
                        : " = " + calls(r, total, Kind.SCRIPT, w.shardsPerTransfer()) + " per server touched ("
                                + w.shardsPerTransfer() + " per transfer)"));
        out.printf(
                Locale.ROOT,
                "    commands refused inside scripts (own round trips): %s%n",
                calls(r, total, Kind.CLIENT, 1));
        out.printf(
                Locale.ROOT,
                "    other commands (sent by a client, or run by a script): %s%n",
                calls(r, total, Kind.OTHER, 1));
        List<String> byServer = new ArrayList<>();
        for (int i = 0; i < r.commands().servers().size(); i++) {
            Map<String, CommandStats.Calls> s = r.commands().servers().get(i);
            byServer.add("s" + i + " " + (s.isEmpty() ? "-" : calls(r, s, null, 1)));
        }
        out.println("    by server: " + String.join("; ", byServer));
        out.printf(
                Locale.ROOT,
                "    server time: %.1f us per transfer (sum of commandstats usec)%n",
                r.perTransfer(r.commands().totalUsec()));
        Layout.Balances b = r.balances();
        out.printf(
                Locale.ROOT,
                "  balances: total %d, expected %d (drift %d), %d negative, %d missing: %s%n",
                b.total(),
                b.expected(),
                b.drift(),
                b.negative(),
                b.missing(),
                w.atomic()
                        ? (b.intact() ? "PASS" : "FAIL")
                        : (b.drift() == 0 ? "unchanged" : "changed") + " (not checked: " + w.id() + " is not atomic)");
        IntentCount left = r.intents();
        if (left != null) {
            out.printf(
                    Locale.ROOT,
                    "  intents left: %d lock keys, %d index entries, %d prepared records: %s%n",
                    left.locks(),
                    left.indexEntries(),
                    left.prepared(),
                    left.none() ? "PASS" : "FAIL");
        }
        if (r.droppedErrors() > 0) {
            out.printf(Locale.ROOT, "  errors dropped after a sibling failed: %d%n", r.droppedErrors());
        }
        out.flush();
    }

    /** Which commands of commandstats a list shows. */
    private enum Kind {
        SCRIPT,
        CLIENT,
        OTHER
    }

    private static Kind kind(Result r, String command) {
        if (CommandStats.SCRIPT_CALLS.contains(command)) {
            return Kind.SCRIPT;
        }
        return r.clientOnly().getOrDefault(command, false) ? Kind.CLIENT : Kind.OTHER;
    }

    /** "evalsha 6.000, get 1.000, ..." of the commands of {@code kind} (all if null), per transfer / {@code per}. */
    private static String calls(Result r, Map<String, CommandStats.Calls> stats, Kind kind, int per) {
        List<String> parts = new ArrayList<>();
        stats.forEach((name, c) -> {
            if (kind == null || kind(r, name) == kind) {
                double value = r.perTransfer(c.calls()) / per;
                parts.add(
                        value >= 0.01
                                ? String.format(Locale.ROOT, "%s %.3f", name, value)
                                : String.format(Locale.ROOT, "%s %.5f (%d calls)", name, value, c.calls()));
            }
        });
        return parts.isEmpty() ? "none" : String.join(", ", parts);
    }

    private void table(Map<Workload, Result> results) {
        Result a = results.get(Workload.RAW_FANOUT);
        Result b = results.get(Workload.LUA_SINGLE);
        out.printf(
                Locale.ROOT,
                "== summary: concurrency %d, %d accounts, %d s measured after %d s warm-up per workload;"
                        + " (a) = raw-fanout, (b) = lua-single%n",
                concurrency,
                accounts,
                durationSeconds,
                warmupSeconds);
        String format = "%-11s %10s %8s %8s %8s %8s %8s %8s  %-8s  %s%n";
        out.printf(
                Locale.ROOT,
                format,
                "workload",
                "tx/s",
                "p50 ms",
                "p99 ms",
                "p999 ms",
                "x(a)",
                "x(b)",
                "p99/(a)",
                "balances",
                "commands per transfer (* = refused inside scripts)");
        for (Result r : results.values()) {
            out.printf(
                    Locale.ROOT,
                    format,
                    r.workload().id(),
                    String.format(Locale.ROOT, "%.1f", r.txPerSec()),
                    ms(r, 50),
                    ms(r, 99),
                    ms(r, 99.9),
                    ratio(r.txPerSec(), a == null ? null : a.txPerSec()),
                    ratio(r.txPerSec(), b == null ? null : b.txPerSec()),
                    ratio(r.p99(), a == null ? null : a.p99()),
                    r.balanceCheck(),
                    commandsColumn(r));
        }
    }

    private static String ms(Result r, double percentile) {
        return r.latency().getTotalCount() == 0 ? "-" : String.format(Locale.ROOT, "%.2f", r.percentileMs(percentile));
    }

    private static String ratio(double value, Double base) {
        return base == null || base == 0 || Double.isNaN(value) || Double.isNaN(base)
                ? "-"
                : String.format(Locale.ROOT, "%.2f", value / base);
    }

    /**
     * Script calls, then commands refused in scripts (marked *), then the rest: by name when no script ran, else summed
     * up as "(+N other)" (they ran inside the scripts, or were sent: the workload's report lists them). Values under
     * 0.01 per transfer are left out.
     */
    private static String commandsColumn(Result r) {
        List<String> parts = new ArrayList<>();
        long other = 0;
        boolean scripted = false;
        for (Kind kind : Kind.values()) {
            for (Map.Entry<String, CommandStats.Calls> e : r.commands().total().entrySet()) {
                String name = e.getKey();
                long calls = e.getValue().calls();
                if (kind(r, name) != kind) {
                    continue;
                }
                scripted |= kind == Kind.SCRIPT;
                if (kind == Kind.OTHER && scripted) {
                    other += calls;
                } else if (r.perTransfer(calls) >= 0.01) {
                    parts.add(String.format(
                            Locale.ROOT, "%s%s %.2f", name, kind == Kind.CLIENT ? "*" : "", r.perTransfer(calls)));
                }
            }
        }
        if (other > 0) {
            parts.add(String.format(Locale.ROOT, "(+%.2f other)", r.perTransfer(other)));
        }
        return String.join(" ", parts);
    }

    private String json(Map<Workload, Result> results) {
        Result a = results.get(Workload.RAW_FANOUT);
        Result b = results.get(Workload.LUA_SINGLE);
        List<Object> workloads = new ArrayList<>();
        for (Result r : results.values()) {
            Map<String, Object> j = new LinkedHashMap<>();
            boolean any = r.latency().getTotalCount() > 0;
            j.put("name", r.workload().id());
            j.put("txPerSec", round(r.txPerSec(), 1));
            j.put("p50Ms", any ? round(r.percentileMs(50), 3) : null);
            j.put("p99Ms", any ? round(r.percentileMs(99), 3) : null);
            j.put("p999Ms", any ? round(r.percentileMs(99.9), 3) : null);
            j.put("maxMs", any ? round(r.latency().getMaxValue() / 1000.0, 3) : null);
            j.put("transfers", r.transferred());
            j.put("durationSec", round(r.seconds(), 3));
            j.put("insufficientFunds", r.insufficient());
            j.put("retries", r.retries());
            j.put("failures", new LinkedHashMap<>(r.failures()));
            j.put("txPerSecRatioToRawFanout", a == null ? null : round(r.txPerSec() / a.txPerSec(), 3));
            j.put("txPerSecRatioToLuaSingle", b == null ? null : round(r.txPerSec() / b.txPerSec(), 3));
            j.put("p99RatioToRawFanout", a == null ? null : round(r.p99() / a.p99(), 3));
            Map<String, Object> commands = new LinkedHashMap<>();
            r.commands().total().forEach((name, c) -> commands.put(name, round(r.perTransfer(c.calls()), 4)));
            j.put("commandsPerTransfer", commands);
            j.put(
                    "scriptCallsPerTransfer",
                    round(
                            r.perTransfer(r.commands().total().entrySet().stream()
                                    .filter(e -> CommandStats.SCRIPT_CALLS.contains(e.getKey()))
                                    .mapToLong(e -> e.getValue().calls())
                                    .sum()),
                            4));
            j.put("serversTouchedPerTransfer", r.workload().shardsPerTransfer());
            j.put("serverUsecPerTransfer", round(r.perTransfer(r.commands().totalUsec()), 2));
            j.put("balanceCheck", r.balanceCheck());
            j.put("totalBalanceDrift", r.balances().drift());
            j.put("negativeBalances", r.balances().negative());
            j.put("intentsLeft", r.intents() == null ? null : intents(r.intents()));
            j.put("concurrency", concurrency);
            j.put("accounts", accounts);
            workloads.add(j);
        }
        return JsonMapper.shared().writeValueAsString(Map.of("workloads", workloads));
    }

    private static long intents(IntentCount c) {
        return c.locks() + c.indexEntries() + c.prepared();
    }

    private static Double round(double value, int decimals) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return null;
        }
        double scale = Math.pow(10, decimals);
        return Math.round(value * scale) / scale;
    }

    // ---- figures ---------------------------------------------------------------------------------------------------

    /**
     * What one workload did.
     *
     * @param seconds length of the measured window
     * @param transferred transfers that moved money and finished in the window
     * @param insufficient transfers that found too little on the source and finished in the window
     * @param retries attempts beyond the first of the transfers that finished in the window (redtx conflicts)
     * @param failures transfers that failed in the window, by exception type
     * @param firstFailures the first failure of each type
     * @param latency latencies (microseconds) of {@code transferred}
     * @param finishedForStats transfers finished between the two commandstats snapshots (window and drain)
     * @param commands the commandstats deltas
     * @param clientOnly for every command in {@code commands}, whether Redis refuses it inside scripts
     * @param balances the balances after the workload
     * @param intents redtx only: intents left once the runtime closed
     * @param droppedErrors errors Reactor dropped during the workload
     */
    record Result(
            Workload workload,
            double seconds,
            long transferred,
            long insufficient,
            long retries,
            Map<String, Long> failures,
            Map<String, Throwable> firstFailures,
            Histogram latency,
            long finishedForStats,
            CommandStats commands,
            Map<String, Boolean> clientOnly,
            Layout.Balances balances,
            IntentCount intents,
            long droppedErrors) {

        double txPerSec() {
            return transferred / seconds;
        }

        double percentileMs(double percentile) {
            return latency.getValueAtPercentile(percentile) / 1000.0;
        }

        double p99() {
            return latency.getTotalCount() == 0 ? Double.NaN : percentileMs(99);
        }

        double perTransfer(long count) {
            return finishedForStats == 0 ? Double.NaN : (double) count / finishedForStats;
        }

        /** @return for atomic workloads, whether the total held and nothing was left behind */
        boolean passed() {
            return !workload.atomic() || (balances.intact() && (intents == null || intents.none()));
        }

        /** @return PASS or FAIL for atomic workloads, {@code n/a} for raw-fanout */
        String balanceCheck() {
            return workload.atomic() ? (passed() ? "PASS" : "FAIL") : "n/a";
        }
    }

    /**
     * The figures of one phase of a workload (warm-up, measured window, drain). Fed from Reactor and Netty threads
     * with wait-free structures only: LongAdders, an HdrHistogram Recorder of fixed range (an auto-resizing
     * histogram would take a lock to grow), ConcurrentHashMaps; read by the main thread.
     */
    static final class Window {
        volatile long start;
        volatile long end;
        final LongAdder transferred = new LongAdder();
        final LongAdder insufficient = new LongAdder();
        /** Attempts beyond the first, of the transfers that finished (redtx re-runs a transfer after a conflict). */
        final LongAdder retries = new LongAdder();

        final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
        final Map<String, Throwable> firstFailures = new ConcurrentHashMap<>();
        final Recorder latency = new Recorder(MAX_LATENCY_MICROS, 3);

        void done(Workload.Outcome outcome, long nanos) {
            retries.add(outcome.attempts() - 1);
            if (outcome.moved()) {
                transferred.increment();
                latency.recordValue(Math.min(MAX_LATENCY_MICROS, Math.max(1, nanos / 1000)));
            } else {
                insufficient.increment();
            }
        }

        void failed(Throwable e) {
            String kind = e.getClass().getSimpleName();
            failures.computeIfAbsent(kind, k -> new LongAdder()).increment();
            firstFailures.putIfAbsent(kind, e);
        }

        long finished() {
            return transferred.sum()
                    + insufficient.sum()
                    + failures.values().stream().mapToLong(LongAdder::sum).sum();
        }

        Map<String, Long> failures() {
            Map<String, Long> m = new TreeMap<>();
            failures.forEach((k, v) -> m.put(k, v.sum()));
            return m;
        }
    }

    /** The progress line: workload, phase, elapsed and total seconds, tx/s of the last second. */
    private static final class Progress {
        private final Workload workload;
        private final long start;
        private final long warmupEnd;
        private final long end;
        long next;
        private long lastAt;
        private long lastCount;
        private final LongSupplier finished;

        Progress(Workload workload, long start, long warmupEnd, long end, LongSupplier finished) {
            this.workload = workload;
            this.finished = finished;
            this.start = start;
            this.warmupEnd = warmupEnd;
            this.end = end;
            this.next = start + PROGRESS_NANOS;
            this.lastAt = start;
        }

        String line(long now) {
            long count = finished.getAsLong();
            double secs = (now - lastAt) / 1e9;
            String when = now < warmupEnd
                    ? String.format(Locale.ROOT, "warm-up %d/%d s", seconds(now - start), seconds(warmupEnd - start))
                    : String.format(
                            Locale.ROOT, "measured %d/%d s", seconds(now - warmupEnd), seconds(end - warmupEnd));
            String line = String.format(
                    Locale.ROOT, "[%s %s] %.0f transfers/s", workload.id(), when, (count - lastCount) / secs);
            lastAt = now;
            lastCount = count;
            next = now + PROGRESS_NANOS;
            return line;
        }

        private static long seconds(long nanos) {
            return TimeUnit.NANOSECONDS.toSeconds(nanos);
        }
    }
}
