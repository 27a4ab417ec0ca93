package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.RedtxException;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionOutcomeUnknownException;
import io.redtx.runtime.internal.protocol.ProtocolHooks;
import io.redtx.test.redis.IntentCount;
import io.redtx.test.redis.Persistence;
import io.redtx.test.redis.RedisCluster;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import io.redtx.test.redis.Resharder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The bank on a 3-master Redis Cluster participant ("c") and a standalone one ("s") while a {@link Resharder} moves
 * slots of cluster accounts from master to master (each slot padded with filler keys, moved 10 keys per
 * {@code MIGRATE} like {@code redis-cli --cluster reshard}). Accounts are in groups of 8 (6 on the cluster, 2 on the
 * standalone server); transfers stay inside a group and an audit sums one group, as in the fault suite. Only the
 * first half of the groups have their slots moved, so the other half are the same load without migrations.
 *
 * <p>Counts the transfers and audits that met a slot being migrated and how many of them committed (the runtime waits
 * for a migration within each step's timeout), then checks from the servers what the fault suite checks: every
 * transfer is on all of its shards or on none (a marker per account it touched), every acknowledged one is there and
 * every failed one is not, each balance is the opening one plus its transfers, every group's total holds, and no
 * lock, intent or index entry is left on any master.
 */
@RedisTest
class ReshardingUnderLoadTest {

    private static final String NS = "redtx:";
    private static final long OPENING = 1_000;
    private static final int GROUPS = 8;
    private static final int GROUP_SIZE = 8;
    /** Of each group, the accounts on the standalone participant (the others are on the cluster). */
    private static final int STANDALONE_PER_GROUP = 2;
    /** Filler keys per cluster account's slot: a migration moves them too, 10 per MIGRATE. */
    private static final int FILLERS = 300;

    private static final Duration LOAD = Duration.ofSeconds(10);
    private static final int CONCURRENCY = 12;
    private static final double TARGET = 0.9;

    static RedisCluster cluster;
    static RedisServer standalone;

    /** An account: a key on a participant. */
    record Account(String participant, String key) {
        /** The key of this account's marker for transfer {@code id}: in the account's slot (its key is the tag). */
        String marker(String id) {
            return "{" + key + "}:x:" + id;
        }
    }

    /** What one transfer or audit did: its time, the cluster slots it touched, and how it ended. */
    record Op(boolean audit, long startNanos, long endNanos, Set<Integer> slots, String outcome) {}

    @BeforeAll
    static void start(RedisServer server) {
        standalone = server;
        cluster = RedisCluster.start(3, Persistence.IN_MEMORY);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void transfersAndAuditsOnMigratingSlotsCommitAndTheBankHolds() throws Exception {
        List<Account> accounts = IntStream.range(0, GROUPS * GROUP_SIZE)
                .mapToObj(i -> i % GROUP_SIZE < STANDALONE_PER_GROUP
                        ? new Account("s", "acct:s" + i)
                        : new Account("c", "acct:c" + i))
                .toList();
        List<Integer> slots = new ArrayList<>();
        for (Account a : accounts.subList(0, GROUPS / 2 * GROUP_SIZE)) {
            if (a.participant().equals("s")) {
                continue;
            }
            int slot = RedisCluster.slot(a.key());
            slots.add(slot);
            cluster.masterOf(slot)
                    .command(
                            "EVAL",
                            "for i = 1, tonumber(ARGV[2]) do redis.call('SET', ARGV[1] .. i, 'filler') end",
                            "0",
                            "{" + a.key() + "}:f:",
                            Integer.toString(FILLERS));
        }
        RedisTransactionRuntime rt = RedisTransactionRuntime.create(
                RuntimeOptions.builder()
                        .participant("c", cluster.participantUri())
                        .participant("s", standalone.uri())
                        .build(),
                ProtocolHooks.NONE);
        ConcurrentLinkedQueue<Op> ops = new ConcurrentLinkedQueue<>();
        Map<String, String> claims = new ConcurrentHashMap<>();
        List<Throwable> unexpected = new ArrayList<>();
        List<Long> wrongAudits = new ArrayList<>();
        int migrations;
        long keysMoved;
        try {
            rt.inTransaction(tx -> Flux.fromIterable(accounts)
                            .concatMap(a -> tx.on(a.participant()).set(a.key(), Long.toString(OPENING)))
                            .then())
                    .block(Duration.ofSeconds(30));

            AtomicBoolean stop = new AtomicBoolean();
            Random random = new Random(16);
            Mono<Void> load = Flux.range(0, Integer.MAX_VALUE)
                    .takeWhile(i -> !stop.get())
                    .flatMap(
                            i -> {
                                int group;
                                int from;
                                int to;
                                synchronized (random) {
                                    group = random.nextInt(GROUPS);
                                    from = random.nextInt(GROUP_SIZE);
                                    to = (from + 1 + random.nextInt(GROUP_SIZE - 1)) % GROUP_SIZE;
                                }
                                int first = group * GROUP_SIZE;
                                if (i % 8 == 0) {
                                    return audit(rt, accounts.subList(first, first + GROUP_SIZE), ops, wrongAudits);
                                }
                                return transfer(
                                        rt, accounts, "t" + i, first + from, first + to, 1 + i % 9, ops, claims);
                            },
                            CONCURRENCY)
                    .onErrorResume(e -> {
                        synchronized (unexpected) {
                            unexpected.add(e);
                        }
                        return Mono.empty();
                    })
                    .then();
            var done = load.toFuture();
            try (Resharder resharder = Resharder.start(cluster, slots, 10, Duration.ofMillis(10))) {
                TimeUnit.NANOSECONDS.sleep(LOAD.toNanos());
                stop.set(true);
                done.get(60, TimeUnit.SECONDS);
                migrations = resharder.migrations();
                keysMoved = resharder.keysMoved();
            }
            recoverUntilNoIntents(rt);
        } finally {
            rt.closeGracefully().block(Duration.ofSeconds(30));
        }

        Map<String, long[]> share = new TreeMap<>();
        for (Op op : ops) {
            boolean met = op.slots().stream().anyMatch(s -> cluster.migrating(s, op.startNanos(), op.endNanos()));
            long[] counts = share.computeIfAbsent(
                    (op.audit() ? "audits" : "transfers") + (met ? " on a migrating slot" : " elsewhere"),
                    k -> new long[2]);
            counts[0]++;
            if ("committed".equals(op.outcome())) {
                counts[1]++;
            }
        }
        Map<String, Long> outcomes =
                ops.stream().collect(Collectors.groupingBy(Op::outcome, TreeMap::new, Collectors.counting()));
        System.out.printf(
                "resharding under load: %d migrations (%d keys moved) in %d s, %d transactions, outcomes %s%n",
                migrations, keysMoved, LOAD.toSeconds(), ops.size(), outcomes);
        share.forEach((what, c) ->
                System.out.printf("  %-32s %5d, committed %5d (%.1f%%)%n", what, c[0], c[1], 100.0 * c[1] / c[0]));

        assertThat(unexpected).isEmpty();
        assertThat(wrongAudits).as("audits that saw a wrong group total").isEmpty();
        assertThat(migrations).isGreaterThanOrEqualTo(slots.size());
        for (String kind : List.of("transfers", "audits")) {
            long[] c = share.get(kind + " on a migrating slot");
            assertThat(c).as("%s that met a migrating slot", kind).isNotNull();
            assertThat(c[0]).as("%s that met a migrating slot", kind).isGreaterThanOrEqualTo(20);
            assertThat((double) c[1] / c[0])
                    .as("share of %s on a migrating slot that committed", kind)
                    .isGreaterThanOrEqualTo(TARGET);
        }
        assertServersHold(accounts, claims);
    }

    /** A transfer that also writes a marker in the slot of each of its two accounts. */
    private static Mono<Void> transfer(
            RedisTransactionRuntime rt,
            List<Account> accounts,
            String id,
            int from,
            int to,
            long amount,
            ConcurrentLinkedQueue<Op> ops,
            Map<String, String> claims) {
        Account a = accounts.get(from);
        Account b = accounts.get(to);
        String marker = from + ">" + to + ":" + amount;
        return Mono.defer(() -> {
            long start = System.nanoTime();
            return rt.inTransaction(tx -> tx.on(a.participant())
                            .decrBy(a.key(), amount)
                            .then(tx.on(b.participant()).incrBy(b.key(), amount))
                            .then(tx.on(a.participant()).set(a.marker(id), marker))
                            .then(tx.on(b.participant()).set(b.marker(id), marker))
                            .thenReturn("committed"))
                    .onErrorResume(
                            RedtxException.class,
                            e -> Mono.just(
                                    e instanceof TransactionOutcomeUnknownException
                                            ? "unknown"
                                            : e.getClass().getSimpleName()))
                    .doOnNext(outcome -> {
                        claims.put(id, outcome);
                        ops.add(new Op(false, start, System.nanoTime(), slotsOf(List.of(a, b)), outcome));
                    })
                    .then();
        });
    }

    /** Reads the balances of a group in one transaction; a committed audit must see the group's opening total. */
    private static Mono<Void> audit(
            RedisTransactionRuntime rt, List<Account> accounts, ConcurrentLinkedQueue<Op> ops, List<Long> wrong) {
        return Mono.defer(() -> {
            long start = System.nanoTime();
            return rt.inTransaction(tx -> Flux.fromIterable(accounts)
                            .flatMap(a -> tx.on(a.participant()).get(a.key()))
                            .map(Long::parseLong)
                            .reduce(0L, Long::sum))
                    .map(sum -> {
                        if (sum != OPENING * accounts.size()) {
                            synchronized (wrong) {
                                wrong.add(sum);
                            }
                        }
                        return "committed";
                    })
                    .onErrorResume(
                            RedtxException.class, e -> Mono.just(e.getClass().getSimpleName()))
                    .doOnNext(outcome -> ops.add(new Op(true, start, System.nanoTime(), slotsOf(accounts), outcome)))
                    .then();
        });
    }

    private static Set<Integer> slotsOf(List<Account> accounts) {
        return accounts.stream()
                .filter(a -> a.participant().equals("c"))
                .map(a -> RedisCluster.slot(a.key()))
                .collect(Collectors.toSet());
    }

    /** Recovery passes until nothing is left on any server, for at most 30 s. */
    private static void recoverUntilNoIntents(RedisTransactionRuntime rt) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!(IntentCount.on(NS, cluster).none()
                        && IntentCount.on(NS, List.of(standalone)).none())
                && System.nanoTime() < deadline) {
            rt.recover().block(Duration.ofSeconds(30));
            Thread.sleep(100);
        }
    }

    /**
     * The fault suite's checks, from the servers: markers all or nothing, claims kept, balances equal to the opening
     * ones plus the transfers whose markers exist, the total, and nothing left unsettled.
     */
    private static void assertServersHold(List<Account> accounts, Map<String, String> claims) {
        Map<String, List<String>> markers = new HashMap<>();
        List<RedisServer> servers = new ArrayList<>(cluster.masters());
        servers.add(standalone);
        for (RedisServer server : servers) {
            for (Object key : (List<?>) server.command("KEYS", "*:x:*")) {
                String k = (String) key;
                markers.computeIfAbsent(k.substring(k.indexOf(":x:") + 3), id -> new ArrayList<>())
                        .add((String) server.command("GET", k));
            }
        }
        List<String> violations = new ArrayList<>();
        long[] expected = new long[accounts.size()];
        java.util.Arrays.fill(expected, OPENING);
        markers.forEach((id, values) -> {
            if (values.size() != 2 || !values.get(0).equals(values.get(1))) {
                violations.add("partial transfer " + id + ": markers " + values);
                return;
            }
            String[] t = values.get(0).split("[>:]");
            long amount = Long.parseLong(t[2]);
            expected[Integer.parseInt(t[0])] -= amount;
            expected[Integer.parseInt(t[1])] += amount;
        });
        claims.forEach((id, outcome) -> {
            boolean present = markers.containsKey(id);
            if (outcome.equals("committed") && !present) {
                violations.add("acknowledged transfer " + id + " is on no shard");
            } else if (!outcome.equals("committed") && !outcome.equals("unknown") && present) {
                violations.add("transfer " + id + " failed (" + outcome + ") but is present");
            }
        });
        long total = 0;
        for (int i = 0; i < accounts.size(); i++) {
            Account a = accounts.get(i);
            RedisServer server = a.participant().equals("c") ? cluster.masterFor(a.key()) : standalone;
            long balance = Long.parseLong((String) server.command("GET", a.key()));
            total += balance;
            if (balance != expected[i]) {
                violations.add(a.key() + " holds " + balance + ", its transfers' markers make " + expected[i]);
            }
        }
        if (total != OPENING * accounts.size()) {
            violations.add("total " + total + ", expected " + OPENING * accounts.size());
        }
        IntentCount left = IntentCount.on(NS, cluster);
        if (!left.none() || !IntentCount.on(NS, List.of(standalone)).none()) {
            violations.add("unsettled: cluster " + left + ", standalone " + IntentCount.on(NS, List.of(standalone)));
        }
        System.out.printf(
                "servers: %d transfers committed (markers), total %d, violations: %d%n",
                markers.size(), total, violations.size());
        violations.stream().limit(20).forEach(v -> System.out.println("  VIOLATION " + v));
        assertThat(violations).isEmpty();
    }
}
