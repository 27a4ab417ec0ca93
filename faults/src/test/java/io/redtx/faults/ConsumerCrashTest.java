package io.redtx.faults;

import static io.redtx.faults.ConsumerProcess.ACCOUNT;
import static io.redtx.faults.ConsumerProcess.AMOUNT;
import static io.redtx.faults.ConsumerProcess.APPLIED_PREFIX;
import static io.redtx.faults.ConsumerProcess.GROUP;
import static io.redtx.faults.ConsumerProcess.NUMBER;
import static io.redtx.faults.ConsumerProcess.STREAM;
import static io.redtx.faults.ConsumerProcess.STREAM_PARTICIPANT;
import static io.redtx.faults.ConsumerProcess.TARGET;
import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.TransactionRuntime;
import io.redtx.api.message.ConsumerOptions;
import io.redtx.runtime.RedisTransactionRuntime;
import io.redtx.test.redis.IntentCount;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Flux;

/**
 * Consumers in child JVMs ({@link ConsumerProcess}) killed with {@code kill -9} in the middle of a batch, each time
 * replaced by a consumer of another name that reclaims what the dead one left pending. Every message of the stream
 * asks for one increment on one of three {@code redis-server} participants, counted in a per-message audit hash next
 * to it; after the last consumer drained the stream and a recovery pass, each message must have been applied exactly
 * once, every counter must hold the sum of its messages, nothing may be pending, dead-lettered or left unsettled.
 * Every child a test starts is killed by its pid when the test ends, failed or not.
 */
@RedisTest
class ConsumerCrashTest {

    private static final List<String> NAMES = FaultSuite.PARTICIPANTS;
    private static final int ACCOUNTS_PER_PARTICIPANT = 40;
    private static final int PUBLISH_CONCURRENCY = 8;
    private static final Duration START_LIMIT = Duration.ofSeconds(30);
    /** Longest time for a consumer to reach the number of applied messages at which it is killed. */
    private static final Duration PHASE_LIMIT = Duration.ofSeconds(60);
    /** Longest time for the last consumer to drain the stream. */
    private static final Duration DRAIN_LIMIT = Duration.ofSeconds(90);

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final long POLL_MS = 10;

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void consumersKilledMidBatchLeaveEveryMessageAppliedExactlyOnce(RedisServer a, RedisServer b, RedisServer c)
            throws Exception {
        int messages = 2_000;
        Run r = run(
                List.of(a, b, c),
                ConsumerProcess.Mode.TRANSACTIONAL,
                Duration.ofMillis(20),
                messages,
                List.of(500, 1_200));
        System.out.printf(
                Locale.ROOT,
                "consumer kill -9: %d messages, %d consumers killed mid-batch, duplicates %d, lost %d, violations %d%n",
                r.messages(),
                r.killedMidBatch(),
                r.duplicates(),
                r.lost(),
                r.violations());
        System.out.printf(
                Locale.ROOT,
                "consumer kill -9: %d effects committed by a consumer killed before it reported them, %d deliveries"
                        + " found their processed marker and were only acknowledged%n",
                r.committedUnreported(),
                r.acknowledgedOnly());
        assertThat(r.details()).isEmpty();
        assertThat(r.violations()).isZero();
        assertThat(r.killedMidBatch())
                .as("consumers killed with entries pending")
                .isEqualTo(2);
    }

    /**
     * The control: acknowledging after the effect's own transaction, without the processed marker, a consumer killed
     * between its commits and their acknowledgements makes the next consumer apply those messages again. Without
     * duplicates here, the test above would prove nothing.
     */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void withoutTheProcessedMarkerAConsumerKilledBetweenCommitAndAckDuplicatesEffects(
            RedisServer a, RedisServer b, RedisServer c) throws Exception {
        Run r = run(
                List.of(a, b, c),
                ConsumerProcess.Mode.ACK_AFTER_COMMIT,
                // Its pause sits between commit and acknowledgement: most of a batch is there when the kill lands.
                Duration.ofMillis(100),
                600,
                List.of(200));
        System.out.printf(
                Locale.ROOT,
                "ack after commit, no marker (control): %d messages, %d consumers killed mid-batch, duplicates %d,"
                        + " lost %d, violations %d%n",
                r.messages(),
                r.killedMidBatch(),
                r.duplicates(),
                r.lost(),
                r.violations());
        assertThat(r.killedMidBatch()).isEqualTo(1);
        assertThat(r.duplicates()).isPositive();
        assertThat(r.lost()).isZero();
    }

