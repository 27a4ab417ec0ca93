package io.redtx.test.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RedisClusterTest {

    @Test
    void threeMastersServeEverySlotAndRedirectKeysTheyDoNotOwn() {
        try (RedisCluster cluster = RedisCluster.start(3, Persistence.IN_MEMORY)) {
            List<RedisServer> masters = cluster.masters();
            assertThat(masters).hasSize(3);
            assertThat(cluster.uris())
                    .containsExactlyElementsOf(
                            masters.stream().map(RedisServer::uri).toList());
            for (RedisServer node : masters) {
                String info = (String) node.command("CLUSTER", "INFO");
                assertThat(info).contains("cluster_state:ok", "cluster_known_nodes:3", "cluster_size:3");
                assertThat(node.clusterBusPort()).isNotEqualTo(node.port());
            }
            for (int i = 0; i < 300; i++) {
                String key = "acct:" + i;
                RedisServer owner = cluster.masterFor(key);
                assertThat(owner.command("SET", key, "v" + i)).isEqualTo("OK");
                for (RedisServer other : masters) {
                    if (other != owner) {
                        assertThatThrownBy(() -> other.command("GET", key))
                                .hasMessageContaining("MOVED " + RedisCluster.slot(key) + " 127.0.0.1:" + owner.port());
                    }
                }
            }
            // Each master got about a third of 300 keys.
            for (RedisServer node : masters) {
                assertThat((Long) node.command("DBSIZE")).isBetween(60L, 140L);
            }
        }
    }

    @Test
    void slotMatchesTheServersKeyslotForPlainTaggedAndOddKeys() {
        try (RedisCluster cluster = RedisCluster.start(1, Persistence.IN_MEMORY)) {
            RedisServer node = cluster.masters().get(0);
            for (String key : List.of(
                    "", "a", "acct:42", "{user1}:balance", "x{user1}y", "{}user1", "a{}b{c}", "{{x}}", "é{ü}", "}{")) {
                assertThat(RedisCluster.slot(key))
                        .as(key)
                        .isEqualTo(((Long) node.command("CLUSTER", "KEYSLOT", key)).intValue());
            }
            assertThat(RedisCluster.slot("{user1}:a")).isEqualTo(RedisCluster.slot("{user1}:b"));
        }
    }

    @Test
    void aKilledDurableMasterComesBackWithItsSlotsAndData() {
        try (RedisCluster cluster = RedisCluster.start(3, Persistence.DURABLE)) {
            RedisServer victim = cluster.masters().get(1);
            String key = keyOwnedBy(cluster, victim);
            victim.command("SET", key, "kept");
            String nodeId = (String) victim.command("CLUSTER", "MYID");

            victim.kill();
            RedisServer survivor = cluster.masters().get(0);
            Await.until(
                    Duration.ofSeconds(10),
                    "the survivors see the cluster failed",
                    () -> ((String) survivor.command("CLUSTER", "INFO")).contains("cluster_state:fail"));
            victim.restart();
            cluster.awaitHealthy(Duration.ofSeconds(30));

            assertThat(victim.command("CLUSTER", "MYID")).isEqualTo(nodeId);
            assertThat(victim.command("GET", key)).isEqualTo("kept");
        }
    }

    @Test
    void closeStopsEveryMasterByPidAndDeletesTheirData() {
        RedisCluster cluster = RedisCluster.start(3, Persistence.IN_MEMORY);
        List<Long> pids = cluster.masters().stream().map(RedisServer::pid).toList();
        List<Path> dirs = cluster.masters().stream().map(RedisServer::dataDir).toList();
        cluster.close();
        cluster.close(); // idempotent
        pids.forEach(Await::processGone);
        assertThat(dirs).allSatisfy(dir -> assertThat(dir).doesNotExist());
    }

    @Test
    void refusesAnImpossibleSize() {
        assertThatThrownBy(() -> RedisCluster.start(0, Persistence.IN_MEMORY))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1 to 16");
    }

    @Test
    void aServerNotInClusterModeHasNoBusPort() {
        try (RedisServer server = RedisServer.start(Persistence.IN_MEMORY)) {
            assertThatThrownBy(server::clusterBusPort).isInstanceOf(IllegalStateException.class);
        }
    }

    private static String keyOwnedBy(RedisCluster cluster, RedisServer master) {
        for (int i = 0; i < 10_000; i++) {
            String key = "k" + i;
            if (cluster.masterFor(key) == master) {
                return key;
            }
        }
        throw new AssertionError("no key of 10,000 maps to " + master);
    }
}
