package io.redtx.samples.bank;

import io.redtx.api.CommitProtocol;
import io.redtx.api.IntakeOptions;
import io.redtx.api.RetryPolicy;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.Transaction;
import io.redtx.api.TransactionConflictException;
import io.redtx.api.TransactionOutcome;
import io.redtx.api.TransactionRuntime;
import io.redtx.runtime.RedisTransactionRuntime;
import io.redtx.test.redis.IntentCount;
import io.redtx.test.redis.Persistence;
import io.redtx.test.redis.RedisServer;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
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
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
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
 * Load program of the bank workload: starts {@code --participants} embedded {@code redis-server} processes, seeds a
 * {@link Bank}, runs random transfers at a fixed concurrency (plus a few concurrent read-only audits of random groups)
 * for a warm-up and a measured window, then checks the invariant and prints throughput, latency percentiles
 * (HdrHistogram), retries, failures and audit results. With one participant every transfer commits in one phase;
 * with several, most (all with {@code --cross-participant}) commit in two.
 *
 * <p>With {@code --intake N} the transfers are not run by {@code --concurrency} workers but fed, as an endless
 * demand-driven stream of random requests, through one {@link TransactionRuntime#intake intake} with at most {@code N}
 * in flight (unordered); the latency of a transfer then runs from the moment the stream emits its request (so it
 * includes the wait inside the intake) to the moment its outcome comes out. Audits run as in the default mode.
 *
 * <pre>{@code
 * ./mvnw -q -pl samples -am compile exec:java -Dexec.mainClass=io.redtx.samples.bank.BankLoad \
 *     -Dexec.args="--participants 3 --duration 20"
 * }</pre>
 *
 * <p>Exit status: 0 when the invariant holds, no audit saw a wrong group sum and no intent was left behind; 1
 * otherwise; 2 on bad options.
 */
@Command(
        name = "bank-load",
        mixinStandardHelpOptions = true,
        version = "redtx bank-load 0.1.0-SNAPSHOT",
        sortOptions = false,
        description = "Runs the redtx bank workload against embedded redis-server participants and prints "
                + "throughput, latency percentiles and the invariant check.")
public final class BankLoad implements Callable<Integer> {

    /** How long the load may overrun its window (draining in-flight transfers) before the program gives up. */
    static final Duration DRAIN_LIMIT = Duration.ofSeconds(60);

    /** Largest {@code --intake}: the upper bound of {@link IntakeOptions.Builder#maxInFlight(int)}. */
    static final int MAX_INTAKE = 100_000;

    @Spec
    CommandSpec spec;

    @Option(
            names = "--participants",
            defaultValue = "3",
            description =
                    "redis-server participants to start (1 measures one-phase commits). Default: ${DEFAULT-VALUE}")
    int participants;

    @Option(
            names = "--accounts",
            defaultValue = "" + Bank.DEFAULT_ACCOUNTS,
            description = "accounts, a multiple of 100. Default: ${DEFAULT-VALUE}")
    int accounts;

    @Option(
            names = "--initial-balance",
            defaultValue = "" + Bank.DEFAULT_INITIAL_BALANCE,
            description = "initial balance of every account. Default: ${DEFAULT-VALUE}")
    long initialBalance;

    @Option(
            names = "--concurrency",
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
            defaultValue = "20",
            description = "measured seconds, after the warm-up. Default: ${DEFAULT-VALUE}")
    int durationSeconds;

    @Option(
            names = "--warmup",
            defaultValue = "5",
            description = "warm-up seconds (load runs, figures are discarded). Default: ${DEFAULT-VALUE}")
    int warmupSeconds;

    @Option(
            names = "--audit-concurrency",
            defaultValue = "2",
            description = "read-only audits of random groups (100 accounts each) in flight at any time; 0 for none. "
                    + "Default: ${DEFAULT-VALUE}")
    int auditConcurrency;

    @Option(
            names = "--cross-participant",
            description = "always pick the destination on another participant than the source (pure two-phase load)")
    boolean crossParticipant;

    @Option(names = "--durable", description = "run the servers with AOF and appendfsync always (default: in memory)")
    boolean durable;

    @Option(
            names = "--max-attempts",
            defaultValue = "20",
            description = "attempts per transaction, the first included (retry on conflict). Default: ${DEFAULT-VALUE}")
    int maxAttempts;

    @Option(names = "--seed", description = "seed of the random choice of transfers and audited groups")
    Long seed;

    private final PrintStream out;

    /** Creates the command with its output on {@code System.out}. */
    public BankLoad() {
        this(System.out);
    }

    BankLoad(PrintStream out) {
        this.out = out;
    }

    /**
     * Entry point; exits with the status of {@link #call()} when it is not 0.
     *
     * @param args the options; {@code --help} lists them
     */
    public static void main(String[] args) {
        int status = new CommandLine(new BankLoad()).execute(args);
        if (status != 0) {
            System.exit(status);
        }
    }

    /**
     * Runs the whole program: servers, seeding, load, checks, report. Blocks the calling thread (a plain thread, not
     * a Reactor one) until done; stops every server it started.
     *
     * @return 0 if every check passed, 1 if one failed
     * @throws Exception if a server cannot start or the run cannot complete
     */
    @Override
    public Integer call() throws Exception {
        validate();
        Persistence persistence = durable ? Persistence.DURABLE : Persistence.IN_MEMORY;
        try (Servers servers = Servers.start(participants, persistence)) {
            RuntimeOptions.Builder options = RuntimeOptions.builder()
                    .retryPolicy(RetryPolicy.builder().maxAttempts(maxAttempts).build());
            List<String> names = new ArrayList<>();
            for (int i = 0; i < participants; i++) {
                names.add("p" + i);
                options.participant("p" + i, servers.get(i).uri());
            }
            // Every transaction of the intake and every audit holds an admission permit of the runtime: the runtime's
            // own limit must not be the one that caps the intake (a rejection would be a FAILED outcome).
            if (intake != null && intake + auditConcurrency > RuntimeOptions.DEFAULT_MAX_IN_FLIGHT) {
                options.maxInFlight(intake + auditConcurrency);
            }
            TransactionRuntime runtime = RedisTransactionRuntime.create(options.build());
            try {
                return run(servers, runtime, new Bank(runtime, names, accounts, initialBalance));
            } finally {
                runtime.closeGracefully().block(Duration.ofSeconds(60));
            }
        }
    }

    private void validate() {
        check(participants >= 1 && participants <= Bank.GROUP_SIZE, "--participants must be 1 to 100");
        check(accounts >= Bank.GROUP_SIZE && accounts % Bank.GROUP_SIZE == 0, "--accounts must be a multiple of 100");
        check(initialBalance >= 0, "--initial-balance must be >= 0");
        check(concurrency >= 1, "--concurrency must be >= 1");
        check(
                intake == null || (intake >= 1 && intake <= MAX_INTAKE),
                "--intake must be 1 to " + MAX_INTAKE + ", was " + intake);
        check(durationSeconds >= 1, "--duration must be >= 1");
        check(warmupSeconds >= 0, "--warmup must be >= 0");
        check(auditConcurrency >= 0, "--audit-concurrency must be >= 0");
        check(maxAttempts >= 1, "--max-attempts must be >= 1");
    }

    private void check(boolean ok, String message) {
        if (!ok) {
            throw new ParameterException(spec.commandLine(), message);
        }
    }

    private int run(Servers servers, TransactionRuntime runtime, Bank bank) throws Exception {
        out.printf(
                Locale.ROOT,
                "bank-load: %d participant(s) (redis-server %s, %s), %d accounts x %d, %s, %d audit(s) in"
                        + " flight, %s transfers, max %d attempts, warm-up %d s, measured %d s%n",
                participants,
                servers.get(0).version(),
                servers.get(0).persistence(),
                accounts,
                initialBalance,
                mode(),
                auditConcurrency,
                crossParticipant ? "cross-participant" : "random",
                maxAttempts,
                warmupSeconds,
                durationSeconds);
        long seedStart = System.nanoTime();
        bank.seed().block(Duration.ofMinutes(5));
        out.printf(Locale.ROOT, "seeded %d accounts in %.2f s%n", accounts, seconds(System.nanoTime() - seedStart));

        // A sibling operation cancelled by a failure (a conflicting prepare leg, a concurrent read of the same
        // transaction) may still signal its own failure; Reactor drops it and by default logs it as an ERROR with its
        // stack trace. Counted and reported instead, so that the figures stay readable.
        LongAdder droppedErrors = new LongAdder();
        Hooks.onErrorDropped(e -> droppedErrors.increment());
        try {
            return load(servers, runtime, bank, droppedErrors);
        } finally {
            Hooks.resetOnErrorDropped();
        }
    }

    private int load(Servers servers, TransactionRuntime runtime, Bank bank, LongAdder droppedErrors) throws Exception {
        Random random = seed == null ? new Random() : new Random(seed);
        Window warmup = new Window("warm-up");
        AtomicReference<Window> current = new AtomicReference<>(warmup);
        long start = System.nanoTime();
        long warmupEnd = start + TimeUnit.SECONDS.toNanos(warmupSeconds);
        long end = warmupEnd + TimeUnit.SECONDS.toNanos(durationSeconds);

        Mono<Void> transfers = intake == null
                ? ticks(end)
                        .flatMap(tick -> timedTransfer(bank, random, current), concurrency)
                        .then()
                : intakeTransfers(runtime, bank, random, current, end);
        Mono<Void> audits = auditConcurrency == 0
                ? Mono.empty()
                : ticks(end)
                        .flatMap(tick -> timedAudit(bank, random, current), auditConcurrency)
                        .then();
        CompletableFuture<Void> load = Mono.when(transfers, audits).toFuture();

        // The main thread only watches the clock: it switches the window at the end of the warm-up and of the
        // measured period, and prints a progress line every few seconds.
        sleepUntil(warmupEnd, load, warmup, start);
        Window measured = new Window("measured");
        measured.start = System.nanoTime();
        current.set(measured);
        sleepUntil(end, load, measured, start);
        Window drain = new Window("drain");
        measured.end = System.nanoTime();
        current.set(drain);
        try {
            load.get(DRAIN_LIMIT.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            load.cancel(true);
            throw new IllegalStateException("in-flight transfers did not finish within " + DRAIN_LIMIT, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("the load pipeline failed", e.getCause());
        }

        Bank.Invariant invariant = bank.checkInvariant().block(Duration.ofMinutes(5));
        // Background roll-forwards and clean-ups finish before the runtime closes; only then are leftovers real.
        runtime.closeGracefully().block(Duration.ofSeconds(60));
        IntentCount leftovers = IntentCount.on(RuntimeOptions.DEFAULT_NAMESPACE, servers.list());

        boolean auditsOk =
                measured.auditViolations.sum() + warmup.auditViolations.sum() + drain.auditViolations.sum() == 0;
        report(measured, warmup, drain, invariant, leftovers);
        out.printf(
                Locale.ROOT,
                "errors dropped after cancellation (a sibling leg or read had already failed): %d%n",
                droppedErrors.sum());
        boolean ok = invariant.holds() && auditsOk && leftovers.none();
        out.println("RESULT: " + (ok ? "PASS" : "FAIL"));
        return ok ? 0 : 1;
    }

    /** An endless stream of ticks, one per request, that completes once the clock passes {@code end}. */
    private static Flux<Integer> ticks(long end) {
        return Flux.<Integer>generate(sink -> sink.next(0)).takeWhile(tick -> System.nanoTime() < end);
    }

    /**
     * The transfers of {@code --intake} mode: one intake fed by {@link #ticks(long)}, so the source makes a request
     * only when the intake asks for one and completes at {@code end}. Stopping the source rather than cancelling the
     * outcomes lets the transfers in flight finish (a cancel would roll them back); the intake then completes once
     * their outcomes are out, which is the drain.
     */
    private Mono<Void> intakeTransfers(
            TransactionRuntime runtime, Bank bank, Random random, AtomicReference<Window> current, long end) {
        Flux<TransferRequest> requests = ticks(end)
                .map(tick -> new TransferRequest(bank.randomTransfer(random, crossParticipant), System.nanoTime()));
        IntakeOptions options =
                IntakeOptions.builder().maxInFlight(intake).ordered(false).build();
        return runtime.intake(requests, (TransferRequest r, Transaction tx) -> bank.transfer(tx, r.order()), options)
                .doOnNext(o -> recordOutcome(o, current.get()))
                .then();
    }

    private void recordOutcome(TransactionOutcome<TransferRequest, Bank.Status> o, Window window) {
        TransferRequest r = o.request();
        if (o.status() == TransactionOutcome.Status.COMMITTED) {
            window.transferDone(new Bank.Transfer(r.order(), o.value(), o.commit()), System.nanoTime() - r.emittedAt());
        } else {
            window.transferFailed(o.error(), maxAttempts);
        }
    }

    private String mode() {
        return intake == null
                ? "workers, concurrency " + concurrency
                : "intake, maxInFlight " + intake + " (unordered)";
    }

    private Mono<Void> timedTransfer(Bank bank, Random random, AtomicReference<Window> current) {
        return Mono.defer(() -> {
            long start = System.nanoTime();
            return bank.transfer(random, crossParticipant)
                    .doOnNext(t -> current.get().transferDone(t, System.nanoTime() - start))
                    .onErrorResume(e -> {
                        current.get().transferFailed(e, maxAttempts);
                        return Mono.empty();
                    })
                    .then();
        });
    }

    private static Mono<Void> timedAudit(Bank bank, Random random, AtomicReference<Window> current) {
        return Mono.defer(() -> {
            long start = System.nanoTime();
            return bank.audit(random.nextInt(bank.groups()))
                    .doOnNext(a -> current.get().auditDone(a, System.nanoTime() - start))
                    .onErrorResume(e -> {
                        current.get().auditFailed(e);
                        return Mono.empty();
                    })
                    .then();
        });
    }

    private void sleepUntil(long deadline, CompletableFuture<Void> load, Window window, long start)
            throws InterruptedException {
        long nextProgress = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        long lastCommitted = window.committed.sum();
        long lastAt = System.nanoTime();
        while (true) {
            long now = System.nanoTime();
            if (now >= deadline || load.isDone()) {
                return;
            }
            if (now >= nextProgress) {
                long committed = window.committed.sum();
                out.printf(
                        Locale.ROOT,
                        "  t=%3.0f s  %-8s committed %8d (%7.1f/s)  failed %d  audits %d%n",
                        seconds(now - start),
                        window.name,
                        committed,
                        (committed - lastCommitted) / seconds(now - lastAt),
                        window.failedTotal(),
                        window.audits.sum());
                lastCommitted = committed;
                lastAt = now;
                nextProgress = now + TimeUnit.SECONDS.toNanos(5);
            }
            TimeUnit.NANOSECONDS.sleep(Math.min(deadline, nextProgress) - now);
        }
    }

    private void report(Window m, Window warmup, Window drain, Bank.Invariant invariant, IntentCount leftovers) {
        double secs = seconds(m.end - m.start);
        Histogram all = m.latency.getIntervalHistogram();
        out.printf(Locale.ROOT, "mode: %s; measured window: %.2f s%n", mode(), secs);
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
        out.printf(
                Locale.ROOT,
                "skipped (insufficient funds, committed read-only): %d%n"
                        + "retries: %d conflicted attempts retried (%d committed transfers needed more than one"
                        + " attempt, max %d attempts)%n"
                        + "failed: %d %s%n",
                m.insufficient.sum(),
                m.retries.sum(),
                m.retried.sum(),
                m.maxAttemptsSeen.get(),
                m.failedTotal(),
                m.failedByType());
        new TreeMap<>(m.firstFailures).forEach((kind, e) -> out.println("  first " + kind + ": " + describe(e)));
        Histogram audit = m.auditLatency.getIntervalHistogram();
        out.printf(
                Locale.ROOT,
                "audits: %d done (%.1f/s), %d violations, %d failed %s, %d retries; latency ms %s%n",
                m.audits.sum(),
                m.audits.sum() / secs,
                m.auditViolations.sum(),
                m.auditsFailedTotal(),
                m.auditsFailedByType(),
                m.auditRetries.sum(),
                percentiles(audit));
        out.printf(
                Locale.ROOT,
                "outside the window: warm-up %d committed, %d failed, %d audits (%d violations); drain %d committed,"
                        + " %d failed, %d audits (%d violations)%n",
                warmup.committed.sum(),
                warmup.failedTotal(),
                warmup.audits.sum(),
                warmup.auditViolations.sum(),
                drain.committed.sum(),
                drain.failedTotal(),
                drain.audits.sum(),
                drain.auditViolations.sum());
        out.printf(
                Locale.ROOT,
                "invariant: total %d, expected %d, %d groups, %d inconsistent: %s%n",
                invariant.total(),
                invariant.expected(),
                invariant.groups(),
                invariant.inconsistentGroups().size(),
                invariant.holds() ? "PASS" : "FAIL " + invariant.inconsistentGroups());
        out.printf(
                Locale.ROOT,
                "intents left: %d lock keys, %d index entries, %d prepared records: %s%n",
                leftovers.locks(),
                leftovers.indexEntries(),
                leftovers.prepared(),
                leftovers.none() ? "PASS" : "FAIL");
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

    private static String percentiles(Histogram h) {
        if (h.getTotalCount() == 0) {
            return "n/a";
        }
        return String.format(
                Locale.ROOT,
                "p50 %.2f  p99 %.2f  p999 %.2f  max %.2f  (n=%d)",
                h.getValueAtPercentile(50) / 1000.0,
                h.getValueAtPercentile(99) / 1000.0,
                h.getValueAtPercentile(99.9) / 1000.0,
                h.getMaxValue() / 1000.0,
                h.getTotalCount());
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
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
        final Recorder latency = new Recorder(3);
        final Map<CommitProtocol, Recorder> latencyByProtocol = Map.of(
                CommitProtocol.ONE_PHASE, new Recorder(3),
                CommitProtocol.TWO_PHASE, new Recorder(3),
                CommitProtocol.NONE, new Recorder(3));
        final LongAdder audits = new LongAdder();
        final LongAdder auditViolations = new LongAdder();
        final LongAdder auditRetries = new LongAdder();
        final Map<String, LongAdder> auditsFailed = new ConcurrentHashMap<>();
        final Recorder auditLatency = new Recorder(3);
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
            long micros = Math.max(1, nanos / 1000);
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
            auditLatency.recordValue(Math.max(1, nanos / 1000));
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