    /**
     * What a run left.
     *
     * @param messages entries of the stream
     * @param killedMidBatch killed consumers that left entries pending
     * @param duplicates messages applied more than once
     * @param lost messages never applied
     * @param violations every failed check, duplicates and lost messages included
     * @param details the failed checks other than duplicates and lost messages
     * @param committedUnreported effects a killed consumer committed and never reported (it died between the commit
     *     and the end of its outcome's way through its {@code Flux})
     * @param acknowledgedOnly committed outcomes without an effect of their consumer: deliveries whose processed
     *     marker was there, acknowledged without running the handler
     */
    private record Run(
            long messages,
            int killedMidBatch,
            long duplicates,
            long lost,
            long violations,
            List<String> details,
            long committedUnreported,
            long acknowledgedOnly) {}

    /**
     * Publishes {@code messages}, then runs one consumer JVM per kill threshold, each killed once the servers hold that
     * many applied messages, then one more that drains the stream; recovers and checks.
     */
    private static Run run(
            List<RedisServer> servers, ConsumerProcess.Mode mode, Duration delay, int messages, List<Integer> killAt)
            throws Exception {
        Map<String, String> uris = new LinkedHashMap<>();
        for (int i = 0; i < NAMES.size(); i++) {
            uris.put(NAMES.get(i), servers.get(i).uri());
        }
        Map<String, RedisServer> byName = new HashMap<>();
        for (int i = 0; i < NAMES.size(); i++) {
            byName.put(NAMES.get(i), servers.get(i));
        }
        RedisServer streamServer = byName.get(STREAM_PARTICIPANT);
        publish(uris, messages);

        List<ConsumerJvm> consumers = new ArrayList<>();
        Map<String, Long> leftPending = new LinkedHashMap<>();
        try {
            for (int k = 0; k <= killAt.size(); k++) {
                ConsumerJvm consumer = ConsumerJvm.start("worker-" + (k + 1), mode, delay, uris);
                consumers.add(consumer);
                consumer.awaitReady(START_LIMIT);
                if (k < killAt.size()) {
                    int threshold = killAt.get(k);
                    await(
                            () -> applied(servers) >= threshold || !consumer.isAlive(),
                            PHASE_LIMIT,
                            () -> consumer.name() + " did not apply " + threshold + " messages (applied "
                                    + applied(servers) + ")");
                    assertThat(consumer.isAlive())
                            .as(consumer.name() + " exited early: " + consumer.stderrTail())
                            .isTrue();
                    long appliedBefore = applied(servers);
                    consumer.kill9();
                    // Nobody else consumes now: what the group lists as the dead consumer's is exactly what it left.
                    long pending = consumerPending(streamServer, consumer.name());
                    leftPending.put(consumer.name(), pending);
                    System.out.printf(
                            Locale.ROOT,
                            "  %s (pid %d) killed with kill -9 at %d applied messages: it reported %d commits, left %d"
                                    + " entries pending; not committed %s%n",
                            consumer.name(),
                            consumer.pid(),
                            appliedBefore,
                            consumer.committed(),
                            pending,
                            consumer.notCommitted());
                } else {
                    await(
                            () -> drained(streamServer) || !consumer.isAlive(),
                            DRAIN_LIMIT,
                            () -> consumer.name() + " did not drain the stream: " + groupInfo(streamServer));
                    assertThat(consumer.isAlive())
                            .as(consumer.name() + " exited early: " + consumer.stderrTail())
                            .isTrue();
                    assertThat(consumer.stop())
                            .as(consumer.name() + " exit status")
                            .isZero();
                    System.out.printf(
                            Locale.ROOT,
                            "  %s (pid %d) drained the stream: it reported %d commits; not committed %s%n",
                            consumer.name(),
                            consumer.pid(),
                            consumer.committed(),
                            consumer.notCommitted());
                }
            }
        } finally {
            ChildJvms.closeAll(consumers);
        }

        // Past the lease, what a dead consumer's transactions left is expired: one pass settles it all.
        Thread.sleep(FaultSuite.LEASE.toMillis() + 500);
        TransactionRuntime fresh = RedisTransactionRuntime.create(ConsumerProcess.runtimeOptions(uris));
        try {
            fresh.recover().block(WAIT);
        } finally {
            fresh.closeGracefully().block(WAIT);
        }
        return check(servers, byName, messages, consumers, leftPending, mode);
    }

