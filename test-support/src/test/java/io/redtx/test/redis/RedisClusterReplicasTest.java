package io.redtx.test.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class RedisClusterReplicasTest {

    private static final Duration FAILOVER = Duration.ofSeconds(30);

    @Test
    void formsWithOneSyncedReplicaPerMaster() {
        try (RedisCluster cluster = RedisCluster.start(3, 1, Persistence.IN_MEMORY)) {
            assertThat(cluster.nodes()).hasSize(6);
            assertThat(cluster.masters()).isEqualTo(cluster.nodes().subList(0, 3));
            for (RedisServer master : cluster.masters()) {
                assertThat(cluster.replicasOf(master))
                        .hasSize(1)
                        .allSatisfy(r -> assertThat(cluster.masters()).doesNotContain(r));
            }
            assertThat(cluster.participantUri().split(",")).hasSize(6);

            RedisServer master = cluster.masterFor("k");
            master.command("SET", "k", "v");
            assertThat(master.command("WAIT", "1", "5000")).isEqualTo(1L);
        }
    }

    @Test
    void aKilledMasterIsReplacedByItsReplicaAndComesBackAsItsReplica() {
        try (RedisCluster cluster = RedisCluster.start(3, 1, Persistence.DURABLE)) {
            RedisServer old = cluster.masterFor("k");
            RedisServer replica = cluster.replicasOf(old).get(0);
            old.command("SET", "k", "v");
            assertThat(old.command("WAIT", "1", "5000")).isEqualTo(1L);

            long started = System.nanoTime();
            RedisServer promoted = cluster.killAndAwaitPromotion(old, FAILOVER);
            System.out.printf(
                    "cluster harness: promotion after kill -9 took %d ms%n", (System.nanoTime() - started) / 1_000_000);

            assertThat(promoted).isSameAs(replica);
            assertThat(cluster.masterFor("k")).isSameAs(promoted);
            assertThat(cluster.masters()).hasSize(3).contains(promoted).doesNotContain(old);
            assertThat(promoted.command("GET", "k")).isEqualTo("v");

            old.restart();
            cluster.awaitHealthy(FAILOVER);
            assertThat(cluster.replicasOf(promoted)).containsExactly(old);
            assertThat(cluster.masterFor("k")).isSameAs(promoted);
        }
    }

    @Test
    void aManualFailoverSwapsAMasterAndItsReplicaWithoutLosingWrites() {
        try (RedisCluster cluster = RedisCluster.start(2, 1, Persistence.IN_MEMORY)) {
            RedisServer old = cluster.masterFor("{t}0");
            RedisServer replica = cluster.replicasOf(old).get(0);
            IntStream.range(0, 200).forEach(i -> old.command("SET", "{t}" + i, Integer.toString(i)));

            assertThat(cluster.manualFailover(replica, FAILOVER)).isSameAs(old);

            assertThat(cluster.masterFor("{t}0")).isSameAs(replica);
            assertThat(cluster.replicasOf(replica)).containsExactly(old);
            assertThat(replica.command("DBSIZE")).isEqualTo(200L);
            assertThatThrownBy(() -> old.command("SET", "{t}0", "x")).hasMessageStartingWith("MOVED");
        }
    }

    @Test
    void failoverMethodsNeedReplicas() {
        try (RedisCluster cluster = RedisCluster.start(1, Persistence.IN_MEMORY)) {
            RedisServer master = cluster.masters().get(0);
            assertThatThrownBy(() -> cluster.killAndAwaitPromotion(master, FAILOVER))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("has no replicas");
            assertThat(master.isAlive()).isTrue();
            assertThat(cluster.replicasOf(master)).isEmpty();
        }
    }

    @Test
    void closeStopsEveryNodeAndDeletesTheirDirectories() {
        RedisCluster cluster = RedisCluster.start(1, 2, Persistence.IN_MEMORY);
        List<Long> pids = cluster.nodes().stream().map(RedisServer::pid).toList();
        List<Path> dirs = cluster.nodes().stream().map(RedisServer::dataDir).toList();
        assertThat(cluster.replicasOf(cluster.masters().get(0))).hasSize(2);

        cluster.close();

        pids.forEach(Await::processGone);
        assertThat(dirs).allSatisfy(dir -> assertThat(Files.exists(dir)).isFalse());
    }
}
