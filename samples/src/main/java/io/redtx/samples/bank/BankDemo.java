package io.redtx.samples.bank;

import io.redtx.api.AdmissionOptions;
import io.redtx.api.IntakeOptions;
import io.redtx.api.RedtxArgumentException;
import io.redtx.api.RetryPolicy;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.metrics.TransactionMetrics;
import io.redtx.runtime.RedisTransactionRuntime;
import io.redtx.samples.load.DroppedErrors;
import io.redtx.samples.load.EmbeddedServers;
import io.redtx.samples.load.Format;
import io.redtx.samples.load.ProgressLine;
import io.redtx.test.redis.Persistence;
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
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

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

    /** Lease of {@code --chaos}: short, so that recovery settles what a fault left soon after it. */
    static final Duration CHAOS_LEASE = Duration.ofMillis(1500);

    /** Prepare, commit and read timeouts of {@code --chaos}: a paused participant fails a phase quickly. */
    static final Duration CHAOS_PHASE_TIMEOUT = Duration.ofMillis(500);

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

    final PrintStream out;
    private final PrintStream err;
    private final Path runtimeLog;
    /** The live line on stderr (main thread), with the chaos thread's event lines. */
    final ProgressLine progress;

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
            try (EmbeddedServers servers =
                    EmbeddedServers.start(participants, inMemory ? Persistence.IN_MEMORY : Persistence.DURABLE)) {
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
                .connections(c -> c.requireSyncedWrites(durableServers));
        uris.forEach(options::participant);
        if (chaos) {
            // The fault suite's settings: a fault costs a few hundred milliseconds of timeouts, not seconds, and
            // what a fault leaves is settled soon after the lease.
            options.timeouts(t -> t.prepare(CHAOS_PHASE_TIMEOUT)
                            .commit(CHAOS_PHASE_TIMEOUT)
                            .read(CHAOS_PHASE_TIMEOUT)
                            .connect(Duration.ofSeconds(2))
                            .transaction(Duration.ofSeconds(15)))
                    .recovery(r -> r.lease(CHAOS_LEASE).interval(CHAOS_RECOVERY_INTERVAL));
        }
        // Every transaction of the intake and every audit holds an admission permit of the runtime: the runtime's
        // own limit must not be the one that caps the load (a rejection would be a failed transfer).
        int load = (intake != null ? intake : concurrency) + auditConcurrency;
        if (load > AdmissionOptions.DEFAULT_MAX_IN_FLIGHT) {
            options.admission(a -> a.maxInFlight(load));
        }
        return options.build();
    }

    private int run(EmbeddedServers servers, Map<String, String> uris) throws Exception {
        BankLoad.Live live = new BankLoad.Live();
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
            out.printf(
                    Locale.ROOT,
                    "seeded %d accounts in %.2f s%n",
                    accounts,
                    Format.seconds(System.nanoTime() - seedStart));

            BankReport report;
            try (DroppedErrors dropped = DroppedErrors.count()) {
                report = new BankLoad(this, servers, runtime, bank, live).run(dropped);
            }
            report.print(out);
            out.println(report.summary());
            if (json) {
                out.println(report.json());
            }
            out.flush();
            return report.ok() ? 0 : 1;
        } finally {
            runtime.closeGracefully().block(Duration.ofSeconds(60));
        }
    }

    private void header(EmbeddedServers servers, Map<String, String> uris) {
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

    String mode() {
        return intake == null
                ? "workers, concurrency " + concurrency
                : "intake, maxInFlight " + intake + " (unordered)";
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

    /** The URI with its password, if any, replaced by {@code ***}. */
    static String redact(String uri) {
        return uri.replaceFirst("//([^/@:]*):[^/@]*@", "//$1:***@");
    }
}
