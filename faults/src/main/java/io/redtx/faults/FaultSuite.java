package io.redtx.faults;

import io.redtx.api.RecoveryReport;
import io.redtx.api.RetryPolicy;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionRuntime;
import io.redtx.runtime.RedisTransactionRuntime;
import io.redtx.test.redis.Persistence;
import io.redtx.test.redis.RedisServer;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;

/**
 * The fault suite: the bank workload across three {@code redis-server} participants running AOF with
 * {@code appendfsync always}, while a {@link Nemesis} kills and restarts participants, pauses them past the lease,
 * crashes the coordinator at every injection point and kills a separate coordinator JVM with {@code kill -9}. After
 * the run it heals, waits out the lease, runs one recovery pass from a fresh runtime and checks everything from the
 * servers ({@link Verifier}), the transfers' outbox messages too. It prints transfers, faults by kind, outcomes by
 * kind, messages and violations (which must be 0).
 *
 * <pre>{@code
 * ./mvnw -q -pl faults -am compile exec:java -Dexec.args="--rounds 5"
 * }</pre>
 *
 * <p>Exit status: 0 with no violation, 1 otherwise, 2 on bad options.
 */
@Command(
        name = "fault-suite",
        mixinStandardHelpOptions = true,
        version = "redtx fault-suite 0.1.0-SNAPSHOT",
        sortOptions = false,
        description = "Runs the bank workload under kill -9, SIGSTOP and coordinator crashes, then checks atomicity.")
public final class FaultSuite implements Callable<Integer> {

    static final List<String> PARTICIPANTS = List.of("a", "b", "c");
    static final long INITIAL_BALANCE = 1_000;
    static final Duration LEASE = Duration.ofMillis(1500);
    static final Duration PHASE_TIMEOUT = Duration.ofMillis(500);
    static final int AUDIT_CONCURRENCY = 2;
    static final Duration BACKOFF_AFTER_FAILURE = Duration.ofMillis(50);
    /** How long in-flight transfers may take to finish once the nemesis is done. */
    static final Duration DRAIN_LIMIT = Duration.ofSeconds(60);

    @Option(
            names = "--rounds",
            defaultValue = "3",
            description = "nemesis rounds; each kills and pauses every participant, crashes the coordinator at every"
                    + " injection point and kills one coordinator JVM (about 25 s each). Default: ${DEFAULT-VALUE}")
    int rounds;

    @Option(
            names = "--accounts",
            defaultValue = "3000",
            description = "accounts, a multiple of " + Transfers.GROUP_SIZE + ". Default: ${DEFAULT-VALUE}")
    int accounts;

    @Option(
            names = "--concurrency",
            defaultValue = "32",
            description = "transfers in flight in the suite's own coordinator. Default: ${DEFAULT-VALUE}")
    int concurrency;

    @Option(names = "--seed", description = "seed of the random choice of transfers")
    Long seed;

    /**
     * The figures of one run.
     *
     * @param transfers transfers answered (or left unanswered by a killed JVM)
     * @param outcomes answers by kind
     * @param firstErrors the message of the first answer of each failed kind
     * @param faults faults injected by kind
     * @param audits audits that read a consistent group
     * @param auditViolations audits that saw a wrong group sum
     * @param recovery the final recovery pass
     * @param check what the servers hold
     * @param droppedErrors errors handed to Reactor's {@code onErrorDropped} hook during the run (none is expected:
     *     the runtime hands each failure to whoever waits for it, or to nobody once they left)
     */
    record Report(
            long transfers,
            Map<String, Long> outcomes,
            Map<String, String> firstErrors,
            Map<String, Long> faults,
            long audits,
            long auditViolations,
            RecoveryReport recovery,
            Verifier.Result check,
            long droppedErrors) {

        /** @return every violation: the checks of the servers plus audits that saw a partial transfer */
        long violations() {
            return check.violations() + auditViolations;
        }
    }

    private final PrintStream out;

    /** Creates the command with its output on {@code System.out}. */
    public FaultSuite() {
        this(System.out);
    }

    FaultSuite(PrintStream out) {
        this.out = out;
    }

