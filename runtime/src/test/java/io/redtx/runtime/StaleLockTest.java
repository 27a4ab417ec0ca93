package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.CommitProtocol;
import io.redtx.api.RecoveryReport;
import io.redtx.api.RetryPolicy;
import io.redtx.api.TransactionConflictException;
import io.redtx.runtime.internal.protocol.Resolver;
import io.redtx.runtime.internal.redis.Keys;
import io.redtx.runtime.internal.redis.Participant;
import io.redtx.test.redis.RedisServer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * A lock entry whose owner is settled on its shard (its intent says {@code A} or {@code C}, or is gone) guards
 * nothing: whoever meets it removes it instead of reporting a conflict, and recovery sweeps for such entries. An entry
 * of a PREPARED owner is a real lock, whatever happens to its lease.
 */
class StaleLockTest extends ThreeParticipantsTestBase {

    private static final Keys KEYS = new Keys("redtx:");

    /** How the planted owner's intent looks on the lock's shard. */
    enum Owner {
        ABORTED,
        COMMITTED,
        GONE,
        PREPARED
    }

    /** Plants a write lock on {@code key} held by {@code owner}, whose intent on {@code server} is {@code state}. */
    private static void plantLock(RedisServer server, String key, String owner, Owner state) {
        server.command("HSET", KEYS.lockKey(key), owner, "w");
        String txKey = KEYS.txPrefix(-1) + owner;
        switch (state) {
            case ABORTED -> server.command("HSET", txKey, "st", "A");
            case COMMITTED -> server.command("HSET", txKey, "st", "C", "primary", "0");
            case PREPARED -> {
                server.command("HSET", txKey, "st", "P", "lease", Long.toString(Long.MAX_VALUE / 2), "pn", "a");
                server.command("ZADD", KEYS.indexKey(-1), Long.toString(Long.MAX_VALUE / 2), owner);
            }
            case GONE -> {}
        }
    }

    private static boolean locked(RedisServer server, String key, String owner) {
        return server.command("HGET", KEYS.lockKey(key), owner) != null;
    }

    @Test
    void aReaderReadsPastALockOfAnAbortedTransactionAndRemovesIt() {
        a.command("SET", "k", "v");
        plantLock(a, "k", "dead", Owner.ABORTED);
        runtime(o -> o.retryPolicy(RetryPolicy.none()));

        // The transaction reads, then gives up: only the reader met the lock.
        StepVerifier.create(runtime.inTransaction(
                        tx -> tx.on("a").get("k").flatMap(v -> Mono.error(new IllegalStateException("read " + v)))))
                .expectErrorMessage("read v")
                .verify(Duration.ofSeconds(10));

        awaitBackground();
        assertThat(locked(a, "k", "dead")).isFalse();
    }

    @Test
    void aOnePhaseWriterCommitsOverALockOfACommittedTransactionAndRemovesIt() {
        plantLock(a, "k", "done", Owner.COMMITTED);
        runtime(o -> o.retryPolicy(RetryPolicy.none()));

        StepVerifier.create(runtime.inTransactionWithResult(tx -> tx.on("a").set("k", "mine")))
                .assertNext(r -> assertThat(r.commit().protocol()).isEqualTo(CommitProtocol.ONE_PHASE))
                .verifyComplete();

        assertThat(get(a, "k")).isEqualTo("mine");
        assertThat(locked(a, "k", "done")).isFalse();
        assertNoIntents();
    }

    @Test
    void aTwoPhaseWriterCommitsOverALockWhoseOwnerIsGoneAndRemovesIt() {
        a.command("SET", "k", "10");
        plantLock(a, "k", "forgotten", Owner.GONE);
        runtime(o -> o.retryPolicy(RetryPolicy.none()));

        StepVerifier.create(runtime.inTransactionWithResult(
                        tx -> tx.on("a").incrBy("k", 5).then(tx.on("b").set("m", "moved"))))
                .assertNext(r -> assertThat(r.commit().protocol()).isEqualTo(CommitProtocol.TWO_PHASE))
                .verifyComplete();

        assertThat(get(a, "k")).isEqualTo("15");
        assertThat(get(b, "m")).isEqualTo("moved");
        assertNoIntents();
    }

