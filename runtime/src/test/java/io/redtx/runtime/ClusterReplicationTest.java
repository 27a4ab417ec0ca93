package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.redtx.api.RedtxConfigurationException;
import io.redtx.api.RedtxException;
import io.redtx.api.Replication;
import io.redtx.api.RetryPolicy;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionOutcomeUnknownException;
import io.redtx.runtime.internal.protocol.ProtocolHooks;
import io.redtx.test.redis.IntentCount;
import io.redtx.test.redis.Persistence;
import io.redtx.test.redis.RedisCluster;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/**
 * {@link Replication} on a Redis Cluster participant ("c": 3 masters with a replica each, formed for this class) beside
 * a standalone one ("s"): each step waits for the replica of the master that ran it, whichever master that is, and
 * follows the slot map when a failover changes it.
 */
@RedisTest
class ClusterReplicationTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Duration FAILOVER = Duration.ofSeconds(30);
    private static final Replication ONE = Replication.acknowledgedBy(1, Duration.ofSeconds(1));

    static RedisCluster cluster;
    static RedisServer standalone;

    RedisTransactionRuntime runtime;

    @BeforeAll
    static void start(RedisServer server) {
        standalone = server;
        cluster = RedisCluster.start(3, 1, Persistence.IN_MEMORY);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void flush() {
        cluster.awaitHealthy(FAILOVER);
        cluster.masters().forEach(RedisServer::flushAll);
        standalone.flushAll();
    }

    @AfterEach
    void closeRuntime() {
        cluster.nodes().stream().filter(RedisServer::isPaused).forEach(RedisServer::resume);
        if (runtime != null) {
            runtime.closeGracefully().block(WAIT);
            runtime = null;
        }
    }

    private RedisTransactionRuntime runtime(Replication requirement) {
        runtime = RedisTransactionRuntime.create(
                RuntimeOptions.builder()
                        .participant("c", cluster.participantUri())
                        .participant("s", standalone.uri())
                        .replication("c", requirement)
                        .recovery(r -> r.lease(Duration.ofMillis(500)).interval(Duration.ZERO))
                        .retryPolicy(RetryPolicy.none())
                        .build(),
                ProtocolHooks.NONE);
        return runtime;
    }

    /** What the replica of {@code key}'s master holds for it now (READONLY: a replica answers for its master). */
    private static Object onReplica(String key) {
        RedisServer replica = cluster.replicasOf(cluster.masterFor(key)).get(0);
        replica.command("READONLY");
        return replica.command("GET", key);
    }

    /** Keys spread over every master: {@code {k0}} to {@code {k<n-1>}}. */
    private static List<String> keys(int n) {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            keys.add("{k" + i + "}");
        }
        assertThat(keys.stream().map(cluster::masterFor).distinct()).hasSize(3);
        return keys;
    }

    @Test
    void anAcknowledgedCommitIsOnTheReplicaOfEveryMasterItWroteTo() {
        RedisTransactionRuntime rt = runtime(ONE);
        List<String> keys = keys(30);
        // One-phase (one slot), and two-phase across a slot of the Cluster and the standalone participant.
        Flux.fromIterable(keys)
                .flatMap(
                        k -> rt.inTransaction(tx -> tx.on("c").set(k, "1"))
                                .then(rt.inTransaction(tx -> tx.on("c")
                                        .set(k + "x", "2")
                                        .then(tx.on("c").set(k + "y", "3"))
                                        .then(tx.on("s").set(k, "4")))),
                        8)
                .blockLast(WAIT);
        for (String k : keys) {
            assertThat(onReplica(k)).as(k).isEqualTo("1");
            assertThat(onReplica(k + "x")).as(k + "x").isEqualTo("2");
            assertThat(onReplica(k + "y")).as(k + "y").isEqualTo("3");
        }
        ThreeParticipantsTestBase.awaitTrue(
                () -> IntentCount.on("redtx:", cluster).none());
    }

    @Test
    void whileOneMastersReplicaLagsNothingOnThatMasterIsAcknowledged() {
        RedisTransactionRuntime rt = runtime(ONE);
        rt.verify().block(WAIT); // connected while every replica answers
        List<String> keys = keys(12);
        RedisServer lagging = cluster.masterFor(keys.get(0));
        String onLagging = keys.get(0);
        String elsewhere = keys.stream()
                .filter(k -> cluster.masterFor(k) != lagging)
                .findFirst()
                .orElseThrow();
        RedisServer replica = cluster.replicasOf(lagging).get(0);
        replica.pause();

        assertThatThrownBy(() ->
                        rt.inTransaction(tx -> tx.on("c").set(onLagging, "1")).block(WAIT))
                .isInstanceOf(TransactionOutcomeUnknownException.class)
                .hasMessageContaining("may be lost in a failover")
                .hasMessageContaining("only 0 of the 1 replica(s) of participant 'c' acknowledged a step");
        rt.inTransaction(tx -> tx.on("c").set(elsewhere, "1")).block(WAIT);
        assertThatThrownBy(() -> rt.inTransaction(tx ->
                                tx.on("s").set("two-phase", "2").then(tx.on("c").set(onLagging + "2pc", "2")))
                        .block(WAIT))
                .isInstanceOf(RedtxException.class)
                .hasMessageContaining("replica");

        replica.resume();
        ThreeParticipantsTestBase.awaitTrue(() -> {
            rt.recover().block(WAIT);
            return IntentCount.on("redtx:", cluster).none()
                    && IntentCount.on("redtx:", List.of(standalone)).none();
        });
        assertThat(standalone.command("GET", "two-phase")).isNull();
        assertThat(lagging.command("GET", onLagging + "2pc")).isNull();
        // The one-phase commit ran on the master: its outcome was unknown, and it is replicated now.
        ThreeParticipantsTestBase.awaitTrue(() -> "1".equals(onReplica(onLagging)));
    }

    @Test
    void aRequirementSomeMasterCannotMeetIsRefusedWhenItConnects() {
        RedisTransactionRuntime rt = runtime(Replication.acknowledgedBy(2, Duration.ofMillis(300)));
        assertThatThrownBy(() -> rt.verify().block(WAIT))
                .isInstanceOf(RedtxConfigurationException.class)
                .hasMessageContaining("replication needs 2 replica(s) acknowledging every step, but master 127.0.0.1:")
                .hasMessageContaining(" has 1 connected");
    }

    /**
     * After a manual failover the runtime's slot map is stale: the replicated script goes to the old master, now a
     * replica, whose {@code MOVED} reply it follows to the new master, and it waits there for the old one.
     */
    @Test
    void aReplicatedStepFollowsTheSlotMapThroughAFailover() {
        RedisTransactionRuntime rt = runtime(ONE);
        List<String> keys = keys(12);
        String key = keys.get(0);
        rt.inTransaction(tx -> tx.on("c").set(key, "1")).block(WAIT);
        RedisServer master = cluster.masterFor(key);
        RedisServer replica = cluster.replicasOf(master).get(0);

        cluster.manualFailover(replica, FAILOVER);
        assertThat(cluster.masterFor(key)).isSameAs(replica);
        for (int i = 2; i < 12; i++) {
            int n = i;
            rt.inTransaction(tx -> tx.on("c")
                            .set(key, Integer.toString(n))
                            .then(tx.on("s").set(key, "x")))
                    .block(WAIT);
            assertThat(onReplica(key)).isEqualTo(Integer.toString(n));
        }
        ThreeParticipantsTestBase.awaitTrue(
                () -> IntentCount.on("redtx:", cluster).none());
    }
}
