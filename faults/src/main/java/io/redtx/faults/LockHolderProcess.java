package io.redtx.faults;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.reactive.RedisReactiveCommands;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.lock.DistributedLock;
import io.redtx.api.lock.LockLease;
import io.redtx.api.lock.LockOptions;
import io.redtx.runtime.RedisTransactionRuntime;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A holder of distributed locks in its own JVM, for the lock tests to race against other processes and to freeze with
 * {@code SIGSTOP}. Two programs, one per subcommand:
 *
 * <ul>
 *   <li>{@code counter}: increments a plain key K times with a plain (non-transactional) Lettuce {@code GET}, a random
 *       pause and a {@code SET}, each increment inside {@link DistributedLock#withLock} of the lock {@code counter}
 *       (or without it, {@code --no-lock}, the control run). Prints {@code READY} once connected, waits for
 *       {@code GO} on standard input so that every process starts together, then prints (under the lock)
 *       {@code SECTIONS <token>:<start>:<end>,...}, each critical section's token and {@link System#nanoTime()} at
 *       its start and end, and {@code DONE <increments>}.
 *   <li>{@code stale}: acquires a lock with a short lease and prints {@code TOKEN <token>}, then waits for {@code GO}
 *       on standard input (the test freezes it meanwhile, past its lease, and lets another holder take the lock). At
 *       once it prints {@code RESUMED <isHeld>}, then runs a transaction that requires its lease and writes the
 *       guarded key ({@code REQUIRE <outcome>}), then one that fences the guarded key with its token and writes it
 *       ({@code FENCE <outcome>}), and prints {@code DONE}. An outcome is {@code committed} or the exception's simple
 *       class name and message.
 * </ul>
 *
 * <p>Standard input closing (the test's JVM is gone) ends the program; so does a watchdog after
 * {@link #WATCHDOG}, so that no child outlives a test that forgot it. Exit status: 0 done, 2 no {@code GO}, 3 the
 * watchdog, 1 any other failure (its stack trace on standard error).
 */
@Command(
        name = "lock-holder",
        mixinStandardHelpOptions = true,
        subcommands = {LockHolderProcess.Counter.class, LockHolderProcess.Stale.class},
        description = "A distributed-lock holder in its own JVM, driven by the lock fault tests.")
public final class LockHolderProcess implements Runnable {

    /** The one participant's name. */
    static final String PARTICIPANT = "p";
    /** The lock the counter processes take, and the key they increment. */
    static final String COUNTER = "counter";
    /** The lock the stale holder takes. */
    static final String GUARD_LOCK = "guard";
    /** The key (and fenced resource) the stale holder tries to write. */
    static final String GUARDED = "guarded";
    /** What the stale holder writes, so that a write that got through is recognisable. */
    static final String STALE_VALUE = "stale-holder";
    /** Longest life of a child. */
    static final Duration WATCHDOG = Duration.ofSeconds(60);

    private static final Duration STEP_LIMIT = Duration.ofSeconds(30);

    /** Lines to the test, one at a time from the main thread, flushed at once: the test waits for each. */
    private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

    private static final BufferedReader IN =
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));

    @Spec
    CommandSpec spec;

    /**
     * Entry point; exits with the subcommand's status.
     *
     * @param args a subcommand and its options; {@code --help} lists them
     */
    public static void main(String[] args) {
        Thread watchdog = new Thread(
                () -> {
                    try {
                        Thread.sleep(WATCHDOG.toMillis());
                    } catch (InterruptedException e) {
                        return;
                    }
                    System.err.println("lock-holder: still running after " + WATCHDOG + ", exiting");
                    Runtime.getRuntime().halt(3);
                },
                "lock-holder-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        System.exit(new CommandLine(new LockHolderProcess()).execute(args));
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: counter or stale");
    }

    static RuntimeOptions runtimeOptions(String uri) {
        return RuntimeOptions.builder().participant(PARTICIPANT, uri).build();
    }

    private static void say(String line) {
        OUT.println(line);
    }

    /** @return whether the test said {@code GO}; false when standard input closed */
    private static boolean awaitGo() throws IOException {
        return "GO".equals(IN.readLine());
    }

    /** The {@code counter} program. */
    @Command(name = "counter", description = "Increments a plain key with GET, a pause and SET, under the lock.")
    static final class Counter implements Callable<Integer> {

        @Option(names = "--uri", required = true, description = "the redis-server's URI")
        String uri;

        @Option(names = "--iterations", defaultValue = "200", description = "increments. Default: ${DEFAULT-VALUE}")
        int iterations;

        @Option(
                names = "--max-delay-micros",
                defaultValue = "2000",
                description = "longest random pause between GET and SET. Default: ${DEFAULT-VALUE}")
        long maxDelayMicros;

        @Option(names = "--no-lock", description = "increment without the lock (the control run)")
        boolean noLock;

        @Override
        public Integer call() throws Exception {
            TransactionRuntime runtime = RedisTransactionRuntime.create(runtimeOptions(uri));
            RedisClient client = RedisClient.create(uri);
            try (StatefulRedisConnection<String, String> connection = client.connect()) {
                RedisReactiveCommands<String, String> redis = connection.reactive();
                DistributedLock lock = runtime.lock(
                        COUNTER,
                        LockOptions.builder()
                                .participant(PARTICIPANT)
                                .waitTime(STEP_LIMIT)
                                .build());
                // The race this widens: another process's GET between this GET and this SET reads the same value.
                Mono<Long> increment = Mono.defer(() -> redis.get(COUNTER)
                        .defaultIfEmpty("0")
                        .delayUntil(v -> Mono.delay(Duration.ofNanos(
                                1_000 * ThreadLocalRandom.current().nextLong(maxDelayMicros + 1))))
                        .flatMap(v -> redis.set(COUNTER, Long.toString(Long.parseLong(v) + 1)))
                        .thenReturn(1L));
                // Where each critical section began and ended (System.nanoTime: CLOCK_MONOTONIC, one clock for every
                // process of the machine), for the test to check that no two processes' sections overlap.
                List<String> sections = new ArrayList<>();
                // The whole of withLock, release included, before the next step (next() would cancel it instead).
                Mono<Long> step = noLock
                        ? increment
                        : lock.withLock(lease -> Mono.defer(() -> {
                                    long start = System.nanoTime();
                                    return increment.doOnNext(
                                            x -> sections.add(lease.token() + ":" + start + ":" + System.nanoTime()));
                                }))
                                .then(Mono.just(1L));
                redis.ping().block(STEP_LIMIT);
                say("READY");
                if (!awaitGo()) {
                    return 2;
                }
                Long done =
                        Flux.range(0, iterations).concatMap(i -> step).count().block(WATCHDOG);
                if (!noLock) {
                    say("SECTIONS " + String.join(",", sections));
                }
                say("DONE " + done);
                return 0;
            } finally {
                client.shutdown();
                runtime.closeGracefully().block(STEP_LIMIT);
            }
        }
    }

    /** The {@code stale} program. */
    @Command(name = "stale", description = "Holds a lock, is frozen past its lease, then tries to write anyway.")
    static final class Stale implements Callable<Integer> {

        @Option(names = "--uri", required = true, description = "the redis-server's URI")
        String uri;

        @Option(names = "--lease-ms", defaultValue = "1000", description = "the lease. Default: ${DEFAULT-VALUE}")
        long leaseMillis;

        @Override
        public Integer call() throws Exception {
            TransactionRuntime runtime = RedisTransactionRuntime.create(runtimeOptions(uri));
            try {
                LockLease lease = runtime.lock(
                                GUARD_LOCK,
                                LockOptions.builder()
                                        .participant(PARTICIPANT)
                                        .lease(Duration.ofMillis(leaseMillis))
                                        .waitTime(STEP_LIMIT)
                                        .build())
                        .acquire()
                        .block(STEP_LIMIT);
                say("TOKEN " + lease.token());
                if (!awaitGo()) {
                    return 2;
                }
                // The same moment the process continues: its renewals may not have found out yet.
                say("RESUMED " + lease.isHeld());
                say("REQUIRE "
                        + outcome(runtime.inTransaction(tx ->
                                tx.requireLock(lease).then(tx.on(PARTICIPANT).set(GUARDED, STALE_VALUE)))));
                say("FENCE "
                        + outcome(runtime.inTransaction(tx -> tx.on(PARTICIPANT)
                                .fence(GUARDED, lease.token())
                                .then(tx.on(PARTICIPANT).set(GUARDED, STALE_VALUE)))));
                say("DONE");
                return 0;
            } finally {
                runtime.closeGracefully().block(STEP_LIMIT);
            }
        }

        private static String outcome(Mono<?> tx) {
            return tx.then(Mono.just("committed"))
                    .onErrorResume(e -> Mono.just(e.getClass().getSimpleName() + " " + e.getMessage()))
                    .block(STEP_LIMIT);
        }
    }
}
