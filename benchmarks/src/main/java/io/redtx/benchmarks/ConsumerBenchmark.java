package io.redtx.benchmarks;

import io.lettuce.core.Consumer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.reactive.RedisReactiveCommands;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionOutcome;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.message.ConsumerOptions;
import io.redtx.api.message.Delivery;
import io.redtx.runtime.RedisTransactionRuntime;
import io.redtx.samples.load.EmbeddedServers;
import io.redtx.test.redis.Persistence;
import io.redtx.test.redis.RedisServer;
import java.io.PrintStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The consumer benchmark: how fast the messages of a transactional outbox are consumed, on two embedded
 * {@code redis-server} processes (in memory, free loopback ports) that it starts and stops itself. First {@code
 * --messages} messages are published to a stream on the first server, each by a one-phase transaction; then each
 * workload consumes all of them in a consumer group of its own, one after the other:
 *
 * <ul>
 *   <li>{@code lettuce-xreadgroup}: the baseline, no redtx: Lettuce's {@code XREADGROUP COUNT --batch}, then one
 *       {@code XACK} per batch, in a loop;
 *   <li>{@code consume-ack}: {@code runtime.consume}, each delivery acknowledged ({@code --concurrency} at once);
 *   <li>{@code consume-tx-local}: {@code runtime.consumeTransactionally}, the handler incrementing a counter on the
 *       stream's server (one-phase commits);
 *   <li>{@code consume-tx-remote}: the same with the counter on the second server (two-phase commits).
 * </ul>
 *
 * <p>Each prints messages per second; the transactional ones check that the counters add up to the messages
 * (each applied once) and that nothing is left pending. With {@code --json} the last line of stdout is one JSON
 * object. Exit status: 0 when every check passed, 1 otherwise or when the run failed, 2 on bad options.
 */
@Command(
        name = "redtx-consumer-benchmark",
        mixinStandardHelpOptions = true,
        version = "redtx-consumer-benchmark 0.1.0-SNAPSHOT",
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "How fast a transactional outbox is consumed, on two embedded redis-server processes (in memory):",
            "  lettuce-xreadgroup   baseline without redtx: XREADGROUP COUNT --batch, one XACK per batch",
            "  consume-ack          runtime.consume, each delivery acknowledged",
            "  consume-tx-local     runtime.consumeTransactionally, the handler's write on the stream's server (1PC)",
            "  consume-tx-remote    the same, the handler's write on the other server (2PC)",
            ""
        },
        footer = {"", "Exit status: 0 every check passed; 1 not, or the run failed; 2 bad options."})
public final class ConsumerBenchmark implements Callable<Integer> {

    static final String STREAM = "events";
    static final List<String> WORKLOADS =
            List.of("lettuce-xreadgroup", "consume-ack", "consume-tx-local", "consume-tx-remote");

    @Option(
            names = "--messages",
            paramLabel = "N",
            defaultValue = "100000",
            description = "messages published, then consumed by each workload. Default: ${DEFAULT-VALUE}")
    int messages;

    @Option(
            names = "--concurrency",
            paramLabel = "N",
            defaultValue = "64",
            description = "deliveries handled at once (and transactions publishing at once). Default: ${DEFAULT-VALUE}")
    int concurrency;

    @Option(
            names = "--batch",
            paramLabel = "N",
            defaultValue = "64",
            description = "most entries one read returns. Default: ${DEFAULT-VALUE}")
    int batch;

    @Option(
            names = "--workloads",
            paramLabel = "NAME",
            split = ",",
            defaultValue = "lettuce-xreadgroup,consume-ack,consume-tx-local,consume-tx-remote",
            description = "workloads to run, comma-separated, in the order above. Default: all four")
    List<String> workloadNames;

    @Option(names = "--json", description = "end stdout with one line: the results as one JSON object")
    boolean json;

    private final PrintStream out;

    ConsumerBenchmark(PrintStream out) {
        this.out = out;
    }

    /**
     * Runs the benchmark.
     *
     * @param args see {@code --help}
     */
    public static void main(String[] args) {
        System.exit(run(System.out, args));
    }

    static int run(PrintStream out, String... args) {
        return new CommandLine(new ConsumerBenchmark(out)).execute(args);
    }