    @Test
    void aLockOfAPreparedTransactionStaysAConflict() {
        a.command("SET", "k", "v");
        plantLock(a, "k", "alive", Owner.PREPARED);
        runtime(o -> o.retryPolicy(RetryPolicy.none()));

        StepVerifier.create(runtime.inTransaction(tx -> tx.on("a").get("k")))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOfSatisfying(
                                TransactionConflictException.class,
                                c -> assertThat(c.reason())
                                        .isEqualTo(TransactionConflictException.Reason.FOREIGN_INTENT)))
                .verify(Duration.ofSeconds(10));
        StepVerifier.create(runtime.inTransaction(tx -> tx.on("a").set("k", "mine")))
                .expectError(TransactionConflictException.class)
                .verify(Duration.ofSeconds(10));
        StepVerifier.create(runtime.recover())
                .assertNext(report -> assertThat(report.staleLocks()).isZero())
                .verifyComplete();

        awaitBackground();
        assertThat(locked(a, "k", "alive")).isTrue();
        assertThat(get(a, "k")).isEqualTo("v");
    }

    @Test
    void recoverySweepsTheLockEntriesOfSettledTransactionsAndKeepsTheLiveOnes() {
        plantLock(a, "k1", "dead", Owner.ABORTED);
        plantLock(a, "k1", "alive", Owner.PREPARED);
        plantLock(b, "k2", "done", Owner.COMMITTED);
        plantLock(c, "k3", "forgotten", Owner.GONE);
        b.command("HSET", KEYS.lockKey("k4"), "reader-gone", "r");
        runtime();

        RecoveryReport report = runtime.recover().block(Duration.ofSeconds(10));

        assertThat(report.staleLocks()).as("%s", report).isEqualTo(4);
        assertThat(locked(a, "k1", "dead")).isFalse();
        assertThat(locked(a, "k1", "alive")).isTrue();
        assertThat(b.command("EXISTS", KEYS.lockKey("k2"), KEYS.lockKey("k4"))).isEqualTo(0L);
        assertThat(c.command("EXISTS", KEYS.lockKey("k3"))).isEqualTo(0L);
        StepVerifier.create(runtime.recover())
                .assertNext(again -> assertThat(again.staleLocks()).isZero())
                .verifyComplete();
    }

    /**
     * The sweep's cost per pass is bounded: a few SCAN calls, going on where the last pass stopped, so a large keyspace
     * is covered over several passes rather than scanned whole every time.
     */
    @Test
    void theSweepScansABoundedShareOfALargeKeyspacePerPassAndCoversItAll() {
        int keys = 4 * Resolver.SWEEP_SCANS * Participant.SWEEP_SCAN_COUNT;
        a.command(
                "EVAL",
                "for i = 1, tonumber(ARGV[1]) do redis.call('SET', 'filler:' .. i, 'x') end",
                "0",
                Integer.toString(keys));
        plantLock(a, "needle", "dead", Owner.ABORTED);
        runtime();
        a.command("CONFIG", "RESETSTAT");

        int passes = 0;
        long found = 0;
        while (found == 0 && passes < 20) {
            found = runtime.recover().block(Duration.ofSeconds(10)).staleLocks();
            passes++;
        }
        long scans = scanCalls(a);
        System.out.printf(
                "stale-lock sweep over %d keys: found after %d passes, %d SCAN calls%n", keys + 1, passes, scans);

        assertThat(found).isEqualTo(1);
        assertThat(scans).as("SCAN calls per pass").isLessThanOrEqualTo((long) Resolver.SWEEP_SCANS * passes);
        assertThat(locked(a, "needle", "dead")).isFalse();
    }

    private static long scanCalls(RedisServer s) {
        for (String line : String.valueOf(s.command("INFO", "commandstats")).split("\r?\n")) {
            if (line.startsWith("cmdstat_scan:calls=")) {
                return Long.parseLong(line.substring("cmdstat_scan:calls=".length(), line.indexOf(',')));
            }
        }
        return 0;
    }

    @Test
    void aStaleLockLeftOnSeveralParticipantsIsNoObstacleToABankTransfer() {
        a.command("SET", "acct:1", "100");
        b.command("SET", "acct:2", "0");
        plantLock(a, "acct:1", "dead", Owner.ABORTED);
        plantLock(b, "acct:2", "forgotten", Owner.GONE);
        runtime(o -> o.retryPolicy(RetryPolicy.none()));

        StepVerifier.create(runtime.inTransaction(
                        tx -> tx.on("a").decrBy("acct:1", 30).then(tx.on("b").incrBy("acct:2", 30))))
                .expectNext(30L)
                .verifyComplete();

        assertThat(List.of(get(a, "acct:1"), get(b, "acct:2"))).containsExactly("70", "30");
        assertNoIntents();
    }
}
