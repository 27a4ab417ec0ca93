package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.ParticipantUnavailableException;
import io.redtx.api.RecoveryReport;
import io.redtx.api.RetryPolicy;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionConflictException;
import io.redtx.api.TransactionStatus;
import io.redtx.runtime.internal.protocol.ProtocolHooks;
import io.redtx.runtime.internal.redis.Keys;
import io.redtx.test.redis.IntentCount;
import io.redtx.test.redis.Persistence;
import io.redtx.test.redis.RedisCluster;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * A Redis Cluster participant ("c", 3 masters) whose slots are resharded while redtx works on them, beside a
 * standalone participant ("s"): what a half-done migration may and may not do to a transaction's intent and locks.
 */
@RedisTest
class ReshardingTest {

    private static final Duration LEASE = Duration.ofMillis(300);
    private static final String NS = "redtx:";
    private static final Keys KEYS = new Keys(NS);

    static RedisCluster cluster;
    static RedisServer standalone;

    RedisTransactionRuntime runtime;
    /** A migration a test started, finished after it whatever happened. */
    RedisCluster.Migration migration;

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

    @BeforeEach
    void flush() {
        cluster.masters().forEach(RedisServer::flushAll);
        standalone.flushAll();
    }

    @AfterEach
    void closeRuntime() {
        if (migration != null) {
            migration.finish();
            migration = null;
        }
        if (runtime != null) {
            runtime.closeGracefully().block(Duration.ofSeconds(30));
            runtime = null;
        }
    }

    static RuntimeOptions.Builder options() {
        return RuntimeOptions.builder()
                .participant("c", cluster.participantUri())
                .participant("s", standalone.uri())
                // Passes run when a test says so.
                .recovery(r -> r.lease(LEASE).interval(Duration.ZERO))
                .timeouts(t -> t.commit(Duration.ofMillis(500)));
    }

    RedisTransactionRuntime runtime() {
        runtime = RedisTransactionRuntime.create(options().build(), ProtocolHooks.NONE);
        return runtime;
    }

    /**
     * The intent of a dead coordinator on slot {@code x} holds exactly one lock. The migration has moved the intent
     * and the slot's index to the target, not the lock. A recovery pass then runs on the target (its declared keys
     * are there) and must not report the intent rolled back while its lock stays on the source: once the migration
     * carried the lock over, nobody would remove it.
     */
    @Test
    void anAbortOnTheImportingMasterNeverLeavesItsLockOnTheSource() {
        String id = crashAt(
                ProtocolHooks.Step.AFTER_PREPARE,
                tx -> tx.on("c").set("x", "new").then(tx.on("s").set("w", "new")));
        assertSettledOnlyWithItsLock(id, "x", TransactionStatus.ABORTED);
        assertThat(standalone.command("GET", "w")).isNull();
    }

    /**
     * The same hole on the way forward: the cluster slot only holds a read lock (the transaction read {@code x} and
     * wrote elsewhere), and the coordinator died after its commit point. Rolling that intent forward on the importing
     * master must not leave the read lock on the source.
     */
    @Test
    void aRollForwardOnTheImportingMasterNeverLeavesItsLockOnTheSource() {
        cluster.masterFor("x").command("SET", "x", "seen");
        String id = crashAt(
                ProtocolHooks.Step.AFTER_COMMIT_POINT,
                tx -> tx.on("c").get("x").flatMap(seen -> tx.on("s").set("w", seen)));
        assertSettledOnlyWithItsLock(id, "x", TransactionStatus.COMMITTED);
        assertThat(standalone.command("GET", "w")).isEqualTo("seen");
    }

    /**
     * A transfer whose cluster key's slot is half migrated (its value moved, nothing else): Redis refuses the read (a
     * lock key that does not exist, split from its key) and the prepare (a new intent key) until the migration ends.
     * The runtime waits for it, and the transfer commits once the slot has moved.
     */
    @Test
    void aTransferOnAMigratingSlotWaitsForTheMigrationAndCommits() throws Exception {
        RedisTransactionRuntime rt = runtime();
        rt.inTransaction(tx -> tx.on("c").set("x", "100").then(tx.on("s").set("w", "100")))
                .block(Duration.ofSeconds(10));
        migration = cluster.startMigration(RedisCluster.slot("x"), otherMaster("x"));
        assertThat(migration.move("x")).isTrue();

        long started = System.nanoTime();
        CompletableFuture<Long> transfer = rt.inTransaction(tx ->
                        tx.on("c").decrBy("x", 30).flatMap(left -> tx.on("s").incrBy("w", 30)))
                .toFuture();
        sleep(300);
        assertThat(transfer).as("waiting for the migration").isNotDone();
        migration.finish();

        assertThat(transfer.get(10, TimeUnit.SECONDS)).isEqualTo(130);
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        System.out.printf("a transfer over a slot migrating for 300 ms took %d ms%n", tookMs);
        assertThat(tookMs).isLessThan(300 + 1_000);
        assertThat(migration.target().command("GET", "x")).isEqualTo("70");
        assertNoIntents();
    }

