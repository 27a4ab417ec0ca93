package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.redtx.api.CommitProtocol;
import io.redtx.api.RedtxException;
import io.redtx.api.RedtxTransientException;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TlsOptions;
import io.redtx.api.TransactionResult;
import io.redtx.runtime.internal.protocol.ProtocolHooks;
import io.redtx.test.redis.Persistence;
import io.redtx.test.redis.RedisSentinels;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import io.redtx.test.tls.TestCertificates;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * A Sentinel participant over TLS ({@code rediss-sentinel://} with {@link TlsOptions}: the runtime's own CA and a
 * client certificate, since every process requires one) beside a plain standalone one: the Sentinels are asked over
 * TLS, the master is reached over TLS, and after a {@code kill -9} of the master the connection follows the promoted
 * replica, still over TLS.
 */
@RedisTest
class SentinelTlsTest {

    @TempDir
    static Path dir;

    static TestCertificates certs;
    static RedisSentinels sentinels;
    static RedisServer standalone;

    RedisTransactionRuntime runtime;

    @BeforeAll
    static void start(RedisServer server) {
        standalone = server;
        certs = TestCertificates.create(dir, "sentinels");
        sentinels = RedisSentinels.startTls(
                1, Persistence.IN_MEMORY, certs.serverCertificate(), certs.serverKey(), certs.caCertificate());
    }

    @AfterAll
    static void stop() {
        if (sentinels != null) {
            sentinels.close();
        }
    }

    @AfterEach
    void closeRuntime() {
        if (runtime != null) {
            runtime.closeGracefully().block(Duration.ofSeconds(30));
            runtime = null;
        }
    }

    static TlsOptions tls() {
        return TlsOptions.builder()
                .trustedCertificates(certs.caCertificate())
                .clientCertificate(certs.clientCertificate(), certs.clientKey())
                .build();
    }

    static Mono<TransactionResult<Void>> transfer(RedisTransactionRuntime rt, long amount) {
        return rt.inTransactionWithResult(tx -> tx.on("m")
                .decrBy("{a}", amount)
                .then(tx.on("s").incrBy("{b}", amount))
                .then());
    }

    @Test
    void transactionsReachTheMasterOverTlsAndFollowAFailover() {
        runtime = RedisTransactionRuntime.create(
                RuntimeOptions.builder()
                        .participant("m", sentinels.tlsParticipantUri(), tls())
                        .participant("s", standalone.uri())
                        .build(),
                ProtocolHooks.NONE);

        TransactionResult<Void> before = transfer(runtime, 5).block(Duration.ofSeconds(10));
        assertThat(before.commit().protocol()).isEqualTo(CommitProtocol.TWO_PHASE);
        RedisServer old = sentinels.master();
        assertThat(old.command("GET", "{a}")).isEqualTo("-5");
        assertThat(tlsClients(old))
                .as("clients connected to the master's TLS port")
                .isPositive();

        sentinels.killMaster();
        RedisServer promoted = sentinels.awaitFailover(Duration.ofSeconds(30));
        transfer(runtime, 5)
                .retryWhen(
                        Retry.fixedDelay(300, Duration.ofMillis(50)).filter(e -> e instanceof RedtxTransientException))
                .block(Duration.ofSeconds(30));

        assertThat(promoted).isNotSameAs(old);
        assertThat(promoted.command("GET", "{a}")).isIn("-10", "-5");
        assertThat(standalone.command("GET", "{b}")).isEqualTo("10");
        assertThat(tlsClients(promoted))
                .as("clients connected to the new master's TLS port")
                .isPositive();
    }

    @Test
    void aClientWithoutACertificateIsRefused() {
        runtime = RedisTransactionRuntime.create(
                RuntimeOptions.builder()
                        .participant(
                                "m",
                                sentinels.tlsParticipantUri(),
                                TlsOptions.builder()
                                        .trustedCertificates(certs.caCertificate())
                                        .build())
                        .build(),
                ProtocolHooks.NONE);
        assertThatThrownBy(() ->
                        runtime.inTransaction(tx -> tx.on("m").set("k", "v")).block(Duration.ofSeconds(10)))
                .isInstanceOf(RedtxException.class);
    }

    /**
     * {@link TlsOptions.VerifyPeer#CA} applies to the Sentinels too, not only to the master: with certificates issued
     * for another host name, a full check would refuse every Sentinel.
     */
    @Test
    void verifyPeerCaAppliesToTheSentinelsAsToTheMaster(@TempDir Path other) {
        TestCertificates elsewhere = TestCertificates.create(other, "elsewhere", "redis.example");
        try (RedisSentinels named = RedisSentinels.startTls(
                1,
                Persistence.IN_MEMORY,
                elsewhere.serverCertificate(),
                elsewhere.serverKey(),
                elsewhere.caCertificate())) {
            runtime = RedisTransactionRuntime.create(
                    RuntimeOptions.builder()
                            .participant(
                                    "m",
                                    named.tlsParticipantUri(),
                                    TlsOptions.builder()
                                            .trustedCertificates(elsewhere.caCertificate())
                                            .clientCertificate(elsewhere.clientCertificate(), elsewhere.clientKey())
                                            .verifyPeer(TlsOptions.VerifyPeer.CA)
                                            .build())
                            .build(),
                    ProtocolHooks.NONE);
            runtime.inTransaction(tx -> tx.on("m").set("k", "v")).block(Duration.ofSeconds(10));
            assertThat(named.master().command("GET", "k")).isEqualTo("v");
            runtime.closeGracefully().block(Duration.ofSeconds(30));
            runtime = null;
        }
    }

    /** @return how many clients of {@code server} connected to its TLS port ({@code CLIENT LIST}'s {@code laddr}) */
    static long tlsClients(RedisServer server) {
        String list = (String) server.command("CLIENT", "LIST");
        return list.lines()
                .filter(l -> l.contains("laddr=127.0.0.1:" + server.tlsPort() + " "))
                .filter(l -> !l.contains("flags=S") && !l.contains("flags=M"))
                .count();
    }
}
