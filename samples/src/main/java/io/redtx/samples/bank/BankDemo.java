package io.redtx.samples.bank;

import io.redtx.api.CommitProtocol;
import io.redtx.api.IntakeOptions;
import io.redtx.api.RecoveryReport;
import io.redtx.api.RedtxArgumentException;
import io.redtx.api.RetryPolicy;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.Transaction;
import io.redtx.api.TransactionConflictException;
import io.redtx.api.TransactionOutcome;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.metrics.TransactionMetrics;
import io.redtx.runtime.RedisTransactionRuntime;
import io.redtx.samples.ProgressLine;
import io.redtx.test.redis.IntentCount;
import io.redtx.test.redis.Persistence;
import io.redtx.test.redis.RedisServer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import java.util.stream.Stream;
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
 * redtx's main job, the bank demo: accounts spread over several Redis servers, concurrent transfers between them
 * (each one transaction, committed atomically on every server it touches, in two phases when it touches several) and
 * read-only audits of groups of accounts running alongside, for a warm-up and a measured window; a live progress line
 * on stderr; then a report (throughput, latency percentiles from HdrHistogram, outcomes by kind, conflicts, audits)
 * and the invariant check: the total never changes, no audit ever saw half a transfer, no intent is left behind.
 *
 * <p>Without {@code --participant} it starts {@code --participants} embedded {@code redis-server} processes on free
 * loopback ports, by default durable (AOF, {@code appendfsync always}; {@code --in-memory} turns it off), and stops
 * them at the end. With {@code --participant URI} (repeated) it runs against those servers instead: it refuses to
 * start if any of the account keys ({@code acct:0 .. acct:<accounts-1>}) already exists, writes nothing but those
 * keys and redtx's own {@code redtx:*} records (which expire), flushes nothing, and deletes the account keys at the
 * end if the checks passed.
 *
 * <p>{@code --chaos} (embedded, durable servers only) injects faults during the measured window from a second thread
 * ({@link Chaos}): {@code kill -9} and restart of a participant, {@code SIGSTOP} past the lease and {@code SIGCONT},
 * each printed on its own line; the runtime then runs with short timeouts and lease (like the fault suite) so that it
 * recovers quickly. At the end the demo waits out the lease and runs one {@link TransactionRuntime#recover()} pass
 * before the invariant check.
 *
 * <p>With {@code --intake N} the transfers are not run by {@code --concurrency} workers but fed, as an endless
 * demand-driven stream of random requests, through one {@link TransactionRuntime#intake intake} with at most {@code N}
 * in flight (unordered); the latency of a transfer then runs from the moment the stream emits its request (so it
 * includes the wait inside the intake) to the moment its outcome comes out. Audits run as in the default mode.
 *
 * <pre>{@code
 * ./mvnw -q -pl samples -am compile exec:java                                  # 30 s, 3 embedded servers
 * ./mvnw -q -pl samples -am compile exec:java -Dexec.args="--duration 15"      # quicker
 * ./mvnw -q -pl samples -am compile exec:java -Dexec.args="--chaos"            # kill -9 and SIGSTOP on the way
 * }</pre>
 *
 * <p>With {@code --json}, the last line of stdout is one JSON object with the report's figures. Exit status: 0 when
 * the checks passed; 1 when one failed or the run could not start or complete; 2 on bad options.
 */
@Command(
        name = "bank-demo",
        mixinStandardHelpOptions = true,
        version = "redtx bank-demo 0.1.0-SNAPSHOT",
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "redtx's main job: concurrent transfers between bank accounts spread over several Redis servers, each"
                    + " one transaction committed atomically on every server it touches, with read-only audits"
                    + " alongside. Shows live progress on stderr, then a report and the invariant check (the total"
                    + " never changes, no audit saw half a transfer, no intent left).",
            "Without --participant it starts its own redis-server processes on free loopback ports and stops them at"
                    + " the end.",
            ""
        },
        footer = {
            "",
            "With --participant the demo needs an empty or dedicated database: it refuses to start if any key"
                    + " acct:0 .. acct:<accounts-1> exists, writes only those keys and redtx's own redtx:* records"
                    + " (which expire), flushes nothing, and deletes the account keys at the end if the checks passed.",
            "",
            "Exit status: 0 the checks passed; 1 a check failed, or the run could not start or complete; 2 bad"
                    + " options.",
            "",
            "Examples, after ./mvnw -q -pl samples -am compile exec:java",
            "  -Dexec.args=\"--duration 15\"",
            "  -Dexec.args=\"--chaos --duration 30 --json\"",
            "  -Dexec.args=\"--participant redis://a:6379/15 --participant redis://b:6379/15\""
        })
public final class BankDemo implements Callable<Integer> {

    /** How long the load may overrun its window (draining in-flight transfers) before the program gives up. */
    static final Duration DRAIN_LIMIT = Duration.ofSeconds(60);

    /** Largest {@code --intake}: the upper bound of {@link IntakeOptions.Builder#maxInFlight(int)}. */
    static final int MAX_INTAKE = 100_000;

    /** How long a worker waits after a failed transfer or audit, like any client, rather than spin on a dead server. */
    static final Duration BACKOFF_AFTER_FAILURE = Duration.ofMillis(50);

    /** How often the progress line is rewritten. */
    static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(1);

    /** Lease of {@code --chaos}: short, so that recovery settles what a fault left soon after it. */
    static final Duration CHAOS_LEASE = Duration.ofMillis(1500);

    /** Prepare, commit and read timeouts of {@code --chaos}: a paused participant fails a phase quickly. */
    static final Duration CHAOS_PHASE_TIMEOUT = Duration.ofMillis(500);

    /**
     * Largest latency the histograms hold (longer ones count as this): a fixed range, because an auto-resizing
     * HdrHistogram takes a lock to grow, which would block the Reactor thread that records the value.
     */
    static final long MAX_LATENCY_MICROS = TimeUnit.MINUTES.toMicros(2);

    /** Background recovery period of {@code --chaos}. */
    static final Duration CHAOS_RECOVERY_INTERVAL = Duration.ofSeconds(1);

    @Spec
    CommandSpec spec;

    @Option(
            names = "--participants",
            paramLabel = "N",
            defaultValue = "3",
            description = "embedded redis-server participants to start (1 measures one-phase commits)."
                    + " Default: ${DEFAULT-VALUE}")
    int participants;

    @Option(
            names = "--participant",
            paramLabel = "URI",
            description = "a Redis server to use instead of embedded ones (repeat for each participant):"
                    + " redis://[[user:]password@]host[:port][/db], rediss://... for TLS. No embedded server starts;"
                    + " see the note below.")
    List<String> participantUris = new ArrayList<>();

    @Option(
            names = "--accounts",
            paramLabel = "N",
            defaultValue = "" + Bank.DEFAULT_ACCOUNTS,
            description =
                    "accounts, a multiple of 100 (transfers stay inside groups of 100). Default: ${DEFAULT-VALUE}")
    int accounts;

    @Option(
            names = "--initial-balance",
            paramLabel = "AMOUNT",
            defaultValue = "" + Bank.DEFAULT_INITIAL_BALANCE,
            description = "initial balance of every account. Default: ${DEFAULT-VALUE}")
    long initialBalance;

    @Option(
            names = "--concurrency",
            paramLabel = "N",
            defaultValue = "64",
            description = "transfers in flight at any time (ignored with --intake). Default: ${DEFAULT-VALUE}")
    int concurrency;

    @Option(
            names = "--intake",
            paramLabel = "N",
            description = "feed the transfers through one runtime.intake(...) with at most N in flight (unordered), "
                    + "instead of --concurrency workers; 1 to " + MAX_INTAKE + ". Default: off")
    Integer intake;

    @Option(
            names = "--duration",
            paramLabel = "SECONDS",
            defaultValue = "30",
            description = "measured seconds, after the warm-up. Default: ${DEFAULT-VALUE}")
    int durationSeconds;

    @Option(
            names = "--warmup",
            paramLabel = "SECONDS",
            defaultValue = "5",
            description = "warm-up seconds (the load runs, its figures are reported apart). Default: ${DEFAULT-VALUE}")
    int warmupSeconds;

    @Option(
            names = "--audit-concurrency",
            paramLabel = "N",
            defaultValue = "2",
            description = "read-only audits of random groups (100 accounts each) in flight at any time; 0 for none. "
                    + "Default: ${DEFAULT-VALUE}")
    int auditConcurrency;

    @Option(
            names = "--cross-participant",
            description = "always pick the destination on another participant than the source (every transfer"
                    + " commits in two phases)")
    boolean crossParticipant;

    @Option(
            names = "--in-memory",
            description = "run the embedded servers without persistence (faster; default: AOF, appendfsync always)")
    boolean inMemory;

    @Option(
            names = "--chaos",
            description = "during the measured window, kill -9 and restart the embedded participants, and SIGSTOP"
                    + " them past the lease, one at a time (the runtime then uses a "
                    + "1.5 s lease and 500 ms phase timeouts); at the end, wait out the lease and run one recovery"
                    + " pass before the checks")
    boolean chaos;

    @Option(
            names = "--max-attempts",
            paramLabel = "N",
            defaultValue = "20",
            description = "attempts per transaction, the first included (retry on conflict). Default: ${DEFAULT-VALUE}")
    int maxAttempts;

    @Option(
            names = "--seed",
            paramLabel = "SEED",
            description = "seed of the random choice of transfers and audited groups")
    Long seed;

    @Option(
            names = "--json",
            description = "also print the report's figures as one JSON object, the last line of stdout")
    boolean json;

    private final PrintStream out;
    private final PrintStream err;
    private final Path runtimeLog;
    /** The live line on stderr (main thread), with the chaos thread's event lines. */
    private final ProgressLine progress;

    /** Creates the command with its output on {@code System.out} and its progress on {@code System.err}. */
    public BankDemo() {
        this(System.out, System.err, null);
    }

    /**
     * @param out the report, event lines and the JSON line
     * @param err the progress line and error messages
     * @param runtimeLog the file the runtime's log goes to, reported at the end (deleted if empty), or {@code null}
     */
    BankDemo(PrintStream out, PrintStream err, Path runtimeLog) {
        this.out = out;
        this.err = err;
        this.progress = new ProgressLine(err);
        this.runtimeLog = runtimeLog;
    }

    /**
     * Entry point; exits with the status of {@link #call()} when it is not 0. The runtime's log (Lettuce's reconnect
     * attempts, redtx's warnings about roll-forwards left to recovery, both expected under {@code --chaos}) goes to a
     * temporary file rather than over the progress line, unless {@code org.slf4j.simpleLogger.logFile} is set.
     *
     * @param args the options; {@code --help} lists them
     */
    public static void main(String[] args) {
        Path log = null;
        if (System.getProperty("org.slf4j.simpleLogger.logFile") == null) {
            try {
                log = Files.createTempFile("redtx-bank-demo-", ".log");
                // Read when the first logger is created, which is later: nothing has logged yet.
                System.setProperty("org.slf4j.simpleLogger.logFile", log.toString());
            } catch (IOException e) {
                log = null; // the log then goes to stderr, the default
            }
        }
        int status = new CommandLine(new BankDemo(System.out, System.err, log)).execute(args);
        if (status != 0) {
            System.exit(status);
        }
    }

    /**
     * Runs the whole program: servers, seeding, load, checks, report. Blocks the calling thread (a plain thread, not
     * a Reactor one) until done; stops every server it started.
     *
     * @return 0 if every check passed, 1 if one failed or the demo refused to run
     * @throws ParameterException on bad options (exit status 2)
     * @throws Exception if a server cannot start or the run cannot complete
     */
    @Override
    public Integer call() throws Exception {
        validate();
        try {
            if (!participantUris.isEmpty()) {
                Map<String, String> uris = new LinkedHashMap<>();
                for (int i = 0; i < participantUris.size(); i++) {
                    uris.put("p" + i, participantUris.get(i));
                }
                return run(null, uris);
            }
            try (Servers servers =
                    Servers.start(participants, inMemory ? Persistence.IN_MEMORY : Persistence.DURABLE)) {
                Map<String, String> uris = new LinkedHashMap<>();
                for (int i = 0; i < participants; i++) {
                    uris.put("p" + i, servers.get(i).uri());
                }
                return run(servers, uris);
            }
        } finally {
            reportRuntimeLog();
        }
    }

    private void validate() {
        boolean external = !participantUris.isEmpty();
        check(
                !(external && spec.commandLine().getParseResult().hasMatchedOption("--participants")),
                "--participants (embedded servers to start) and --participant (servers to use) exclude each other");
        check(
                !(external && chaos),
                "--chaos cannot be used with --participant: it kills and pauses embedded servers only");
        check(!(external && inMemory), "--in-memory applies to embedded servers only, not to --participant");
        check(
                !(chaos && inMemory),
                "--chaos needs durable servers: a kill -9 of an --in-memory server loses its accounts");
        check(
                participants >= 1 && participants <= Bank.GROUP_SIZE,
                "--participants must be 1 to " + Bank.GROUP_SIZE + ", was " + participants);
        check(
                participantUris.size() <= Bank.GROUP_SIZE,
                "--participant may be given at most " + Bank.GROUP_SIZE + " times, was " + participantUris.size());
        RuntimeOptions.Builder probe = RuntimeOptions.builder();
        for (int i = 0; i < participantUris.size(); i++) {
            try {
                probe.participant("p" + i, participantUris.get(i));
            } catch (IllegalArgumentException | RedtxArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--participant: " + e.getMessage());
            }
        }
        check(
                accounts >= Bank.GROUP_SIZE && accounts % Bank.GROUP_SIZE == 0,
                "--accounts must be a positive multiple of " + Bank.GROUP_SIZE + ", was " + accounts);
        check(
                initialBalance >= 0 && initialBalance <= Long.MAX_VALUE / accounts,
                "--initial-balance must be >= 0 and the total must fit a long, was " + initialBalance);
        check(concurrency >= 1, "--concurrency must be >= 1, was " + concurrency);
        check(
                intake == null || (intake >= 1 && intake <= MAX_INTAKE),
                "--intake must be 1 to " + MAX_INTAKE + ", was " + intake);
        check(durationSeconds >= 1, "--duration must be at least 1 (seconds), was " + durationSeconds);
        check(warmupSeconds >= 0, "--warmup must be >= 0 (seconds), was " + warmupSeconds);
        check(auditConcurrency >= 0, "--audit-concurrency must be >= 0, was " + auditConcurrency);
        check(maxAttempts >= 1, "--max-attempts must be >= 1, was " + maxAttempts);
    }

    private void check(boolean ok, String message) {
        if (!ok) {
            throw new ParameterException(spec.commandLine(), message);
        }
    }

    private RuntimeOptions options(Map<String, String> uris, TransactionMetrics metrics, boolean durableServers) {
        RuntimeOptions.Builder options = RuntimeOptions.builder()
                .metrics(metrics)
                .retryPolicy(RetryPolicy.builder().maxAttempts(maxAttempts).build())
                // Servers this program starts durable must really sync every write: the runtime checks it.
                .requireSyncedWrites(durableServers);
        uris.forEach(options::participant);
        if (chaos) {
            // The fault suite's settings: a fault costs a few hundred milliseconds of timeouts, not seconds, and
            // what a fault leaves is settled soon after the lease.
            options.prepareTimeout(CHAOS_PHASE_TIMEOUT)
                    .commitTimeout(CHAOS_PHASE_TIMEOUT)
                    .readTimeout(CHAOS_PHASE_TIMEOUT)
                    .connectTimeout(Duration.ofSeconds(2))
                    .leaseDuration(CHAOS_LEASE)
                    .transactionTimeout(Duration.ofSeconds(15))
                    .recoveryInterval(CHAOS_RECOVERY_INTERVAL);
        }
        // Every transaction of the intake and every audit holds an admission permit of the runtime: the runtime's
        // own limit must not be the one that caps the load (a rejection would be a failed transfer).
        int load = (intake != null ? intake : concurrency) + auditConcurrency;
        if (load > RuntimeOptions.DEFAULT_MAX_IN_FLIGHT) {
            options.maxInFlight(load);
        }
        return options.build();
    }

    private int run(Servers servers, Map<String, String> uris) throws Exception {
        Live live = new Live();
        TransactionRuntime runtime = RedisTransactionRuntime.create(options(uris, live, servers != null && !inMemory));
        try {
            Bank bank = new Bank(runtime, List.copyOf(uris.keySet()), accounts, initialBalance);
            header(servers, uris);
            if (servers == null) {
                long existing = bank.countExisting().block(Duration.ofMinutes(5));
                if (existing > 0) {
                    err.printf(
                            Locale.ROOT,
                            "bank-demo: refusing to run: %d of the account keys acct:0 .. acct:%d already exist on the"
                                    + " --participant servers, and the demo would overwrite them. Use an empty or"
                                    + " dedicated database (redis://host:port/<db>), or delete those keys.%n",
                            existing,
                            accounts - 1);
                    return 1;
                }
            }
            long seedStart = System.nanoTime();
            bank.seed().block(Duration.ofMinutes(5));
            out.printf(Locale.ROOT, "seeded %d accounts in %.2f s%n", accounts, seconds(System.nanoTime() - seedStart));

            // A sibling operation cancelled by a failure (a conflicting prepare leg, a concurrent read of the same
            // transaction) may still signal its own failure; Reactor drops it and by default logs it as an ERROR
            // with its stack trace. Counted and reported instead, so that the figures stay readable.
            LongAdder droppedErrors = new LongAdder();
            Hooks.onErrorDropped(e -> droppedErrors.increment());
            try {
                return load(servers, runtime, bank, live, droppedErrors);
            } finally {
                Hooks.resetOnErrorDropped();
            }
        } finally {
            runtime.closeGracefully().block(Duration.ofSeconds(60));
        }
    }

    private void header(Servers servers, Map<String, String> uris) {
        String where;
        if (servers == null) {
            List<String> shown = new ArrayList<>();
            uris.forEach((name, uri) -> shown.add(name + "=" + redact(uri)));
            where = uris.size() + " participant(s) " + String.join(", ", shown);
        } else {
            where = String.format(
                    Locale.ROOT,
                    "%d embedded redis-server %s participant(s), %s",
                    participants,
                    servers.get(0).version(),
                    inMemory ? "in memory" : "AOF appendfsync always");
        }
        out.printf(
                Locale.ROOT,
                "bank-demo: %s; %d accounts x %d, %s, %d audit(s) in flight, %s transfers, max %d attempts,"
                        + " warm-up %d s, measured %d s%s%n",
                where,
                accounts,
                initialBalance,
                mode(),
                auditConcurrency,
                crossParticipant ? "cross-participant" : "random",
                maxAttempts,
                warmupSeconds,
                durationSeconds,
                chaos
                        ? String.format(
                                Locale.ROOT,
                                "; chaos (lease %d ms, phase timeouts %d ms, recovery every %d s)",
                                CHAOS_LEASE.toMillis(),
                                CHAOS_PHASE_TIMEOUT.toMillis(),
                                CHAOS_RECOVERY_INTERVAL.toSeconds())
                        : "");
    }

    private int load(Servers servers, TransactionRuntime runtime, Bank bank, Live live, LongAdder droppedErrors)
            throws Exception {
        Random random = seed == null ? new Random() : new Random(seed);
        Window warmup = new Window("warm-up");
        AtomicReference<Window> current = new AtomicReference<>(warmup);
        // Until the clock starts, below, the load has no end.
        AtomicLong deadline = new AtomicLong(Long.MAX_VALUE);
        Mono<Void> transfers = intake == null
                ? ticks(deadline)
                        .flatMap(tick -> timedTransfer(bank, random, current, live), concurrency)
                        .then()
                : intakeTransfers(runtime, bank, random, current, live, deadline);
        Mono<Void> audits = auditConcurrency == 0
                ? Mono.empty()
                : ticks(deadline)
                        .flatMap(tick -> timedAudit(bank, random, current), auditConcurrency)
                        .then();
        CompletableFuture<Void> load = Mono.when(transfers, audits).toFuture();
        // Subscribing starts the first transactions on this thread, which takes a while in a fresh JVM (class loading,
        // the first scripts): the clock starts once it is done, so that the windows get their full length.
        long start = System.nanoTime();
        long warmupEnd = start + TimeUnit.SECONDS.toNanos(warmupSeconds);
        long end = warmupEnd + TimeUnit.SECONDS.toNanos(durationSeconds);
        deadline.set(end);

        // The main thread only watches the clock: it rewrites the progress line every second and switches the
        // window at the end of the warm-up and of the measured period. Faults come from a thread of their own.
        Progress ticks = new Progress(start, warmupEnd, end, live);
        progress.watch(warmupEnd, load, () -> ticks.next, ticks::line);
        Window measured = new Window("measured");
        measured.start = System.nanoTime();
        current.set(measured);
        Chaos faults = null;
        Thread faultThread = null;
        if (chaos) {
            faults = new Chaos(servers.list(), bank.participants(), CHAOS_LEASE, start, end, this::event);
            faultThread = new Thread(faults, "bank-demo-chaos");
            faultThread.setDaemon(true);
            faultThread.start();
        }
        Window drain = new Window("drain");
        try {
            progress.watch(end, load, () -> ticks.next, ticks::line);
            measured.end = System.nanoTime();
            current.set(drain);
        } finally {
            if (faults != null) {
                faults.stop();
                // Every fault is healed before the thread ends: only then may the drain wait for the transfers.
                faultThread.join(TimeUnit.SECONDS.toMillis(60));
            }
        }
        try {
            load.get(DRAIN_LIMIT.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            load.cancel(true);
            throw new IllegalStateException("in-flight transfers did not finish within " + DRAIN_LIMIT, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("the load pipeline failed", e.getCause());
        } finally {
            progress.clear();
        }

        RecoveryReport recovery = null;
        if (chaos) {
            // Past the lease every intent a fault left is expired: one pass settles them all (the background pass
            // may already have), so the checks below read a settled state.
            out.printf(Locale.ROOT, "waiting out the %d ms lease, then one recovery pass%n", CHAOS_LEASE.toMillis());
            Thread.sleep(CHAOS_LEASE.toMillis() + 500);
            recovery = runtime.recover().block(Duration.ofMinutes(1));
        }
        Bank.Invariant invariant = null;
        Throwable invariantError = null;
        try {
            invariant = bank.checkInvariant().block(Duration.ofMinutes(5));
        } catch (RuntimeException e) {
            invariantError = e;
        }
        long auditViolations =
                measured.auditViolations.sum() + warmup.auditViolations.sum() + drain.auditViolations.sum();
        boolean invariantHolds = invariant != null && invariant.holds() && auditViolations == 0;
        String cleanUp = servers == null ? cleanUp(bank, invariantHolds) : null;
        // Background roll-forwards and clean-ups finish before the runtime closes; only then are leftovers real.
        runtime.closeGracefully().block(Duration.ofSeconds(60));
        IntentCount leftovers =
                servers == null ? null : IntentCount.on(RuntimeOptions.DEFAULT_NAMESPACE, servers.list());
        Throwable chaosFailure = faults == null ? null : faults.failure();
        boolean ok = invariantHolds && (leftovers == null || leftovers.none()) && chaosFailure == null;

        Report report = new Report(
                measured,
                warmup,
                drain,
                live,
                measured.latency.getIntervalHistogram(),
                invariant,
                invariantError,
                auditViolations,
                invariantHolds,
                leftovers,
                recovery,
                faults == null ? Map.of() : faults.injected(),
                chaosFailure,
                droppedErrors.sum(),
                cleanUp,
                ok);
        print(report);
        out.println(summary(report));
        if (json) {
            out.println(json(report, servers));
        }
        out.flush();
        return ok ? 0 : 1;
    }

    /**
     * With {@code --participant}: deletes the accounts the demo wrote once the checks passed, or keeps them for
     * inspection.
     *
     * @return what was done, for the report
     */
    private String cleanUp(Bank bank, boolean checksPassed) {
        String keys = "the account keys acct:0 .. acct:" + (accounts - 1);
        if (!checksPassed) {
            return "kept " + keys + " for inspection; delete them before the next run";
        }
        try {
            bank.deleteAccounts().block(Duration.ofMinutes(5));
            return "deleted " + keys;
        } catch (RuntimeException e) {
            return "could not delete " + keys + ": " + describe(e);
        }
    }

    /** An endless stream of ticks, one per request, that completes once the clock passes {@code end}. */
    private static Flux<Integer> ticks(AtomicLong end) {
        return Flux.<Integer>generate(sink -> sink.next(0)).takeWhile(tick -> System.nanoTime() < end.get());
    }

    /**
     * The transfers of {@code --intake} mode: one intake fed by {@link #ticks(AtomicLong)}, so the source makes a
     * request only when the intake asks for one and completes at {@code end}. Stopping the source rather than
     * cancelling the outcomes lets the transfers in flight finish (a cancel would roll them back); the intake then
     * completes once their outcomes are out, which is the drain.
     */
    private Mono<Void> intakeTransfers(
            TransactionRuntime runtime,
            Bank bank,
            Random random,
            AtomicReference<Window> current,
            Live live,
            AtomicLong end) {
        Flux<TransferRequest> requests = ticks(end)
                .map(tick -> new TransferRequest(bank.randomTransfer(random, crossParticipant), System.nanoTime()));
        IntakeOptions options =
                IntakeOptions.builder().maxInFlight(intake).ordered(false).build();
        return runtime.intake(requests, (TransferRequest r, Transaction tx) -> bank.transfer(tx, r.order()), options)
                .doOnNext(o -> recordOutcome(o, current.get(), live))
                .then();
    }

    private void recordOutcome(TransactionOutcome<TransferRequest, Bank.Status> o, Window window, Live live) {
        TransferRequest r = o.request();
        if (o.status() == TransactionOutcome.Status.COMMITTED) {
            Bank.Transfer t = new Bank.Transfer(r.order(), o.value(), o.commit());
            long nanos = System.nanoTime() - r.emittedAt();
            window.transferDone(t, nanos);
            live.transferDone(t, nanos);
        } else {
            window.transferFailed(o.error(), maxAttempts);
        }
    }

    private String mode() {
        return intake == null
                ? "workers, concurrency " + concurrency
                : "intake, maxInFlight " + intake + " (unordered)";
    }

    private Mono<Void> timedTransfer(Bank bank, Random random, AtomicReference<Window> current, Live live) {
        return Mono.defer(() -> {
            long start = System.nanoTime();
            return bank.transfer(random, crossParticipant)
                    .doOnNext(t -> {
                        long nanos = System.nanoTime() - start;
                        current.get().transferDone(t, nanos);
                        live.transferDone(t, nanos);
                    })
                    .then()
                    .onErrorResume(e -> {
                        current.get().transferFailed(e, maxAttempts);
                        return Mono.delay(BACKOFF_AFTER_FAILURE).then();
                    });
        });
    }

    private static Mono<Void> timedAudit(Bank bank, Random random, AtomicReference<Window> current) {
        return Mono.defer(() -> {
            long start = System.nanoTime();
            return bank.audit(random.nextInt(bank.groups()))
                    .doOnNext(a -> current.get().auditDone(a, System.nanoTime() - start))
                    .then()
                    .onErrorResume(e -> {
                        current.get().auditFailed(e);
                        return Mono.delay(BACKOFF_AFTER_FAILURE).then();
                    });
        });
    }

    /** One line of its own (a fault event): blanks the progress line first; the next tick writes it again. */
    private void event(String line) {
        progress.event(out, line);
    }

    private void print(Report r) {
        Window m = r.measured();
        double secs = seconds(m.end - m.start);
        Histogram all = r.latency();
        out.printf(Locale.ROOT, "== report: %s; measured window %.2f s%n", mode(), secs);
        out.printf(
                Locale.ROOT,
                "transfers committed: %d (%.1f/s)  [one-phase %d, two-phase %d]%n",
                m.committed.sum(),
                m.committed.sum() / secs,
                m.byProtocol(CommitProtocol.ONE_PHASE),
                m.byProtocol(CommitProtocol.TWO_PHASE));
        out.println("latency of committed transfers (ms, retries included"
                + (intake == null ? "" : ", from the request's emission to its outcome") + "): " + percentiles(all));
        for (CommitProtocol p : List.of(CommitProtocol.ONE_PHASE, CommitProtocol.TWO_PHASE)) {
            Histogram h = m.latencyByProtocol.get(p).getIntervalHistogram();
            if (h.getTotalCount() > 0) {
                out.println("  " + p + ": " + percentiles(h));
            }
        }
        out.println("outcomes: " + m.outcomes());
        out.printf(
                Locale.ROOT,
                "conflicts: %d in the whole run (every transaction); retries in the window: %d conflicted attempts"
                        + " retried (%d committed transfers needed more than one attempt, max %d attempts)%n",
                r.live().conflicts.sum(),
                m.retries.sum(),
                m.retried.sum(),
                m.maxAttemptsSeen.get());
        new TreeMap<>(m.firstFailures).forEach((kind, e) -> out.println("  first " + kind + ": " + describe(e)));
        Histogram audit = m.auditLatency.getIntervalHistogram();
        out.printf(
                Locale.ROOT,
                "audits: %d done (%.1f/s), %d saw a wrong group sum, %d failed %s, %d retries; latency ms %s%n",
                m.audits.sum(),
                m.audits.sum() / secs,
                m.auditViolations.sum(),
                m.auditsFailedTotal(),
                m.auditsFailedByType(),
                m.auditRetries.sum(),
                percentiles(audit));
        Window w = r.warmup();
        Window d = r.drain();
        out.printf(
                Locale.ROOT,
                "outside the window: warm-up %d committed, %d failed, %d audits (%d violations); drain %d committed,"
                        + " %d failed, %d audits (%d violations)%n",
                w.committed.sum(),
                w.failedTotal(),
                w.audits.sum(),
                w.auditViolations.sum(),
                d.committed.sum(),
                d.failedTotal(),
                d.audits.sum(),
                d.auditViolations.sum());
        if (chaos) {
            out.printf(
                    Locale.ROOT,
                    "faults injected: %d kill -9 and restart, %d SIGSTOP past the lease%s%n",
                    r.faults().getOrDefault(Chaos.KILL, 0L),
                    r.faults().getOrDefault(Chaos.PAUSE, 0L),
                    r.chaosFailure() == null ? "" : "; FAILED: " + describe(r.chaosFailure()));
            out.println("recovery pass: " + r.recovery());
        }
        if (r.invariant() == null) {
            out.println("invariant: could not be checked: " + describe(r.invariantError()) + ": FAIL");
        } else {
            Bank.Invariant inv = r.invariant();
            out.printf(
                    Locale.ROOT,
                    "invariant: total %d, expected %d; %d groups, %d inconsistent; %d audits saw a wrong group sum"
                            + " during the run: %s%n",
                    inv.total(),
                    inv.expected(),
                    inv.groups(),
                    inv.inconsistentGroups().size(),
                    r.auditViolations(),
                    r.invariantHolds() ? "PASS" : "FAIL " + inv.inconsistentGroups());
        }
        if (r.cleanUp() != null) {
            out.println("clean-up: " + r.cleanUp());
        }
        IntentCount leftovers = r.leftovers();
        if (leftovers == null) {
            out.println("intents left: not counted on --participant servers");
        } else {
            out.printf(
                    Locale.ROOT,
                    "intents left: %d lock keys, %d index entries, %d prepared records: %s%n",
                    leftovers.locks(),
                    leftovers.indexEntries(),
                    leftovers.prepared(),
                    leftovers.none() ? "PASS" : "FAIL");
        }
        out.printf(
                Locale.ROOT,
                "errors dropped after cancellation (a sibling leg or read had already failed): %d%n",
                r.droppedErrors());
    }

    private String summary(Report r) {
        Window m = r.measured();
        Histogram h = r.latency();
        return String.format(
                Locale.ROOT,
                "RESULT: %s  %.1f transfers/s, p99 %s ms, invariant %s%s",
                r.ok() ? "PASS" : "FAIL",
                m.committed.sum() / seconds(m.end - m.start),
                h.getTotalCount() == 0 ? "n/a" : String.format(Locale.ROOT, "%.2f", millis(h, 99)),
                r.invariantHolds() ? "PASS" : "FAIL",
                chaos ? ", faults " + r.faultsTotal() + " " + r.faults() : "");
    }

    private String json(Report r, Servers servers) {
        Window m = r.measured();
        Histogram h = r.latency();
        double secs = seconds(m.end - m.start);
        boolean any = h.getTotalCount() > 0;
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("mode", intake == null ? "workers" : "intake");
        j.put("servers", servers == null ? "external" : "embedded");
        j.put("persistence", servers == null ? null : inMemory ? "in-memory" : "aof-always");
        j.put("chaos", chaos);
        j.put("participants", servers == null ? participantUris.size() : participants);
        j.put("accounts", accounts);
        j.put("concurrency", intake == null ? concurrency : intake);
        j.put("durationSec", round(secs, 3));
        j.put("transfersCommitted", m.committed.sum());
        j.put("txPerSec", round(m.committed.sum() / secs, 1));
        j.put("p50Ms", any ? round(millis(h, 50), 3) : null);
        j.put("p99Ms", any ? round(millis(h, 99), 3) : null);
        j.put("p999Ms", any ? round(millis(h, 99.9), 3) : null);
        j.put("maxMs", any ? round(h.getMaxValue() / 1000.0, 3) : null);
        j.put("outcomes", m.outcomes());
        j.put("conflicts", r.live().conflicts.sum());
        j.put("audits", m.audits.sum());
        j.put("auditViolations", r.auditViolations());
        j.put("invariant", r.invariantHolds() ? "PASS" : "FAIL");
        j.put("intentsLeft", r.leftovers() == null ? null : intents(r.leftovers()));
        j.put("faults", r.faults());
        j.put("faultsInjected", r.faultsTotal());
        j.put("result", r.ok() ? "PASS" : "FAIL");
        return JsonMapper.shared().writeValueAsString(j);
    }

    private static long intents(IntentCount c) {
        return c.locks() + c.indexEntries() + c.prepared();
    }

    private void reportRuntimeLog() {
        if (runtimeLog == null) {
            return;
        }
        try {
            long lines;
            try (Stream<String> s = Files.lines(runtimeLog)) {
                lines = s.count();
            }
            if (lines == 0) {
                Files.deleteIfExists(runtimeLog);
            } else {
                err.printf(Locale.ROOT, "runtime log (%d lines): %s%n", lines, runtimeLog);
            }
        } catch (IOException | RuntimeException e) {
            err.println("runtime log: " + runtimeLog);
        }
    }

    /** One line: the error, its causes, and what it combines (Reactor's composite), each with where redtx made it. */
    static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            sb.append(t == e ? "" : " <- caused by ").append(t).append(origin(t));
            for (Throwable s : t.getSuppressed()) {
                sb.append(" [+ ").append(s).append(origin(s)).append(']');
            }
        }
        return sb.toString();
    }

    private static String origin(Throwable t) {
        for (StackTraceElement frame : t.getStackTrace()) {
            if (frame.getClassName().startsWith("io.redtx.")) {
                return " (at " + frame + ")";
            }
        }
        return "";
    }

    /** The URI with its password, if any, replaced by {@code ***}. */
    static String redact(String uri) {
        return uri.replaceFirst("//([^/@:]*):[^/@]*@", "//$1:***@");
    }

    private static String percentiles(Histogram h) {
        if (h.getTotalCount() == 0) {
            return "n/a";
        }
        return String.format(
                Locale.ROOT,
                "p50 %.2f  p99 %.2f  p999 %.2f  max %.2f  (n=%d)",
                millis(h, 50),
                millis(h, 99),
                millis(h, 99.9),
                h.getMaxValue() / 1000.0,
                h.getTotalCount());
    }

    private static double millis(Histogram h, double percentile) {
        return h.getValueAtPercentile(percentile) / 1000.0;
    }

    /** A recorder of latencies in microseconds, 1 to {@link #MAX_LATENCY_MICROS}, never resized (never locking). */
    static Recorder recorder() {
        return new Recorder(MAX_LATENCY_MICROS, 3);
    }

    /** @return {@code nanos} in microseconds, within what {@link #recorder()} holds */
    static long micros(long nanos) {
        return Math.min(MAX_LATENCY_MICROS, Math.max(1, nanos / 1000));
    }

    private static double round(double value, int decimals) {
        double scale = Math.pow(10, decimals);
        return Math.round(value * scale) / scale;
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }

    /**
     * The figures {@link #print}, {@link #summary} and {@link #json} report.
     *
     * @param latency the latency of the measured window's committed transfers (a Recorder's interval histogram can be
     *     taken only once, so it is taken once, here)
     * @param invariant the final check, or {@code null} if it could not run ({@code invariantError} says why)
     * @param leftovers intents left on the embedded servers, or {@code null} with {@code --participant}
     * @param recovery the final recovery pass of {@code --chaos}, or {@code null}
     * @param faults faults injected by kind, empty without {@code --chaos}
     * @param cleanUp what became of the account keys on {@code --participant} servers, or {@code null}
     */
    private record Report(
            Window measured,
            Window warmup,
            Window drain,
            Live live,
            Histogram latency,
            Bank.Invariant invariant,
            Throwable invariantError,
            long auditViolations,
            boolean invariantHolds,
            IntentCount leftovers,
            RecoveryReport recovery,
            Map<String, Long> faults,
            Throwable chaosFailure,
            long droppedErrors,
            String cleanUp,
            boolean ok) {

        long faultsTotal() {
            return faults.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** The progress line: elapsed and remaining time, transfers/s and p99 of the last second, conflicts, in flight. */
    private final class Progress {
        private final long start;
        private final long warmupEnd;
        private final long end;
        private final Live live;
        private long next;
        private long lastAt;
        private Histogram interval;

        Progress(long start, long warmupEnd, long end, Live live) {
            this.start = start;
            this.warmupEnd = warmupEnd;
            this.end = end;
            this.live = live;
            this.next = start + PROGRESS_INTERVAL.toNanos();
            this.lastAt = start;
        }

        String line(long now) {
            interval = interval == null
                    ? live.lastSecond.getIntervalHistogram()
                    : live.lastSecond.getIntervalHistogram(interval);
            double secs = seconds(now - lastAt);
            lastAt = now;
            next = now + PROGRESS_INTERVAL.toNanos();
            String when = now < warmupEnd
                    ? String.format(Locale.ROOT, "warm-up %d/%d s", secondsOf(now - start), warmupSeconds)
                    : String.format(
                            Locale.ROOT,
                            "%d/%d s, %d s left",
                            secondsOf(now - warmupEnd),
                            durationSeconds,
                            Math.max(0, secondsOf(end - now + TimeUnit.MILLISECONDS.toNanos(999))));
            return String.format(
                    Locale.ROOT,
                    "[%s] %.0f transfers/s, p99 %s ms, %d conflicts, %d in flight",
                    when,
                    interval.getTotalCount() / secs,
                    interval.getTotalCount() == 0 ? "-" : String.format(Locale.ROOT, "%.1f", millis(interval, 99)),
                    live.conflicts.sum(),
                    live.inFlight.getAsInt());
        }

        private long secondsOf(long nanos) {
            return TimeUnit.NANOSECONDS.toSeconds(nanos);
        }
    }

    /**
     * What the progress line shows, fed from Reactor and Netty threads with wait-free structures only: the runtime's
     * metrics SPI (conflicts, the in-flight count) and the committed transfers of every window.
     */
    static final class Live implements TransactionMetrics {
        final LongAdder conflicts = new LongAdder();
        final Recorder lastSecond = recorder();
        volatile IntSupplier inFlight = () -> 0;

        void transferDone(Bank.Transfer t, long nanos) {
            if (t.status() == Bank.Status.TRANSFERRED) {
                lastSecond.recordValue(micros(nanos));
            }
        }

        @Override
        public void conflict(TransactionConflictException.Reason reason) {
            conflicts.increment();
        }

        @Override
        public void inFlight(IntSupplier inFlight) {
            this.inFlight = inFlight;
        }
    }

    /**
     * Figures of one phase of the run. Updated from Reactor and Netty threads with wait-free structures only
     * (LongAdder, HdrHistogram's Recorder, ConcurrentHashMap); read by the main thread.
     */
    static final class Window {
        final String name;
        volatile long start;
        volatile long end;
        final LongAdder committed = new LongAdder();
        final LongAdder insufficient = new LongAdder();
        final LongAdder retries = new LongAdder();
        final LongAdder retried = new LongAdder();
        final AtomicInteger maxAttemptsSeen = new AtomicInteger();
        final Map<CommitProtocol, LongAdder> protocols = new ConcurrentHashMap<>();
        final Map<String, LongAdder> failed = new ConcurrentHashMap<>();
        final Recorder latency = recorder();
        final Map<CommitProtocol, Recorder> latencyByProtocol = Map.of(
                CommitProtocol.ONE_PHASE, recorder(),
                CommitProtocol.TWO_PHASE, recorder(),
                CommitProtocol.NONE, recorder());
        final LongAdder audits = new LongAdder();
        final LongAdder auditViolations = new LongAdder();
        final LongAdder auditRetries = new LongAdder();
        final Map<String, LongAdder> auditsFailed = new ConcurrentHashMap<>();
        final Recorder auditLatency = recorder();
        /** The first failure of each kind ("transfer X", "audit X"), for the report. */
        final Map<String, Throwable> firstFailures = new ConcurrentHashMap<>();

        Window(String name) {
            this.name = name;
        }

        void transferDone(Bank.Transfer t, long nanos) {
            int attempts = t.commit().attempts();
            if (attempts > 1) {
                retries.add(attempts - 1);
                retried.increment();
            }
            maxAttemptsSeen.accumulateAndGet(attempts, Math::max);
            if (t.status() == Bank.Status.INSUFFICIENT_FUNDS) {
                insufficient.increment();
                return;
            }
            committed.increment();
            protocols
                    .computeIfAbsent(t.commit().protocol(), p -> new LongAdder())
                    .increment();
            long micros = micros(nanos);
            latency.recordValue(micros);
            latencyByProtocol.get(t.commit().protocol()).recordValue(micros);
        }

        void transferFailed(Throwable e, int maxAttempts) {
            if (e instanceof TransactionConflictException) {
                retries.add(maxAttempts - 1);
            }
            failed.computeIfAbsent(e.getClass().getSimpleName(), k -> new LongAdder())
                    .increment();
            firstFailures.putIfAbsent("transfer " + e.getClass().getSimpleName(), e);
        }

        void auditDone(Bank.Audit a, long nanos) {
            audits.increment();
            if (!a.consistent()) {
                auditViolations.increment();
            }
            auditRetries.add(a.commit().attempts() - 1);
            auditLatency.recordValue(micros(nanos));
        }

        void auditFailed(Throwable e) {
            auditsFailed
                    .computeIfAbsent(e.getClass().getSimpleName(), k -> new LongAdder())
                    .increment();
            firstFailures.putIfAbsent("audit " + e.getClass().getSimpleName(), e);
        }

        long byProtocol(CommitProtocol p) {
            LongAdder a = protocols.get(p);
            return a == null ? 0 : a.sum();
        }

        /**
         * @return the transfers of this window by how they ended: {@code transferred}, {@code insufficientFunds}
         *     (committed read-only), then failures by exception type
         */
        Map<String, Long> outcomes() {
            Map<String, Long> m = new LinkedHashMap<>();
            m.put("transferred", committed.sum());
            m.put("insufficientFunds", insufficient.sum());
            m.putAll(snapshot(failed));
            return m;
        }

        long failedTotal() {
            return sum(failed);
        }

        Map<String, Long> failedByType() {
            return snapshot(failed);
        }

        long auditsFailedTotal() {
            return sum(auditsFailed);
        }

        Map<String, Long> auditsFailedByType() {
            return snapshot(auditsFailed);
        }

        static long sum(Map<String, LongAdder> counts) {
            return counts.values().stream().mapToLong(LongAdder::sum).sum();
        }

        static Map<String, Long> snapshot(Map<String, LongAdder> counts) {
            Map<String, Long> m = new TreeMap<>();
            counts.forEach((k, v) -> m.put(k, v.sum()));
            return m;
        }
    }

    /** One transfer of {@code --intake} mode, chosen when the source emits it; {@code emittedAt} starts its latency. */
    record TransferRequest(Bank.TransferOrder order, long emittedAt) {}

    /** The servers this program started; closing stops them all (by pid) and deletes their data. */
    static final class Servers implements AutoCloseable {
        private final List<RedisServer> list = new ArrayList<>();

        static Servers start(int count, Persistence persistence) {
            Servers servers = new Servers();
            try {
                for (int i = 0; i < count; i++) {
                    servers.list.add(RedisServer.start(persistence));
                }
                return servers;
            } catch (RuntimeException e) {
                servers.close();
                throw e;
            }
        }

        RedisServer get(int i) {
            return list.get(i);
        }

        List<RedisServer> list() {
            return list;
        }

        @Override
        public void close() {
            RuntimeException failure = null;
            for (RedisServer s : list) {
                try {
                    s.close();
                } catch (RuntimeException e) {
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
            if (failure != null) {
                throw failure;
            }
        }
    }
}
