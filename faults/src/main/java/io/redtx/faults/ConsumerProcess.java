package io.redtx.faults;

import io.redtx.api.KeyCommands;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.Transaction;
import io.redtx.api.TransactionOutcome;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.message.ConsumerOptions;
import io.redtx.api.message.Delivery;
import io.redtx.runtime.RedisTransactionRuntime;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * A consumer of the {@value #STREAM} stream (group {@value #GROUP}, on participant {@value #STREAM_PARTICIPANT}) in its
 * own JVM, for the consumer fault test to {@code kill -9} in the middle of its work. Each message asks to add the
 * amount in its field {@value #AMOUNT} to the counter named in {@value #ACCOUNT} on the participant named in
 * {@value #TARGET}; the handler does that and, in the same transaction on the same participant, counts the message in
 * its audit hash ({@value #APPLIED_PREFIX}{@code <entry
 * id>}, field: the consumer's name), so that a message applied twice shows as a count of 2.
 *
 * <p>Modes ({@code --mode}): {@code TRANSACTIONAL} handles with {@link TransactionRuntime#consumeTransactionally}
 * (processed marker and acknowledgement commit with the effect). {@code ACK_AFTER_COMMIT} is the deliberately unsafe
 * control: {@link TransactionRuntime#consume}, the effect in its own transaction, then the acknowledgement, with the
 * handler's slowdown between the commit and the acknowledgement, where a kill leaves committed effects whose messages
 * are delivered again.
 *
 * <p>Prints {@code READY} once consuming, then one line per handled delivery: {@code C <entry id>} when its transaction
 * committed (with {@code TRANSACTIONAL}, also one that only acknowledged a message its marker shows processed), {@code
 * N <status> <error>} when not (the entry stays pending). Standard input saying {@code STOP} or closing stops it: the
 * consumer is cancelled (outcomes not yet printed are dropped), the runtime closed, {@code DONE} printed, exit 0; so does a watchdog after {@link #WATCHDOG} (exit 3). A consumer
 * that ends by itself prints {@code ERROR <error>} and exits 1.
 */
@Command(
        name = "consumer",
        mixinStandardHelpOptions = true,
        description = "A stream consumer in its own JVM, killed by the consumer fault test.")
public final class ConsumerProcess implements Callable<Integer> {

    /** The stream the test publishes to. */
    static final String STREAM = "events";
    /** The consumer group. */
    static final String GROUP = "workers";
    /** The participant holding the stream (and the processed markers). */
    static final String STREAM_PARTICIPANT = "a";
    /** A message's field: the participant whose counter it changes. */
    static final String TARGET = "target";
    /** A message's field: the counter's key. */
    static final String ACCOUNT = "account";
    /** A message's field: what to add. */
    static final String AMOUNT = "k";
    /** A message's field: its number in the run. */
    static final String NUMBER = "n";
    /** Prefix of the per-message audit hash, next to the counter it changes. */
    static final String APPLIED_PREFIX = "applied:";
    /** Longest life of a child. */
    static final Duration WATCHDOG = Duration.ofSeconds(150);

    private static final Duration STOP_LIMIT = Duration.ofSeconds(20);

    private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

    /** How the consumer handles a delivery. */
    enum Mode {
        /** {@code consumeTransactionally}: exactly-once effects. */
        TRANSACTIONAL,
        /** {@code consume}, the effect's transaction, a pause, then {@code XACK}: duplicates after a kill. */
        ACK_AFTER_COMMIT
    }

    @Option(names = "--consumer", required = true, description = "the consumer's name in the group")
    String consumer;

    @Option(
            names = "--mode",
            defaultValue = "TRANSACTIONAL",
            description = "TRANSACTIONAL or ACK_AFTER_COMMIT (the unsafe control). Default: ${DEFAULT-VALUE}")
    Mode mode;

    @Option(
            names = "--concurrency",
            defaultValue = "16",
            description = "deliveries in flight. Default: ${DEFAULT-VALUE}")
    int concurrency;

    @Option(
            names = "--claim-idle-ms",
            defaultValue = "500",
            description = "idle time before another consumer's pending entry is reclaimed. Default: ${DEFAULT-VALUE}")
    long claimIdleMillis;

    @Option(
            names = "--delay-ms",
            defaultValue = "20",
            description = "the handler's slowdown, so that a batch is in flight when killed. Default: ${DEFAULT-VALUE}")
    long delayMillis;

    @Parameters(paramLabel = "NAME=URI", arity = "1..*", description = "the participants")
    Map<String, String> participants = new LinkedHashMap<>();

    /**
     * Entry point; exits with the consumer's status.
     *
     * @param args the options; {@code --help} lists them
     */
    public static void main(String[] args) {
        Thread watchdog = new Thread(
                () -> {
                    try {
                        Thread.sleep(WATCHDOG.toMillis());
                    } catch (InterruptedException e) {
                        return;
                    }
                    System.err.println("consumer: still running after " + WATCHDOG + ", exiting");
                    Runtime.getRuntime().halt(3);
                },
                "consumer-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        System.exit(new CommandLine(new ConsumerProcess()).execute(args));
    }

    /** The options of the test's runtimes and of every consumer JVM: the suite's, on servers without AOF. */
    static RuntimeOptions runtimeOptions(Map<String, String> participants) {
        return FaultSuite.runtimeOptions(participants)
                .connections(c -> c.requireSyncedWrites(false))
                .build();
    }

    /** The message's effect and its audit count, on the participant the message names. */
    static Mono<Long> apply(Delivery delivery, Transaction tx, String consumer) {
        Map<String, String> fields = delivery.fields();
        KeyCommands target = tx.on(fields.get(TARGET));
        return target.incrBy(fields.get(ACCOUNT), Long.parseLong(fields.get(AMOUNT)))
                .then(target.hincrBy(APPLIED_PREFIX + delivery.id(), consumer, 1));
    }

    @Override
    public Integer call() throws Exception {
        TransactionRuntime runtime = RedisTransactionRuntime.create(runtimeOptions(participants));
        ConsumerOptions options = ConsumerOptions.builder(STREAM, GROUP)
                .participant(STREAM_PARTICIPANT)
                .consumer(consumer)
                .createGroup(true)
                .claimIdle(Duration.ofMillis(claimIdleMillis))
                .concurrency(concurrency)
                .batchSize(concurrency)
                // A message retried through a dead consumer's leftovers must not be buried: never dead-letter.
                .maxDeliveries(0)
                .build();
        Duration delay = Duration.ofMillis(delayMillis);
        Flux<String> lines = switch (mode) {
            case TRANSACTIONAL ->
                runtime.<Long>consumeTransactionally(
                                options, (d, tx) -> Mono.delay(delay).then(apply(d, tx, consumer)))
                        .map(ConsumerProcess::line);
            case ACK_AFTER_COMMIT ->
                runtime.consume(options)
                        .flatMap(
                                d -> runtime.inTransaction(tx -> apply(d, tx, consumer))
                                        .then(Mono.delay(delay))
                                        .then(d.ack())
                                        .thenReturn("C " + d.id())
                                        .onErrorResume(e -> Mono.just(
                                                "N FAILED " + e.getClass().getSimpleName())),
                                concurrency);
        };
        CountDownLatch ended = new CountDownLatch(1);
        AtomicReference<Throwable> error = new AtomicReference<>();
        // Printing blocks: off the Reactor threads that complete the transactions.
        Disposable consuming = lines.publishOn(Schedulers.boundedElastic())
                .subscribe(
                        OUT::println,
                        e -> {
                            error.set(e);
                            ended.countDown();
                        },
                        ended::countDown);
        OUT.println("READY");
        Thread stdin = new Thread(
                () -> {
                    try (BufferedReader in =
                            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                        for (String line; (line = in.readLine()) != null && !line.equals("STOP"); ) {
                            // Only STOP means anything; other lines are ignored.
                        }
                    } catch (IOException e) {
                        // The test's JVM is gone: stop as if told to.
                    }
                    ended.countDown();
                },
                "consumer-stdin");
        stdin.setDaemon(true);
        stdin.start();
        ended.await();
        consuming.dispose();
        runtime.closeGracefully().block(STOP_LIMIT);
        if (error.get() != null) {
            OUT.println("ERROR " + error.get());
            return 1;
        }
        OUT.println("DONE");
        return 0;
    }

    private static String line(TransactionOutcome<Delivery, Long> outcome) {
        return outcome.status() == TransactionOutcome.Status.COMMITTED
                ? "C " + outcome.request().id()
                : "N " + outcome.status() + " " + outcome.error().getClass().getSimpleName();
    }
}