    private static void publish(Map<String, String> uris, int messages) {
        // Setup, not the fault: wide time limits, so that a loaded machine does not fail a publication with its outcome
        // unknown (the message would be there or not: the run would not know how many to expect).
        TransactionRuntime runtime = RedisTransactionRuntime.create(FaultSuite.runtimeOptions(uris)
                .connections(c -> c.requireSyncedWrites(false))
                .timeouts(t -> t.prepare(WAIT).commit(WAIT).read(WAIT).transaction(WAIT.multipliedBy(2)))
                .build());
        try {
            Flux.range(0, messages)
                    .flatMap(
                            i -> runtime.inTransaction(
                                    tx -> tx.on(STREAM_PARTICIPANT).publish(STREAM, message(i))),
                            PUBLISH_CONCURRENCY)
                    .blockLast(Duration.ofMinutes(2));
        } finally {
            runtime.closeGracefully().block(WAIT);
        }
    }

    /** Message {@code i}: two in five on b, two on c, one on a (then 1-phase with its marker), amounts 1 to 9. */
    private static Map<String, String> message(int i) {
        String target = NAMES.get(i % 5 < 2 ? 1 : i % 5 < 4 ? 2 : 0);
        return Map.of(
                NUMBER,
                Integer.toString(i),
                TARGET,
                target,
                ACCOUNT,
                "account:" + (i * 7 % ACCOUNTS_PER_PARTICIPANT),
                AMOUNT,
                Integer.toString(1 + i % 9));
    }

    private static Run check(
            List<RedisServer> servers,
            Map<String, RedisServer> byName,
            int messages,
            List<ConsumerJvm> consumers,
            Map<String, Long> leftPending,
            ConsumerProcess.Mode mode) {
        RedisServer streamServer = byName.get(STREAM_PARTICIPANT);
        List<String> details = new ArrayList<>();
        List<Map.Entry<String, Map<String, String>>> entries = entries(streamServer);
        Set<String> numbers = new HashSet<>();
        entries.forEach(e -> numbers.add(e.getValue().get(NUMBER)));
        if (entries.size() != messages || numbers.size() != messages) {
            details.add("the stream holds " + entries.size() + " entries, " + numbers.size() + " distinct messages,"
                    + " expected " + messages);
        }

        long duplicates = 0;
        long lost = 0;
        Map<String, Long> expected = new HashMap<>(); // target + ' ' + account -> sum of amounts
        Map<String, Long> appliedBy = new HashMap<>(); // consumer -> messages whose effect it committed
        for (Map.Entry<String, Map<String, String>> e : entries) {
            Map<String, String> f = e.getValue();
            expected.merge(f.get(TARGET) + " " + f.get(ACCOUNT), Long.parseLong(f.get(AMOUNT)), Long::sum);
            List<?> audit = (List<?>) byName.get(f.get(TARGET)).command("HGETALL", APPLIED_PREFIX + e.getKey());
            long count = 0;
            for (int i = 0; i + 1 < audit.size(); i += 2) {
                long n = Long.parseLong(String.valueOf(audit.get(i + 1)));
                count += n;
                appliedBy.merge(String.valueOf(audit.get(i)), n, Long::sum);
            }
            if (count == 0) {
                lost++;
            } else if (count > 1) {
                duplicates++;
            }
        }
        expected.forEach((key, sum) -> {
            String[] targetAndAccount = key.split(" ");
            Object value = byName.get(targetAndAccount[0]).command("GET", targetAndAccount[1]);
            if (value == null || Long.parseLong(String.valueOf(value)) != sum) {
                details.add(targetAndAccount[1] + " on " + targetAndAccount[0] + " holds " + value + ", its messages"
                        + " add up to " + sum);
            }
        });
        long pending = groupPending(streamServer);
        if (pending != 0) {
            details.add(pending + " entries still pending");
        }
        Object deadLettered = streamServer.command("XLEN", STREAM + ConsumerOptions.DEAD_LETTER_SUFFIX);
        if (!Long.valueOf(0).equals(deadLettered)) {
            details.add(deadLettered + " entries dead-lettered");
        }
        IntentCount intents = IntentCount.on("redtx:", servers);
        if (!intents.none()) {
            details.add("unsettled after recovery: " + intents);
        }

        int killedMidBatch = 0;
        long committedUnreported = 0;
        long acknowledgedOnly = 0;
        for (ConsumerJvm consumer : consumers) {
            Long left = leftPending.get(consumer.name());
            long inRedis = appliedBy.getOrDefault(consumer.name(), 0L);
            if (left != null && left > 0) {
                killedMidBatch++;
            }
            // Killed after a commit, before its outcome reached the output: the effect (and with
            // consumeTransactionally the acknowledgement) is in Redis, the process never said so.
            long unreported = left == null ? 0 : Math.max(0, inRedis - consumer.committed());
            // A committed outcome without an effect of this consumer: the marker said another one had processed it.
            long markerOnly = Math.max(0, consumer.committed() - inRedis);
            committedUnreported += unreported;
            acknowledgedOnly += markerOnly;
            System.out.printf(
                    Locale.ROOT,
                    "  %s: %d effects committed in Redis, %d commits reported (net: %d committed unreported, %d"
                            + " acknowledged only)%n",
                    consumer.name(),
                    inRedis,
                    consumer.committed(),
                    unreported,
                    markerOnly);
        }
        // The control's are what it must show, not a failure of redtx: marked so that a search of the log tells them
        // apart.
        String label = mode == ConsumerProcess.Mode.TRANSACTIONAL ? "  VIOLATION " : "  (control) VIOLATION ";
        details.forEach(d -> System.out.println(label + d));
        return new Run(
                entries.size(),
                killedMidBatch,
                duplicates,
                lost,
                duplicates + lost + details.size(),
                details,
                committedUnreported,
                acknowledgedOnly);
    }

