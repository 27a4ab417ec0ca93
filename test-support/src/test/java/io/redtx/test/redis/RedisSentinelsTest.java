package io.redtx.test.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.redtx.test.tls.TestCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RedisSentinelsTest {

    private static final Duration FAILOVER = Duration.ofSeconds(30);

    @Test
    void startsAMasterWithSyncedReplicasWatchedByThreeSentinels() {
        try (RedisSentinels deployment = RedisSentinels.start(2, Persistence.IN_MEMORY)) {
            RedisServer master = deployment.master();
            assertThat(master).isSameAs(deployment.dataNodes().get(0));
            assertThat(((List<?>) master.command("ROLE")).get(0)).isEqualTo("master");
            assertThat(deployment.replicas()).hasSize(2).doesNotContain(master);
            assertThat(deployment.sentinels()).hasSize(3).allSatisfy(s -> {
                assertThat(s.isSentinel()).isTrue();
                assertThat(s.info("server")).contains("redis_mode:sentinel");
            });
            assertThat(deployment.participantUri())
                    .isEqualTo("redis-sentinel://127.0.0.1:"
                            + deployment.sentinels().get(0).port() + ",127.0.0.1:"
                            + deployment.sentinels().get(1).port() + ",127.0.0.1:"
                            + deployment.sentinels().get(2).port() + "#" + RedisSentinels.DEFAULT_MASTER_NAME);

            master.command("SET", "k", "v");
            deployment.awaitReplicasInSync();
            for (RedisServer replica : deployment.replicas()) {
                assertThat(replica.command("GET", "k")).isEqualTo("v");
                assertThatThrownBy(() -> replica.command("SET", "k", "w")).hasMessageStartingWith("READONLY");
            }
        }
    }

    @Test
    void aKilledMasterIsReplacedByAReplicaAndComesBackAsOneOfItsReplicas() {
        try (RedisSentinels deployment = RedisSentinels.start(2, Persistence.DURABLE)) {
            deployment.master().command("SET", "k", "before");
            deployment.awaitReplicasInSync();

            long started = System.nanoTime();
            RedisServer old = deployment.killMaster();
            RedisServer promoted = deployment.awaitFailover(FAILOVER);
            System.out.printf(
                    "sentinel harness: failover after kill -9 took %d ms%n", (System.nanoTime() - started) / 1_000_000);

            assertThat(promoted).isNotSameAs(old);
            assertThat(deployment.master()).isSameAs(promoted);
            assertThat(promoted.command("GET", "k")).isEqualTo("before");
            promoted.command("SET", "k", "after");

            old.restart();
            deployment.awaitFailover(FAILOVER);
            deployment.awaitReplicasInSync(FAILOVER);
            assertThat(deployment.master()).isSameAs(promoted);
            assertThat(deployment.replicas()).contains(old);
            assertThat(((List<?>) old.command("ROLE")).get(0)).isEqualTo("slave");
            assertThat(old.command("GET", "k")).isEqualTo("after");
        }
    }

    @Test
    void aSentinelFailoverDemotesTheRunningMaster() {
        try (RedisSentinels deployment = RedisSentinels.start(1, Persistence.IN_MEMORY)) {
            RedisServer old = deployment.master();
            old.command("SET", "k", "v");

            RedisServer promoted = deployment.failover(FAILOVER);

            assertThat(promoted).isNotSameAs(old);
            assertThat(((List<?>) old.command("ROLE")).get(0)).isEqualTo("slave");
            assertThat(promoted.command("GET", "k")).isEqualTo("v");
        }
    }

    @Test
    void withTlsTheSentinelsWatchAndFailOverTheTlsPorts(@TempDir Path dir) {
        TestCertificates certs = TestCertificates.create(dir, "sentinels");
        try (RedisSentinels deployment = RedisSentinels.startTls(
                1, Persistence.IN_MEMORY, certs.serverCertificate(), certs.serverKey(), certs.caCertificate())) {
            RedisServer old = deployment.master();
            assertThat(((List<?>) deployment
                                    .sentinels()
                                    .get(0)
                                    .command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", RedisSentinels.DEFAULT_MASTER_NAME))
                            .get(1))
                    .isEqualTo(Integer.toString(old.tlsPort()));
            assertThat(deployment.tlsParticipantUri())
                    .startsWith("rediss-sentinel://127.0.0.1:"
                            + deployment.sentinels().get(0).tlsPort() + ",");

            assertThat(deployment.killMaster()).isSameAs(old);
            RedisServer promoted = deployment.awaitFailover(FAILOVER);

            assertThat(promoted).isNotSameAs(old);
            assertThat(deployment.master()).isSameAs(promoted);
        }
    }

    @Test
    void closeStopsEveryProcessAndDeletesTheirDirectories() {
        RedisSentinels deployment = RedisSentinels.start(1, Persistence.IN_MEMORY);
        List<RedisServer> all = new ArrayList<>(deployment.sentinels());
        all.addAll(deployment.dataNodes());
        List<Long> pids = all.stream().map(RedisServer::pid).toList();
        List<Path> dirs = all.stream().map(RedisServer::dataDir).toList();
        // Each Sentinel rewrote its own configuration with what it learned.
        for (RedisServer sentinel : deployment.sentinels()) {
            assertThat(sentinel.dataDir().resolve("redis.conf")).content().contains("sentinel myid");
        }

        deployment.close();
        deployment.close();

        pids.forEach(Await::processGone);
        assertThat(dirs).allSatisfy(dir -> assertThat(Files.exists(dir)).isFalse());
    }

    @Test
    void refusesADeploymentWithoutReplicas() {
        assertThatThrownBy(() -> RedisSentinels.start(0, Persistence.IN_MEMORY))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("replicas must be 1 to 8, was 0");
    }
}