    /**
     * A one-phase commit whose keys are all still on the source of a migration (here: the key, and its lock key
     * holding the stale entry of an aborted transaction, whose tombstone is there too) runs there, but the hash of its
     * bucket's one-phase markers does not exist yet, and Redis refuses to create a key in a migrating slot. That
     * refusal comes after the writes: the commit must stand, without its marker, not fail half-way (a script error
     * that the runtime would take for "did not run").
     */
    @Test
    void aOnePhaseCommitWhoseMarkerCannotBeWrittenDuringAMigrationStands() {
        RedisTransactionRuntime rt = runtime();
        int slot = RedisCluster.slot("x");
        RedisServer source = cluster.masterFor("x");
        source.command("SET", "x", "1");
        source.command("HSET", KEYS.txPrefix(slot) + "gone-1", "st", "A");
        source.command("HSET", KEYS.lockKey("x"), "gone-1", "w");
        migration = cluster.startMigration(slot, otherMaster("x"));

        var result = rt.inTransactionWithResult(tx -> tx.on("c").set("x", "2")).block(Duration.ofSeconds(10));

        String id = result.commit().transactionId();
        assertThat(source.command("GET", "x")).isEqualTo("2");
        migration.finish();
        RedisServer target = migration.target();
        assertThat(target.command("GET", "x")).isEqualTo("2");
        assertThat(target.command("EXISTS", KEYS.lockKey("x"), KEYS.onePhaseKey(slot, id)))
                .isEqualTo(0L);
        assertThat(rt.status(id).block(Duration.ofSeconds(10))).isEqualTo(TransactionStatus.UNKNOWN);
    }