    /** @return the audit hashes on every server: messages applied at least once */
    private static long applied(List<RedisServer> servers) {
        long n = 0;
        for (RedisServer s : servers) {
            n += (Long) s.command("EVAL", "return #redis.call('KEYS', ARGV[1])", "0", APPLIED_PREFIX + "*");
        }
        return n;
    }

    /** @return whether the group delivered the stream's last entry and nothing is pending */
    private static boolean drained(RedisServer server) {
        List<?> last = (List<?>) server.command("XREVRANGE", STREAM, "+", "-", "COUNT", "1");
        String lastId = (String) ((List<?>) last.get(0)).get(0);
        Map<String, Object> group = groupInfo(server);
        return lastId.equals(group.get("last-delivered-id")) && Long.valueOf(0).equals(group.get("pending"));
    }

    private static Map<String, Object> groupInfo(RedisServer server) {
        for (Object g : (List<?>) server.command("XINFO", "GROUPS", STREAM)) {
            Map<String, Object> info = pairs((List<?>) g);
            if (GROUP.equals(info.get("name"))) {
                return info;
            }
        }
        return Map.of();
    }

    private static long groupPending(RedisServer server) {
        return (Long) ((List<?>) server.command("XPENDING", STREAM, GROUP)).get(0);
    }

    private static long consumerPending(RedisServer server, String consumer) {
        for (Object c : (List<?>) server.command("XINFO", "CONSUMERS", STREAM, GROUP)) {
            Map<String, Object> info = pairs((List<?>) c);
            if (consumer.equals(info.get("name"))) {
                return (Long) info.get("pending");
            }
        }
        return 0;
    }

    private static Map<String, Object> pairs(List<?> flat) {
        Map<String, Object> map = new HashMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            map.put(String.valueOf(flat.get(i)), flat.get(i + 1));
        }
        return map;
    }

    /** @return the stream's entries in order: id and fields, read a page at a time */
    private static List<Map.Entry<String, Map<String, String>>> entries(RedisServer server) {
        List<Map.Entry<String, Map<String, String>>> entries = new ArrayList<>();
        String start = "-";
        while (true) {
            List<?> page =
                    (List<?>) server.command("XRANGE", STREAM, start, "+", "COUNT", Integer.toString(Verifier.PAGE));
            for (Object e : page) {
                List<?> idAndFields = (List<?>) e;
                List<?> flat = (List<?>) idAndFields.get(1);
                Map<String, String> fields = new LinkedHashMap<>();
                for (int i = 0; i + 1 < flat.size(); i += 2) {
                    fields.put((String) flat.get(i), (String) flat.get(i + 1));
                }
                entries.add(Map.entry((String) idAndFields.get(0), fields));
            }
            if (page.size() < Verifier.PAGE) {
                return entries;
            }
            start = "(" + entries.get(entries.size() - 1).getKey();
        }
    }

    /** Polls {@code condition} until it holds; fails with {@code what} after {@code limit}. */
    private static void await(BooleanSupplier condition, Duration limit, java.util.function.Supplier<String> what)
            throws InterruptedException {
        long end = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError(what.get() + " within " + limit);
            }
            Thread.sleep(POLL_MS);
        }
    }
}