    @Override
    public Integer call() {
        for (String w : workloadNames) {
            if (!WORKLOADS.contains(w.trim())) {
                throw new CommandLine.ParameterException(
                        new CommandLine(this), "--workloads: unknown workload '" + w + "'; known: " + WORKLOADS);
            }
        }
        if (messages < 1 || concurrency < 1 || batch < 1 || batch > ConsumerOptions.MAX_BATCH_SIZE) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this),
                    "--messages and --concurrency must be at least 1, --batch between 1 and "
                            + ConsumerOptions.MAX_BATCH_SIZE);
        }
        Duration limit = Duration.ofMinutes(10);
        try (EmbeddedServers servers = EmbeddedServers.start(2, Persistence.IN_MEMORY)) {
            RedisServer a = servers.get(0);
            RedisServer b = servers.get(1);
            TransactionRuntime runtime = RedisTransactionRuntime.create(RuntimeOptions.builder()
                    .participant("a", a.uri())
                    .participant("b", b.uri())
                    .build());
            RedisClient client = RedisClient.create(a.uri());
            try (StatefulRedisConnection<String, String> connection = client.connect()) {
                out.printf(
                        Locale.ROOT,
                        "redtx consumer benchmark: servers on ports %s; %d messages, concurrency %d, batch %d%n",
                        EmbeddedServers.ports(servers.list()),
                        messages,
                        concurrency,
                        batch);
                long start = System.nanoTime();
                Flux.range(0, messages)
                        .flatMap(
                                i -> runtime.inTransaction(tx ->
                                        tx.on("a").publish(STREAM, Map.of("n", Integer.toString(i), "amount", "1"))),
                                concurrency)
                        .blockLast(limit);
                double publishRate = messages / ((System.nanoTime() - start) / 1e9);
                out.printf(Locale.ROOT, "%-20s %,10.0f msgs/s (one transaction each)%n", "publish", publishRate);

                Map<String, Object> results = new LinkedHashMap<>();
                results.put("publish", Math.round(publishRate));
                boolean ok = true;
                for (String w : WORKLOADS) {
                    if (workloadNames.stream().noneMatch(n -> n.trim().equals(w))) {
                        continue;
                    }
                    long began = System.nanoTime();
                    String check = switch (w) {
                        case "lettuce-xreadgroup" -> baseline(connection.reactive(), w, limit);
                        case "consume-ack" -> consumeAck(runtime, w, limit);
                        default -> consumeTransactionally(runtime, w, w.endsWith("local") ? a : b, limit);
                    };
                    double rate = messages / ((System.nanoTime() - began) / 1e9);
                    long pending = (Long) ((List<?>) a.command("XPENDING", STREAM, w)).get(0);
                    boolean passed = check.isEmpty() && pending == 0;
                    ok &= passed;
                    out.printf(
                            Locale.ROOT,
                            "%-20s %,10.0f msgs/s  %s%n",
                            w,
                            rate,
                            passed ? "PASS" : "FAIL " + check + (pending == 0 ? "" : " (" + pending + " pending)"));
                    results.put(w, Math.round(rate));
                }
                out.println("RESULT: " + (ok ? "PASS" : "FAIL"));
                if (json) {
                    out.println(results.entrySet().stream()
                            .map(e -> "\"" + e.getKey() + "\": " + e.getValue())
                            .collect(Collectors.joining(", ", "{\"msgsPerSec\": {", "}, \"pass\": " + ok + "}")));
                }
                return ok ? 0 : 1;
            } finally {
                runtime.closeGracefully().block(Duration.ofSeconds(30));
                client.shutdown();
            }
        }
    }

    /** Reads and acknowledges every entry with Lettuce alone: a batch per round trip, one XACK per batch. */
    private String baseline(RedisReactiveCommands<String, String> redis, String group, Duration limit) {
        redis.xgroupCreate(XReadArgs.StreamOffset.from(STREAM, "0"), group).block(limit);
        AtomicLong read = new AtomicLong();
        Consumer<String> consumer = Consumer.from(group, "c");
        Mono.defer(() -> redis.xreadgroup(
                                consumer, XReadArgs.Builder.count(batch), XReadArgs.StreamOffset.lastConsumed(STREAM))
                        .map(StreamMessage::getId)
                        .collectList()
                        .flatMap(ids ->
                                ids.isEmpty() ? Mono.just(0L) : redis.xack(STREAM, group, ids.toArray(String[]::new))))
                .doOnNext(read::addAndGet)
                .repeat(() -> read.get() < messages)
                .blockLast(limit);
        return read.get() == messages ? "" : "acknowledged " + read.get();
    }

    private String consumeAck(TransactionRuntime runtime, String group, Duration limit) {
        long n = runtime.consume(options(group))
                .flatMap(d -> d.ack().thenReturn(d), concurrency)
                .take(messages)
                .count()
                .block(limit);
        return n == messages ? "" : "acknowledged " + n;
    }

    /**
     * Each message's handler increments a key of its own on {@code counter}'s participant: no two handlers conflict,
     * and afterwards every key must hold 1 (applied once) and there must be one per message (none lost).
     */
    private String consumeTransactionally(
            TransactionRuntime runtime, String group, RedisServer counter, Duration limit) {
        String target = group.endsWith("local") ? "a" : "b";
        String prefix = "applied:" + group + ":";
        List<TransactionOutcome<Delivery, Long>> failed = runtime.<Long>consumeTransactionally(
                        options(group),
                        (d, tx) -> tx.on(target).incrBy(prefix + d.fields().get("n"), 1))
                .take(messages)
                .filter(o -> o.status() != TransactionOutcome.Status.COMMITTED)
                .collectList()
                .block(limit);
        if (!failed.isEmpty()) {
            return failed.size() + " not committed (first: " + failed.get(0).error() + ")";
        }
        List<?> keysAndWrong = (List<?>) counter.command(
                "EVAL",
                "local n, wrong = 0, 0 for _, k in ipairs(redis.call('KEYS', ARGV[1])) do n = n + 1"
                        + " if redis.call('GET', k) ~= '1' then wrong = wrong + 1 end end return {n, wrong}",
                "0",
                prefix + "*");
        long applied = (Long) keysAndWrong.get(0);
        long twice = (Long) keysAndWrong.get(1);
        return applied == messages && twice == 0
                ? ""
                : "applied " + applied + " of " + messages + " messages, " + twice + " more than once";
    }

    private ConsumerOptions options(String group) {
        return ConsumerOptions.builder(STREAM, group)
                .participant("a")
                .createGroup(true)
                .batchSize(batch)
                .concurrency(concurrency)
                .build();
    }
}