    /**
     * Reads need not wait: Redis refuses read.lua on a half-migrated slot, but serves each key and its lock alone on
     * the master that holds it. A key moved, a key not moved, and a key under a live foreign write lock (lock and
     * intent still on the source) all read as they would outside the migration.
     */
    @Test
    void readsOnAMigratingSlotGoOnKeyByKey() {
        int slot = RedisCluster.slot("{m}a");
        RedisServer source = cluster.masterOf(slot);
        source.command("SET", "{m}a", "moved");
        source.command("SET", "{m}b", "stays");
        source.command("SET", "{m}c", "locked");
        String far = Long.toString(Long.MAX_VALUE / 2);
        source.command("HSET", KEYS.lockKey("{m}c"), "alive", "w");
        source.command("HSET", KEYS.txPrefix(slot) + "alive", "st", "P", "lease", far, "pn", "s");
        migration = cluster.startMigration(slot, otherMaster("{m}a"));
        assertThat(migration.move("{m}a")).isTrue();
        RedisTransactionRuntime rt = runtime();

        StepVerifier.create(rt.inTransaction(tx -> Mono.zip(
                                tx.on("c").get("{m}a"), tx.on("c").get("{m}b"))
                        .flatMap(both -> Mono.error(new IllegalStateException(both.getT1() + "," + both.getT2())))))
                .expectErrorMessage("moved,stays")
                .verify(Duration.ofSeconds(10));
        StepVerifier.create(rt.inTransaction(tx -> tx.on("c").get("{m}c")))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOfSatisfying(
                                TransactionConflictException.class,
                                c -> assertThat(c.reason())
                                        .isEqualTo(TransactionConflictException.Reason.FOREIGN_INTENT)))
                .verify(Duration.ofSeconds(10));
        assertThat(migration.askTarget("EXISTS", "{m}b"))
                .as("still on the source: the reads ran while the slot was split")
                .isEqualTo(0L);
    }

    /**
     * A migration that outlasts the commit timeout: the transaction fails with a retryable unavailability naming the
     * refusal, not a participant error, and writes nothing.
     */
    @Test
    void aMigrationOutlastingTheTimeoutIsARetryableUnavailability() {
        runtime = RedisTransactionRuntime.create(options().build(), ProtocolHooks.NONE);
        runtime.inTransaction(tx -> tx.on("c").set("x", "100")).block(Duration.ofSeconds(10));
        migration = cluster.startMigration(RedisCluster.slot("x"), otherMaster("x"));
        assertThat(migration.move("x")).isTrue();

        StepVerifier.create(runtime.inTransaction(tx -> tx.on("c").incrBy("x", 1)))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(ParticipantUnavailableException.class)
                        .hasMessageContaining("TRYAGAIN"))
                .verify(Duration.ofSeconds(10));
        migration.finish();
        assertThat(migration.target().command("GET", "x")).isEqualTo("100");
    }

    /**
     * The commit point itself meets a half-done migration of the primary's slot: the record moved, the lock and the
     * staged key not. While the migration lasts the commit point is refused and waits; once it ends, the commit point
     * runs. The coordinator's leases stay alive meanwhile.
     */
    @Test
    void aCommitPointOnAMigratingSlotWaitsForTheMigration() throws Exception {
        AtomicReference<CompletableFuture<Void>> finishing = new AtomicReference<>();
        runtime = RedisTransactionRuntime.create(options().build(), halfMigrateThePrimaryAfterPrepare(() -> {
            finishing.set(CompletableFuture.runAsync(() -> {
                sleep(300);
                migration.finish();
            }));
        }));
        standalone.command("SET", "w", "seen");

        StepVerifier.create(commitXAfterReadingW(runtime)).verifyComplete();

        finishing.get().get(10, TimeUnit.SECONDS);
        assertThat(migration.target().command("GET", "x")).isEqualTo("seen");
        assertNoIntents();
    }

    /**
     * A commit point refused for longer than the commit timeout did not run, and only the coordinator ever commits:
     * the transaction is not committed and never will be. That is a retryable unavailability, not an unknown outcome;
     * once the migration ends, recovery rolls back what the refused abort left.
     */
    @Test
    void aCommitPointRefusedPastItsTimeoutIsAnUnavailabilityNotAnUnknownOutcome() {
        AtomicReference<String> id = new AtomicReference<>();
        runtime = RedisTransactionRuntime.create(options().build(), halfMigrateThePrimaryAfterPrepare(() -> {}));
        standalone.command("SET", "w", "seen");

        StepVerifier.create(commitXAfterReadingW(runtime))
                .expectErrorSatisfies(e -> {
                    id.set(((io.redtx.api.RedtxException) e).transactionId());
                    assertThat(e)
                            .isInstanceOf(ParticipantUnavailableException.class)
                            .hasMessageContaining("non local key");
                })
                .verify(Duration.ofSeconds(10));

        migration.finish();
        migration = null;
        sleep(LEASE.toMillis() + 100);
        RecoveryReport report = runtime.recover().block(Duration.ofSeconds(30));
        assertThat(report.left()).as("%s", report).isZero();
        assertThat(runtime.status(id.get()).block(Duration.ofSeconds(10))).isEqualTo(TransactionStatus.ABORTED);
        assertThat(cluster.masterFor("x").command("GET", "x")).isNull();
        assertNoIntents();
    }

    /**
     * Stale lock entries on a Cluster (an aborted owner, an owner gone): recovery's sweep finds them on the master of
     * their slot, and a writer meeting one commits.
     */
    @Test
    void staleLocksOnClusterSlotsAreSweptAndNoObstacleToAWriter() {
        RedisServer yMaster = cluster.masterFor("y");
        yMaster.command("HSET", KEYS.lockKey("y"), "gone", "w");
        RedisServer zMaster = cluster.masterFor("z");
        zMaster.command("HSET", KEYS.lockKey("z"), "dead", "w");
        zMaster.command("HSET", KEYS.txPrefix(RedisCluster.slot("z")) + "dead", "st", "A");
        RedisTransactionRuntime rt = runtime();

        StepVerifier.create(rt.inTransaction(tx -> tx.on("c").set("z", "mine"))).verifyComplete();
        RecoveryReport report = rt.recover().block(Duration.ofSeconds(30));

        assertThat(report.staleLocks()).as("%s", report).isEqualTo(1);
        assertThat(zMaster.command("GET", "z")).isEqualTo("mine");
        assertNoIntents();
    }

    /**
     * A live lock that the migration moved ahead of its intent (lock on the target, intent still on the source) is not
     * stale, although the target, asked with ASKING, would answer that the intent does not exist: the sweep must not
     * remove it while the slot is split.
     */
    @Test
    void aLockMovedAheadOfItsIntentIsNotTakenForStale() {
        int slot = RedisCluster.slot("x");
        RedisServer source = cluster.masterFor("x");
        String lockKey = KEYS.lockKey("x");
        String txKey = KEYS.txPrefix(slot) + "alive";
        String far = Long.toString(Long.MAX_VALUE / 2);
        source.command("HSET", lockKey, "alive", "w");
        source.command(
                "HSET", txKey, "st", "P", "lease", far, "pn", "c@" + slot, "primary", "1", "shards", "c@" + slot);
        source.command("ZADD", KEYS.indexKey(slot), far, "alive");
        migration = cluster.startMigration(slot, otherMaster("x"));
        assertThat(migration.move(lockKey)).isTrue();
        RedisTransactionRuntime rt = runtime();

        RecoveryReport during = rt.recover().block(Duration.ofSeconds(30));
        System.out.printf("recovery pass with a live lock moved ahead of its intent: %s%n", during);

        assertThat(during.staleLocks()).isZero();
        assertThat(migration.askTarget("HGET", lockKey, "alive")).isEqualTo("w");
        migration.finish();
        assertThat(rt.recover().block(Duration.ofSeconds(30)).staleLocks()).isZero();
        assertThat(migration.target().command("HGET", lockKey, "alive")).isEqualTo("w");
    }

    /** Reads {@code w} on the standalone server and writes what it saw to {@code x}: the cluster slot is the primary. */
    private static Mono<Void> commitXAfterReadingW(RedisTransactionRuntime rt) {
        return rt.inTransaction(
                tx -> tx.on("s").get("w").flatMap(seen -> tx.on("c").set("x", seen)));
    }

    /**
     * Hooks that, once every prepare answered, start migrating the primary's slot (that of {@code x}) and move its
     * record and index but not its lock, then run {@code then}; off the event loops, as they block.
     */
    private ProtocolHooks halfMigrateThePrimaryAfterPrepare(Runnable then) {
        return at -> at.step() != ProtocolHooks.Step.AFTER_PREPARE
                ? Mono.empty()
                : Mono.<Void>fromRunnable(() -> {
                            int slot = RedisCluster.slot("x");
                            migration = cluster.startMigration(slot, otherMaster("x"));
                            assertThat(migration.move(KEYS.txPrefix(slot) + at.transactionId(), KEYS.indexKey(slot)))
                                    .isTrue();
                            then.run();
                        })
                        .subscribeOn(Schedulers.boundedElastic());
    }

    /** Once the runtime's background work (roll-forwards, forgets) is done, nothing is left on any server. */
    void assertNoIntents() {
        if (runtime != null) {
            ThreeParticipantsTestBase.awaitTrue(() -> runtime.backgroundTasks() == 0);
        }
        assertThat(IntentCount.on(NS, cluster)).isEqualTo(IntentCount.NONE);
        assertThat(IntentCount.on(NS, List.of(standalone))).isEqualTo(IntentCount.NONE);
    }

    private static RedisServer otherMaster(String key) {
        RedisServer owner = cluster.masterFor(key);
        return cluster.masters().get((cluster.masters().indexOf(owner) + 1) % 3);
    }

    /**
     * Half-migrates the slot of {@code key} (intent and index moved, lock not) and runs a recovery pass, which must
     * leave the intent alone; then finishes the migration, and the next pass settles it with no lock left anywhere.
     */
    private void assertSettledOnlyWithItsLock(String id, String key, TransactionStatus expected) {
        int slot = RedisCluster.slot(key);
        String lockKey = KEYS.lockKey(key);
        String txKey = KEYS.txPrefix(slot) + id;
        RedisServer source = cluster.masterFor(key);
        assertThat(source.command("HGET", lockKey, id))
                .as("the dead transaction's lock")
                .isNotNull();
        RedisServer target = otherMaster(key);
        migration = cluster.startMigration(slot, target);
        assertThat(migration.move(txKey, KEYS.indexKey(slot))).isTrue();
        sleep(LEASE.toMillis() + 100);

        RedisTransactionRuntime rt = runtime();
        RecoveryReport during = rt.recover().block(Duration.ofSeconds(30));
        System.out.printf("recovery pass during the half migration of slot %d: %s%n", slot, during);

        assertThat(during.left()).as("%s", during).isPositive();
        assertThat(migration.askTarget("HGET", txKey, "st"))
                .as("the intent, on the target")
                .isEqualTo("P");
        assertThat(source.command("HGET", lockKey, id))
                .as("its lock, still on the source")
                .isNotNull();

        migration.finish();
        RecoveryReport after = rt.recover().block(Duration.ofSeconds(30));
        System.out.printf("recovery pass after the migration: %s%n", after);

        assertThat(after.left()).as("%s", after).isZero();
        assertNoIntents();
        assertThat(rt.status(id).block(Duration.ofSeconds(10))).isEqualTo(expected);
        StepVerifier.create(rt.inTransaction(tx -> tx.on("c").set(key, "free"))).verifyComplete();
        assertThat(target.command("GET", key)).isEqualTo("free");
    }

    /**
     * Runs {@code work} in a runtime whose coordinator dies at {@code step}.
     *
     * @return the transaction's id
     */
    private static String crashAt(ProtocolHooks.Step step, Function<io.redtx.api.Transaction, Publisher<?>> work) {
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
            StepVerifier.create(dying.inTransaction(work::apply))
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
}