    /**
     * Entry point.
     *
     * @param args the options; {@code --help} lists them
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new FaultSuite()).execute(args));
    }

    /** The options of every coordinator in the suite (its own and the separate JVMs). */
    static RuntimeOptions.Builder runtimeOptions(Map<String, String> participants) {
        RuntimeOptions.Builder options = RuntimeOptions.builder()
                .timeouts(t -> t.prepare(PHASE_TIMEOUT)
                        .commit(PHASE_TIMEOUT)
                        .read(PHASE_TIMEOUT)
                        .connect(Duration.ofSeconds(2))
                        .transaction(Duration.ofSeconds(15)))
                .recovery(r -> r.lease(LEASE).interval(Duration.ofSeconds(1)))
                .connections(c -> c.requireSyncedWrites(true))
                .retryPolicy(RetryPolicy.builder()
                        .maxAttempts(10)
                        .minBackoff(Duration.ofMillis(20))
                        .maxBackoff(Duration.ofMillis(300))
                        .build());
        participants.forEach(options::participant);
        return options;
    }

    @Override
    public Integer call() throws Exception {
        if (rounds < 1 || concurrency < 1 || accounts < Transfers.GROUP_SIZE || accounts % Transfers.GROUP_SIZE != 0) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this),
                    "--rounds and --concurrency must be >= 1, --accounts a positive multiple of "
                            + Transfers.GROUP_SIZE);
        }
        return run().violations() == 0 ? 0 : 1;
    }

    /** Runs the suite on the calling thread (a plain one: it blocks); stops every server it started. */
    Report run() throws Exception {
        long runSeed = seed == null ? System.nanoTime() : seed;
        List<RedisServer> servers = new ArrayList<>();
        LongAdder droppedErrors = new LongAdder();
        Hooks.onErrorDropped(e -> droppedErrors.increment());
        try {
            Map<String, String> uris = new LinkedHashMap<>();
            for (String name : PARTICIPANTS) {
                RedisServer s = RedisServer.start(Persistence.DURABLE);
                servers.add(s);
                uris.put(name, s.uri());
            }
            out.printf(
                    Locale.ROOT,
                    "== fault suite: %d participants (redis-server %s, AOF appendfsync always), %d accounts, concurrency"
                            + " %d, %d round(s), lease %d ms, phase timeouts %d ms, seed %d%n",
                    servers.size(),
                    servers.get(0).version(),
                    accounts,
                    concurrency,
                    rounds,
                    LEASE.toMillis(),
                    PHASE_TIMEOUT.toMillis(),
                    runSeed);
            Report report = run(servers, uris, runSeed, droppedErrors);
            print(report);
            return report;
        } finally {
            Hooks.resetOnErrorDropped();
            servers.forEach(RedisServer::close);
        }
    }

    private Report run(List<RedisServer> servers, Map<String, String> uris, long runSeed, LongAdder droppedErrors)
            throws Exception {
        Outcomes outcomes = new Outcomes();
        CoordinatorCrashes crashes = new CoordinatorCrashes();
        TransactionRuntime runtime = crashes.create(runtimeOptions(uris).build());
        Transfers bank = new Transfers(runtime, PARTICIPANTS, accounts, INITIAL_BALANCE);
        Random random = new Random(runSeed);
        LongAdder audits = new LongAdder();
        LongAdder auditViolations = new LongAdder();
        LongAdder auditFailures = new LongAdder();
        Nemesis nemesis = new Nemesis(
                servers,
                PARTICIPANTS,
                crashes,
                LEASE,
                prefix -> CoordinatorJvm.start(prefix, random.nextLong(), 8, uris, accounts, INITIAL_BALANCE, outcomes),
                out);
        try {
            bank.seed().block(Duration.ofMinutes(2));

            AtomicBoolean stop = new AtomicBoolean();
            Mono<Void> transfers = Flux.<Long, Long>generate(() -> 0L, (i, sink) -> {
                        sink.next(i);
                        return i + 1;
                    })
                    .takeWhile(i -> !stop.get())
                    .flatMap(
                            i -> {
                                Transfers.Transfer t = bank.random(random, "t" + i);
                                return bank.run(t)
                                        .map(status -> Outcomes.of(t, status))
                                        .onErrorResume(e -> Mono.just(Outcomes.of(t, e)))
                                        .doOnNext(outcomes::record)
                                        // Like any client, back off after a failure rather than spin on a dead
                                        // participant.
                                        .delayUntil(c -> c.claim() == Outcomes.Claim.COMMITTED
                                                ? Mono.empty()
                                                : Mono.delay(BACKOFF_AFTER_FAILURE));
                            },
                            concurrency)
                    .then();
            Mono<Void> auditing = Flux.<Integer>generate(sink -> sink.next(0))
                    .takeWhile(tick -> !stop.get())
                    .flatMap(
                            tick -> bank.audit(random.nextInt(bank.groups()))
                                    .doOnNext(sum ->
                                            (sum == bank.expectedGroupSum() ? audits : auditViolations).increment())
                                    .onErrorResume(e -> {
                                        auditFailures.increment();
                                        return Mono.delay(BACKOFF_AFTER_FAILURE).then(Mono.empty());
                                    }),
                            AUDIT_CONCURRENCY)
                    .then();
            CompletableFuture<Void> load = Mono.when(transfers, auditing).toFuture();

            for (int r = 0; r < rounds; r++) {
                nemesis.round(r);
            }
            stop.set(true);
            load.get(DRAIN_LIMIT.toSeconds(), TimeUnit.SECONDS);
            out.printf(
                    Locale.ROOT,
                    "audits: %d consistent, %d saw a wrong group sum, %d failed%n",
                    audits.sum(),
                    auditViolations.sum(),
                    auditFailures.sum());
        } finally {
            runtime.closeGracefully().block(Duration.ofMinutes(1));
        }

        // Healed (the nemesis heals every fault it injects). Past the lease, every intent a dead coordinator left is
        // expired: one pass from a fresh coordinator settles them all.
        Thread.sleep(LEASE.toMillis() + 500);
        RecoveryReport recovery;
        TransactionRuntime fresh = RedisTransactionRuntime.create(
                runtimeOptions(uris).recovery(r -> r.interval(Duration.ZERO)).build());
        try {
            recovery = fresh.recover().block(Duration.ofMinutes(1));
        } finally {
            fresh.closeGracefully().block(Duration.ofMinutes(1));
        }
        Verifier.Result check =
                new Verifier(servers, PARTICIPANTS, accounts, INITIAL_BALANCE).verify(outcomes.claims(), "redtx:");
        Map<String, Long> byKind = outcomes.byKind();
        return new Report(
                byKind.values().stream().mapToLong(Long::longValue).sum(),
                byKind,
                outcomes.firstDetails(),
                nemesis.injected(),
                audits.sum(),
                auditViolations.sum(),
                recovery,
                check,
                droppedErrors.sum());
    }

    private void print(Report r) {
        out.printf(Locale.ROOT, "transfers: %d%n", r.transfers());
        out.printf(Locale.ROOT, "faults injected: %s%n", r.faults());
        out.printf(Locale.ROOT, "outcomes: %s%n", r.outcomes());
        r.firstErrors().forEach((kind, detail) -> out.printf(Locale.ROOT, "  first %s: %s%n", kind, detail));
        out.printf(Locale.ROOT, "recovery pass: %s%n", r.recovery());
        out.printf(
                Locale.ROOT,
                "servers: %d transfers committed (markers), total balance %d (expected %d), unsettled %s;"
                        + " %d errors dropped%n",
                r.check().committedTransfers(),
                r.check().total(),
                accounts * INITIAL_BALANCE,
                r.check().intents(),
                r.droppedErrors());
        out.printf(
                Locale.ROOT,
                "messages: %d committed transfers, %d messages, %d violations%n",
                r.check().committedTransfers(),
                r.check().messages(),
                r.check().messageViolations());
        r.check().details().forEach(d -> out.println("  VIOLATION " + d));
        out.printf(Locale.ROOT, "violations: %d%n", r.violations());
    }
}
