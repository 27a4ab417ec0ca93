package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.redtx.api.CommitProtocol;
import io.redtx.api.RedtxArgumentException;
import io.redtx.api.RedtxException;
import io.redtx.api.RetryPolicy;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionOutcome;
import io.redtx.api.TransactionResult;
import io.redtx.api.TransactionStatus;
import io.redtx.api.lock.DistributedLock;
import io.redtx.api.lock.LockLease;
import io.redtx.api.lock.LockOptions;
import io.redtx.api.message.ConsumerOptions;
import io.redtx.api.message.Delivery;
import io.redtx.api.saga.SagaDefinition;
import io.redtx.api.saga.SagaOutcome;
import io.redtx.api.saga.SagaRetry;
import io.redtx.api.saga.SagaStep;
import io.redtx.runtime.internal.protocol.ProtocolHooks;
import io.redtx.test.redis.IntentCount;
import io.redtx.test.redis.Persistence;
import io.redtx.test.redis.RedisCluster;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * A Redis Cluster participant ("c": 3 masters with AOF {@code appendfsync always}, formed for this class) alone and
 * beside a standalone one ("s"): the bank invariant, where redtx's own keys land, recovery, a killed master.
 */
@RedisTest
class ClusterParticipantTest {

    private static final long OPENING = 100;
    private static final Duration LEASE = Duration.ofMillis(500);

    static RedisCluster cluster;
    static RedisServer standalone;

    RedisTransactionRuntime runtime;

    /** An account: a key on a participant. */
    record Account(String participant, String key) {}

    @BeforeAll
    static void start(RedisServer server) {
        standalone = server;
        cluster = RedisCluster.start(3, Persistence.DURABLE);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void flush() {
        cluster.masters().forEach(RedisServer::flushAll);
        standalone.flushAll();
    }

    @AfterEach
    void closeRuntime() {
        if (runtime != null) {
            runtime.closeGracefully().block(Duration.ofSeconds(30));
            runtime = null;
        }
    }

    static RuntimeOptions.Builder options() {
        return RuntimeOptions.builder()
                .participant("c", cluster.participantUri())
                .participant("s", standalone.uri())
                .recovery(r -> r.lease(LEASE))
                .retryPolicy(RetryPolicy.builder()
                        .maxAttempts(100)
                        .minBackoff(Duration.ofMillis(1))
                        .maxBackoff(Duration.ofMillis(20))
                        .build());
    }

    RedisTransactionRuntime runtime() {
        runtime = RedisTransactionRuntime.create(options().build(), ProtocolHooks.NONE);
        return runtime;
    }

    static List<Account> accounts(String participant, int n) {
        return IntStream.range(0, n)
                .mapToObj(i -> new Account(participant, "acct:" + participant + i))
                .toList();
    }

    static Mono<Void> open(RedisTransactionRuntime rt, List<Account> accounts) {
        return rt.inTransaction(tx -> Flux.fromIterable(accounts)
                .flatMap(a -> tx.on(a.participant()).set(a.key(), Long.toString(OPENING)))
                .then());
    }

    static Mono<TransactionResult<Long>> transfer(RedisTransactionRuntime rt, Account from, Account to, long amount) {
        return rt.inTransactionWithResult(tx -> Mono.zip(
                        tx.on(from.participant()).decrBy(from.key(), amount),
                        tx.on(to.participant()).incrBy(to.key(), amount))
                .map(balances -> balances.getT1()));
    }

    static Mono<Long> audit(RedisTransactionRuntime rt, List<Account> accounts) {
        return rt.inTransaction(tx -> Flux.fromIterable(accounts)
                .flatMap(a -> tx.on(a.participant()).get(a.key()))
                .map(Long::parseLong)
                .reduce(0L, Long::sum));
    }

    /**
     * {@code transfers} random transfers, 16 at a time, with an audit after every tenth; every audit must see the
     * opening total.
     *
     * @return the results of the transfers
     */
    static List<TransactionResult<Long>> bank(RedisTransactionRuntime rt, List<Account> accounts, int transfers) {
        long total = OPENING * accounts.size();
        List<Long> audits = new CopyOnWriteArrayList<>();
        List<TransactionResult<Long>> results = Flux.range(0, transfers)
                .flatMap(
                        i -> {
                            Account from = accounts.get((i * 7) % accounts.size());
                            Account to = accounts.get((i * 13 + 5) % accounts.size());
                            Mono<TransactionResult<Long>> t =
                                    from.equals(to) ? Mono.empty() : transfer(rt, from, to, 1 + i % 9);
                            return i % 10 == 0
                                    ? t.flatMap(r -> audit(rt, accounts)
                                            .doOnNext(audits::add)
                                            .thenReturn(r))
                                    : t;
                        },
                        16)
                .collectList()
                .block(Duration.ofSeconds(120));
        assertThat(audits).isNotEmpty().allSatisfy(sum -> assertThat(sum).isEqualTo(total));
        assertThat(audit(rt, accounts).block(Duration.ofSeconds(10))).isEqualTo(total);
        return results;
    }

    void assertNoIntents() {
        ThreeParticipantsTestBase.awaitTrue(() -> runtime.backgroundTasks() == 0);
        assertThat(IntentCount.on("redtx:", cluster)).isEqualTo(IntentCount.NONE);
        assertThat(IntentCount.on("redtx:", List.of(standalone))).isEqualTo(IntentCount.NONE);
    }

    @Test
    void transfersBetweenSlotsOfTheClusterKeepTheTotal() {
        RedisTransactionRuntime rt = runtime();
        List<Account> accounts = accounts("c", 24);
        assertThat(accounts.stream().map(a -> cluster.masterFor(a.key())).distinct())
                .as("the accounts are on every master")
                .hasSize(3);
        open(rt, accounts).block(Duration.ofSeconds(10));

        List<TransactionResult<Long>> results = bank(rt, accounts, 300);

        assertThat(results).hasSizeGreaterThan(250).allSatisfy(r -> {
            assertThat(r.commit().shards()).containsExactly("c");
            assertThat(r.commit().protocol()).isEqualTo(CommitProtocol.TWO_PHASE);
        });
        for (Account a : accounts) {
            assertThat(cluster.masterFor(a.key()).command("GET", a.key()))
                    .as("%s is on the master of its slot", a)
                    .isNotNull();
        }
        assertNoIntents();
    }

    @Test
    void keysOfOneSlotCommitInOnePhase() {
        RedisTransactionRuntime rt = runtime();
        List<Account> sameSlot = List.of(new Account("c", "{alice}:checking"), new Account("c", "{alice}:savings"));
        open(rt, sameSlot).block(Duration.ofSeconds(10));

        TransactionResult<Long> r =
                transfer(rt, sameSlot.get(0), sameSlot.get(1), 30).block(Duration.ofSeconds(10));

        assertThat(r.commit().protocol()).isEqualTo(CommitProtocol.ONE_PHASE);
        assertThat(r.value()).isEqualTo(70);
        assertThat(cluster.masterFor("{alice}:savings").command("GET", "{alice}:savings"))
                .isEqualTo("130");
        // Its marker sits in the keys' slot, where the status lookup's scan finds it.
        assertThat(rt.status(r.commit().transactionId()).block(Duration.ofSeconds(10)))
                .isEqualTo(TransactionStatus.COMMITTED);
        assertNoIntents();
    }

    @Test
    void transfersBetweenTheClusterAndAStandaloneServerKeepTheTotal() {
        RedisTransactionRuntime rt = runtime();
        List<Account> accounts = new ArrayList<>(accounts("c", 12));
        accounts.addAll(accounts("s", 12));
        Collections.shuffle(accounts, new java.util.Random(8));
        open(rt, accounts).block(Duration.ofSeconds(10));

        List<TransactionResult<Long>> results = bank(rt, accounts, 300);

        assertThat(results)
                .as("some transfers span both deployments")
                .anySatisfy(r -> assertThat(r.commit().shards()).containsExactly("c", "s"));
        assertNoIntents();
    }

    /**
     * A coordinator that dies after preparing leaves intents: on the cluster each sits in its key's slot, on the master
     * that serves it (lock, transaction key, index), the standalone server holds its own; recovery rolls them back
     * after the lease, and the status lookup finds the record on the cluster.
     */
    @Test
    void aDeadCoordinatorsIntentsSitInTheirKeysSlotsAndRecoveryRollsThemBack() {
        List<String> clusterKeys = List.of("x", "y", "z");
        String id = crashAt(ProtocolHooks.Step.AFTER_PREPARE, clusterKeys);

        Map<RedisServer, Set<Long>> slotsOf = new ConcurrentHashMap<>();
        for (String key : clusterKeys) {
            slotsOf.computeIfAbsent(cluster.masterFor(key), m -> new TreeSet<>())
                    .add((long) RedisCluster.slot(key));
        }
        int internal = 0;
        for (RedisServer master : cluster.masters()) {
            for (Object key : (List<?>) master.command("KEYS", "redtx:*")) {
                internal++;
                assertThat(master.command("CLUSTER", "KEYSLOT", (String) key))
                        .as("%s on %s", key, master)
                        .isIn(slotsOf.getOrDefault(master, Set.of()).toArray());
            }
        }
        assertThat(internal).as("3 locks, 3 intent keys, 3 indexes").isEqualTo(9);

        RedisTransactionRuntime rt = runtime();
        assertThat(rt.status(id).block(Duration.ofSeconds(10))).isEqualTo(TransactionStatus.IN_DOUBT);
        sleep(LEASE.toMillis() + 100);
        StepVerifier.create(rt.recover())
                .assertNext(report -> assertThat(report.rolledBack()).isEqualTo(4))
                .verifyComplete();
        assertThat(rt.status(id).block(Duration.ofSeconds(10))).isEqualTo(TransactionStatus.ABORTED);
        for (String key : clusterKeys) {
            assertThat(cluster.masterFor(key).command("GET", key)).isNull();
        }
        assertNoIntents();
    }

    @Test
    void aDeadCoordinatorsCommitIsRolledForwardOnEverySlot() {
        List<String> clusterKeys = List.of("x", "y", "z");
        String id = crashAt(ProtocolHooks.Step.AFTER_COMMIT_POINT, clusterKeys);

        RedisTransactionRuntime rt = runtime();
        assertThat(rt.status(id).block(Duration.ofSeconds(10))).isEqualTo(TransactionStatus.COMMITTED);
        sleep(LEASE.toMillis() + 100);
        StepVerifier.create(rt.recover())
                .assertNext(report -> assertThat(report.rolledForward()).isPositive())
                .verifyComplete();
        for (String key : clusterKeys) {
            assertThat(cluster.masterFor(key).command("GET", key)).isEqualTo("v-" + key);
        }
        assertThat(standalone.command("GET", "w")).isEqualTo("v-w");
        assertNoIntents();
    }

    /**
     * Reduced fault run: transfers between the cluster and the standalone server while one cluster master is killed
     * ({@code kill -9}) and restarted from its AOF. Transfers may fail meanwhile (the cluster is down), but only with
     * redtx's errors; afterwards recovery leaves no intent and the total never changed.
     */
    @Test
    void aKilledClusterMasterComesBackFromItsAofAndTheTotalHolds() throws Exception {
        RedisTransactionRuntime rt = runtime();
        List<Account> accounts = new ArrayList<>(accounts("c", 12));
        accounts.addAll(accounts("s", 4));
        open(rt, accounts).block(Duration.ofSeconds(10));
        long total = OPENING * accounts.size();

        Load load = Load.start(rt, accounts);

        RedisServer victim = cluster.masterFor(accounts.get(0).key());
        sleep(1000);
        long before = load.committed.get();
        victim.kill();
        sleep(1500);
        victim.restart();
        cluster.awaitHealthy(Duration.ofSeconds(30));
        sleep(1500);
        load.stop();

        assertThat(before).as("transfers before the kill").isPositive();
        assertThat(load.committed.get()).as("transfers after the restart").isGreaterThan(before);
        load.assertHeld(total);
        recoverUntilNoIntents(rt);
        assertThat(audit(rt, accounts).block(Duration.ofSeconds(10))).isEqualTo(total);
    }

    /**
     * Resharding under load: the slots of four accounts move to another master and back while transfers run. Scripts
     * that meet a slot half moved are refused whole (ASK, TRYAGAIN) and retried; none is half applied.
     */
    @Test
    void slotsMovingBetweenMastersUnderLoadKeepTheTotal() throws Exception {
        RedisTransactionRuntime rt = runtime();
        List<Account> accounts = accounts("c", 12);
        open(rt, accounts).block(Duration.ofSeconds(10));
        long total = OPENING * accounts.size();
        Load load = Load.start(rt, accounts);

        sleep(300);
        for (int round = 0; round < 2; round++) {
            for (Account a : accounts.subList(0, 4)) {
                int slot = RedisCluster.slot(a.key());
                RedisServer owner = cluster.masterFor(a.key());
                RedisServer next = cluster.masters().get((cluster.masters().indexOf(owner) + 1) % 3);
                cluster.migrateSlot(slot, next);
                assertThat(cluster.masterFor(a.key())).isSameAs(next);
                sleep(100);
            }
        }
        long moved = load.committed.get();
        sleep(500);
        load.stop();

        assertThat(load.committed.get()).as("transfers after the moves").isGreaterThan(moved);
        load.assertHeld(total);
        recoverUntilNoIntents(rt);
        for (Account a : accounts) {
            assertThat(cluster.masterFor(a.key()).command("GET", a.key())).isNotNull();
        }
        assertThat(audit(rt, accounts).block(Duration.ofSeconds(10))).isEqualTo(total);
    }

    /** Transfers and audits (one in ten), 8 at a time, until stopped; only redtx's errors are allowed. */
    static final class Load {
        final AtomicBoolean stopped = new AtomicBoolean();
        final AtomicLong committed = new AtomicLong();
        final List<Throwable> unexpected = new CopyOnWriteArrayList<>();
        final List<Long> audits = new CopyOnWriteArrayList<>();
        private CompletableFuture<Void> done;

        static Load start(RedisTransactionRuntime rt, List<Account> accounts) {
            Load load = new Load();
            load.done = Flux.range(0, 1_000_000)
                    .takeWhile(i -> !load.stopped.get())
                    .flatMap(
                            i -> {
                                Account from = accounts.get((i * 7) % accounts.size());
                                Account to = accounts.get((i * 11 + 3) % accounts.size());
                                Mono<Object> step = i % 10 == 0
                                        ? audit(rt, accounts)
                                                .doOnNext(load.audits::add)
                                                .cast(Object.class)
                                        : transfer(rt, from, to, 1 + i % 5)
                                                .doOnNext(r -> load.committed.incrementAndGet())
                                                .cast(Object.class);
                                return step.onErrorResume(e -> {
                                    if (!(e instanceof RedtxException)) {
                                        load.unexpected.add(e);
                                    }
                                    return Mono.empty();
                                });
                            },
                            8)
                    .then()
                    .toFuture();
            return load;
        }

        void stop() throws Exception {
            stopped.set(true);
            done.get(60, TimeUnit.SECONDS);
        }

        void assertHeld(long total) {
            assertThat(unexpected).isEmpty();
            assertThat(audits).isNotEmpty().allSatisfy(sum -> assertThat(sum).isEqualTo(total));
        }
    }

    /** Recovery passes (each after a lease) until nothing is left, for at most 20 s. */
    void recoverUntilNoIntents(RedisTransactionRuntime rt) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!(IntentCount.on("redtx:", cluster).none()
                        && IntentCount.on("redtx:", List.of(standalone)).none())
                && System.nanoTime() < deadline) {
            sleep(LEASE.toMillis());
            rt.recover().block(Duration.ofSeconds(10));
        }
        assertNoIntents();
    }

    /**
     * Runs a transaction that sets {@code v-<key>} on each cluster key and {@code w} on the standalone server, whose
     * coordinator dies at {@code step}.
     *
     * @return its id
     */
    private static String crashAt(ProtocolHooks.Step step, List<String> clusterKeys) {
        AtomicReference<String> dead = new AtomicReference<>();
        RedisTransactionRuntime dying = RedisTransactionRuntime.create(
                options().retryPolicy(RetryPolicy.none()).build(), at -> {
                    if (at.step() != step) {
                        return Mono.empty();
                    }
                    dead.set(at.transactionId());
                    return Mono.error(new IllegalStateException("coordinator died"));
                });
        try {
            StepVerifier.create(dying.inTransaction(t -> Flux.fromIterable(clusterKeys)
                            .concatMap(k -> t.on("c").set(k, "v-" + k))
                            .then(t.on("s").set("w", "v-w"))))
                    .expectErrorSatisfies(e -> assertThat(e)
                            .isInstanceOf(ProtocolHooks.Halted.class)
                            .hasRootCauseMessage("coordinator died"))
                    .verify(Duration.ofSeconds(10));
        } finally {
            dying.close();
        }
        return dead.get();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Test
    void locksOnTheClusterAreHandedOverOnReleaseAndGuardTransactions() {
        RedisTransactionRuntime rt = runtime();
        LockOptions onCluster = LockOptions.builder()
                .participant("c")
                .waitTime(Duration.ofSeconds(5))
                .build();
        for (String name : List.of("alpha", "beta", "gamma")) { // three slots, likely on different masters
            DistributedLock lock = rt.lock(name, onCluster);
            LockLease holder = lock.acquire().block(Duration.ofSeconds(10));
            AtomicLong grantedAt = new AtomicLong();
            Disposable waiter = lock.acquire()
                    .flatMap(lease -> {
                        grantedAt.set(System.nanoTime());
                        return rt.inTransaction(tx -> tx.requireLock(lease)
                                        .then(tx.on("c").set("guarded:" + name, Long.toString(lease.token())))
                                        .then(tx.on("s").set("guarded:" + name, Long.toString(lease.token()))))
                                .then(lease.release());
                    })
                    .subscribe();
            sleep(300); // refused, listening
            long releasedAt = System.nanoTime();
            holder.release().block(Duration.ofSeconds(5));
            long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (standalone.command("GET", "guarded:" + name) == null && System.nanoTime() < until) {
                sleep(5);
            }
            long ms = (grantedAt.get() - releasedAt) / 1_000_000;
            System.out.printf("cluster lock '%s' handed over %d ms after the release%n", name, ms);
            assertThat(ms)
                    .as("woken by the release message, not the 1 s fallback")
                    .isLessThan(500);
            assertThat(standalone.command("GET", "guarded:" + name)).isNotNull();
            waiter.dispose();
        }
    }

    /**
     * Sagas whose records live on the Cluster: each record, its lease and the participant's saga index are in
     * different slots, so every step's progress is a two-phase commit inside the Cluster. Completed, compensated and
     * taken over after a dead runner, with nothing left in any slot.
     */
    @Test
    void sagasOnTheClusterCompleteCompensateAndAreTakenOverAcrossSlots() {
        AtomicBoolean runnerAlive = new AtomicBoolean(true);
        Set<String> charged = ConcurrentHashMap.newKeySet();
        Set<String> refunded = ConcurrentHashMap.newKeySet();
        SagaDefinition order = SagaDefinition.builder("order")
                .lease(LEASE)
                .step(SagaStep.transactional("reserve", (ctx, tx) -> tx.on("c").decrBy("stock", 1))
                        .withCompensation((ctx, tx) -> tx.on("c").incrBy("stock", 1)))
                .step(SagaStep.external(
                                "charge",
                                ctx -> Mono.defer(() -> {
                                    if ("hang".equals(ctx.input().get("mode")) && runnerAlive.get()) {
                                        return Mono.never(); // the runner dies here
                                    }
                                    if ("decline".equals(ctx.input().get("mode"))) {
                                        return Mono.error(new IllegalStateException("declined"));
                                    }
                                    charged.add(ctx.idempotencyKey());
                                    return Mono.empty();
                                }))
                        .withCompensation(ctx -> Mono.fromRunnable(() -> refunded.add(ctx.idempotencyKey())))
                        .withRetry(SagaRetry.none()))
                .step(SagaStep.transactional("record", (ctx, tx) -> tx.on("s").set("order:" + ctx.sagaId(), "placed")))
                .build();
        RuntimeOptions.Builder onCluster = options().keyRouter(key -> "c").saga(order);
        RedisTransactionRuntime rt = RedisTransactionRuntime.create(onCluster.build(), ProtocolHooks.NONE);
        runtime = rt;

        List<SagaOutcome> outcomes = Flux.range(0, 12)
                .flatMap(i -> rt.saga("order").start("o-" + i, Map.of("mode", i % 4 == 3 ? "decline" : "pay")), 6)
                .collectList()
                .block(Duration.ofSeconds(30));
        assertThat(outcomes).hasSize(12);
        assertThat(outcomes.stream().filter(o -> o.status() == SagaOutcome.Status.COMPLETED))
                .hasSize(9);
        assertThat(outcomes.stream().filter(o -> o.status() == SagaOutcome.Status.COMPENSATED))
                .hasSize(3);
        assertThat(cluster.masterFor("stock").command("GET", "stock")).isEqualTo("-9");
        assertThat(charged).hasSize(9);
        assertThat(refunded).hasSize(3); // a declined charge is compensated too: its effect is unknown

        // A runner that dies in its charge: another runtime's recovery takes the saga over past its lease.
        RedisTransactionRuntime dying = RedisTransactionRuntime.create(
                onCluster.recovery(r -> r.lease(LEASE).interval(Duration.ZERO)).build(), ProtocolHooks.NONE);
        Disposable hanging =
                dying.saga("order").start("o-hang", Map.of("mode", "hang")).subscribe();
        ThreeParticipantsTestBase.awaitTrue(
                () -> "-10".equals(cluster.masterFor("stock").command("GET", "stock")));
        hanging.dispose();
        dying.close();
        runnerAlive.set(false);
        sleep(LEASE.toMillis() + 200);
        StepVerifier.create(rt.recover())
                .assertNext(report -> assertThat(report.sagasResumed()).isEqualTo(1))
                .verifyComplete();
        assertThat(standalone.command("GET", "order:o-hang")).isEqualTo("placed");
        assertThat(charged).contains("o-hang/1");

        for (RedisServer master : cluster.masters()) {
            for (Object key : (List<?>) master.command("KEYS", "redtx:sg*")) {
                assertThat((String) key)
                        .as("only finished sagas' records stay (for their retention)")
                        .startsWith("redtx:sg:");
            }
        }
        assertNoIntents();
    }

    @Test
    void aClusterStreamIsConsumedTransactionallyWithItsDeadLettersInItsSlot() {
        RedisTransactionRuntime rt = runtime();
        assertThatThrownBy(() -> rt.consume(
                        ConsumerOptions.builder("orders", "g").participant("c").build()))
                .isInstanceOf(RedtxArgumentException.class)
                .hasMessageContaining("give both one hash tag, as {orders} and {orders}:dead");
        Flux.range(0, 20)
                .concatMap(i -> rt.inTransaction(tx -> tx.on("c").publish("{orders}", Map.of("n", "" + i))))
                .blockLast(Duration.ofSeconds(10));
        ConsumerOptions options = ConsumerOptions.builder("{orders}", "g")
                .participant("c")
                .createGroup(true)
                .build();
        // Each message moves 1 from an account on the Cluster to one on the standalone participant.
        List<TransactionOutcome<Delivery, Long>> outcomes = rt.<Long>consumeTransactionally(
                        options,
                        (d, tx) -> tx.on("c").decrBy("stock", 1).then(tx.on("s").incrBy("sold", 1)))
                .take(20)
                .collectList()
                .block(Duration.ofSeconds(20));
        assertThat(outcomes).allSatisfy(o -> assertThat(o.status()).isEqualTo(TransactionOutcome.Status.COMMITTED));
        assertThat(cluster.masterFor("stock").command("GET", "stock")).isEqualTo("-20");
        assertThat(standalone.command("GET", "sold")).isEqualTo("20");
        RedisServer streamMaster = cluster.masterFor("{orders}");
        assertThat(((List<?>) streamMaster.command("XPENDING", "{orders}", "g")).get(0))
                .isEqualTo(0L);
    }
}
