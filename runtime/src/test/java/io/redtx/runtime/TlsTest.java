package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import io.redtx.api.CommitProtocol;
import io.redtx.api.ParticipantDurability;
import io.redtx.api.ParticipantErrorException;
import io.redtx.api.RedtxArgumentException;
import io.redtx.api.RedtxConfigurationException;
import io.redtx.api.RedtxTransientException;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TlsOptions;
import io.redtx.api.TlsOptions.VerifyPeer;
import io.redtx.api.TransactionResult;
import io.redtx.api.TransactionRuntime;
import io.redtx.test.redis.Persistence;
import io.redtx.test.redis.RedisCluster;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.tls.TestCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * TLS per participant against a real {@code redis-server} that requires client certificates ({@code tls-auth-clients
 * yes}), with certificates made when the test runs.
 */
class TlsTest {

    @TempDir
    static Path dir;

    /** The CA that signed the server's certificate and whose client certificates the server accepts. */
    static TestCertificates certs;
    /** Another CA: the server neither is trusted by it nor accepts its clients. */
    static TestCertificates other;

    static RedisServer tls;
    static RedisServer plain;

    TransactionRuntime runtime;

    @BeforeAll
    static void startServers() throws Exception {
        certs = TestCertificates.create(Files.createDirectory(dir.resolve("good")), "good");
        other = TestCertificates.create(Files.createDirectory(dir.resolve("other")), "other");
        tls = RedisServer.builder()
                .tls(certs.serverCertificate(), certs.serverKey(), certs.caCertificate())
                .start();
        plain = RedisServer.builder().start();
    }

    @AfterAll
    static void stopServers() {
        if (tls != null) {
            tls.close();
        }
        if (plain != null) {
            plain.close();
        }
    }

    @BeforeEach
    void flush() {
        tls.flushAll();
        plain.flushAll();
    }

    @AfterEach
    void closeRuntime() {
        if (runtime != null) {
            runtime.closeGracefully().block(Duration.ofSeconds(30));
        }
    }

    private TransactionRuntime runtime(TlsOptions eu) {
        runtime = RedisTransactionRuntime.create(RuntimeOptions.builder()
                .participant("eu", tls.tlsUri(), eu)
                .participant("us", plain.uri())
                .timeouts(t -> t.connect(Duration.ofSeconds(5)))
                .build());
        return runtime;
    }

    private static TlsOptions.Builder mutual() {
        return TlsOptions.builder()
                .trustedCertificates(certs.caCertificate())
                .clientCertificate(certs.clientCertificate(), certs.clientKey());
    }

    private static Mono<TransactionResult<Void>> transfer(TransactionRuntime runtime) {
        return runtime.inTransactionWithResult(
                tx -> tx.on("eu").set("k", "over tls").then(tx.on("us").set("k", "in the clear")));
    }

    /** Whether some client of the TLS server is connected to its TLS port (Redis lists each client's local address). */
    private static boolean connectedOverTls() {
        return String.valueOf(tls.command("CLIENT", "LIST")).contains("laddr=127.0.0.1:" + tls.tlsPort() + " ");
    }

    @Test
    void mutualTlsCommitSpansATlsAndAPlainParticipant() {
        StepVerifier.create(transfer(runtime(mutual().build())))
                .assertNext(r -> {
                    assertThat(r.commit().protocol()).isEqualTo(CommitProtocol.TWO_PHASE);
                    assertThat(r.commit().shards()).containsExactlyInAnyOrder("eu", "us");
                })
                .verifyComplete();

        assertThat(tls.command("GET", "k")).isEqualTo("over tls");
        assertThat(plain.command("GET", "k")).isEqualTo("in the clear");
        assertThat(connectedOverTls()).isTrue();
    }

    /** PKCS#12 stores instead of PEM files; {@code verify()} makes the TLS connections and checks them. */
    @Test
    void verifyPassesOnATlsParticipantWithKeystoreAndTruststore() {
        runtime(TlsOptions.builder()
                .truststore(certs.truststore(), certs.password())
                .keystore(certs.clientKeystore(), certs.password())
                .build());

        StepVerifier.create(runtime.verify())
                .assertNext(all -> assertThat(all)
                        .extracting(ParticipantDurability::participant)
                        .containsExactly("eu", "us"))
                .verifyComplete();
        assertThat(connectedOverTls()).isTrue();
    }

    /**
     * The server requires a client certificate: without one the handshake is refused, which retrying cannot fix, so
     * it is a {@link ParticipantErrorException} (not transient), from {@code verify()} and from a transaction alike.
     */
    @Test
    void aClientWithoutACertificateIsRefused() {
        runtime(TlsOptions.builder().trustedCertificates(certs.caCertificate()).build());

        StepVerifier.create(runtime.verify())
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOfSatisfying(
                                RedtxConfigurationException.class,
                                c -> assertThat(c.problems())
                                        .containsOnly(entry(
                                                "eu",
                                                tls.tlsUri() + ": the TLS handshake failed: Received fatal alert:"
                                                        + " certificate_required")))
                        .hasCauseInstanceOf(ParticipantErrorException.class))
                .verify(Duration.ofSeconds(20));
        StepVerifier.create(transfer(runtime))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(ParticipantErrorException.class)
                        .isNotInstanceOf(RedtxTransientException.class)
                        .hasMessageContaining("Participant 'eu'")
                        .hasMessageContaining("the TLS handshake failed: Received fatal alert: certificate_required"))
                .verify(Duration.ofSeconds(20));
        assertThat(plain.command("GET", "k")).isNull();
    }

    @Test
    void aServerSignedByAnotherCaIsRefusedWithVerifyFull() {
        runtime(TlsOptions.builder()
                .trustedCertificates(other.caCertificate())
                .clientCertificate(certs.clientCertificate(), certs.clientKey())
                .build());

        StepVerifier.create(runtime.verify())
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOfSatisfying(
                                RedtxConfigurationException.class,
                                c -> assertThat(c.problems()).containsOnlyKeys("eu"))
                        .hasMessageContaining(
                                "'eu': " + tls.tlsUri() + ": the TLS handshake failed: PKIX path" + " building failed"))
                .verify(Duration.ofSeconds(20));
    }

    /** A server whose certificate names another host: FULL refuses it at 127.0.0.1, CA checks the chain only. */
    @Test
    void verifyFullChecksTheHostNameWhereCaChecksOnlyTheChain() throws Exception {
        TestCertificates elsewhere = TestCertificates.create(
                Files.createDirectory(dir.resolve("elsewhere")), "elsewhere", "redis.example.com");
        try (RedisServer server = RedisServer.builder()
                .tls(elsewhere.serverCertificate(), elsewhere.serverKey(), elsewhere.caCertificate())
                .start()) {
            TlsOptions.Builder trusting = TlsOptions.builder()
                    .trustedCertificates(elsewhere.caCertificate())
                    .clientCertificate(elsewhere.clientCertificate(), elsewhere.clientKey());
            TransactionRuntime full = RedisTransactionRuntime.create(RuntimeOptions.builder()
                    .participant("eu", server.tlsUri(), trusting.build())
                    .build());
            try {
                StepVerifier.create(full.verify())
                        .expectErrorSatisfies(e -> assertThat(e)
                                .isInstanceOf(RedtxConfigurationException.class)
                                .hasMessageContaining("the TLS handshake failed: No subject alternative names"
                                        + " matching IP address 127.0.0.1"))
                        .verify(Duration.ofSeconds(20));
            } finally {
                full.closeGracefully().block(Duration.ofSeconds(30));
            }

            TransactionRuntime ca = RedisTransactionRuntime.create(RuntimeOptions.builder()
                    .participant(
                            "eu",
                            server.tlsUri(),
                            trusting.verifyPeer(VerifyPeer.CA).build())
                    .build());
            try {
                StepVerifier.create(ca.verify()).expectNextCount(1).verifyComplete();
            } finally {
                ca.closeGracefully().block(Duration.ofSeconds(30));
            }
        }
    }

    /**
     * A Redis Cluster whose clients and bus use TLS: the seeds' TLS settings apply to every node the runtime finds, and
     * a transaction spans keys of all three masters.
     */
    @Test
    void mutualTlsReachesEveryMasterOfACluster() {
        try (RedisCluster cluster = RedisCluster.start(
                3,
                Persistence.IN_MEMORY,
                node -> node.tls(certs.serverCertificate(), certs.serverKey(), certs.caCertificate())
                        .config("tls-cluster yes"))) {
            runtime = RedisTransactionRuntime.create(RuntimeOptions.builder()
                    .participant("eu", cluster.tlsParticipantUri(), mutual().build())
                    .build());
            List<String> keys = List.of("k-1", "k-2", "k-3", "k-4", "k-5", "k-6", "k-7", "k-8");
            assertThat(keys.stream().map(cluster::masterFor).distinct()).hasSize(3);

            StepVerifier.create(runtime.verify()).expectNextCount(1).verifyComplete();
            StepVerifier.create(runtime.inTransaction(tx -> Flux.fromIterable(keys)
                            .concatMap(k -> tx.on("eu").set(k, "over tls"))
                            .then()))
                    .verifyComplete();

            for (String k : keys) {
                assertThat(cluster.masterFor(k).command("GET", k)).isEqualTo("over tls");
            }
            for (RedisServer master : cluster.masters()) {
                assertThat(String.valueOf(master.command("CLIENT", "LIST")))
                        .contains("laddr=127.0.0.1:" + master.tlsPort() + " ");
            }
            runtime.closeGracefully().block(Duration.ofSeconds(30));
            runtime = null;
        }
    }

    @Test
    void verifyNoneConnectsToAServerNoTrustedCaSigned() {
        runtime(TlsOptions.builder()
                .clientCertificate(certs.clientCertificate(), certs.clientKey())
                .verifyPeer(VerifyPeer.NONE)
                .build());

        StepVerifier.create(transfer(runtime)).expectNextCount(1).verifyComplete();
        assertThat(tls.command("GET", "k")).isEqualTo("over tls");
    }

    // ---- configuration that cannot work fails when the options are built -------------------------------------

    @Test
    void aMissingFileIsRefusedNamingTheParticipantAndTheFile() {
        Path missing = dir.resolve("missing-ca.crt");
        TlsOptions options = TlsOptions.builder().trustedCertificates(missing).build();

        assertThatThrownBy(() -> RuntimeOptions.builder().participant("eu", tls.tlsUri(), options))
                .isInstanceOf(RedtxArgumentException.class)
                .hasMessage("participant 'eu' ('" + tls.tlsUri() + "') has unusable TLS options: TLS trusted"
                        + " certificates '" + missing + "' does not exist or is not a file");
    }

    @Test
    void aWrongKeystorePasswordIsRefusedWithoutShowingAnyPassword() {
        TlsOptions options = TlsOptions.builder()
                .keystore(certs.clientKeystore(), "not-the-secret".toCharArray())
                .build();

        assertThatThrownBy(() -> RuntimeOptions.builder()
                        .participant("eu", "rediss://app:s3cret@127.0.0.1:" + tls.tlsPort(), options))
                .isInstanceOf(RedtxArgumentException.class)
                .hasMessageContaining("participant 'eu'")
                .hasMessageContaining("'" + certs.clientKeystore() + "' cannot be opened: its password is wrong")
                .hasMessageNotContaining("not-the-secret")
                .hasMessageNotContaining(new String(certs.password()))
                .hasMessageNotContaining("s3cret");
        assertThat(options.toString()).contains("(password set)").doesNotContain("not-the-secret");
    }

    @Test
    void tlsOptionsOnAPlainUriAreRefused() {
        assertThatThrownBy(() -> RuntimeOptions.builder()
                        .participant("eu", "redis://app:s3cret@127.0.0.1:6379", mutual().build()))
                .isInstanceOf(RedtxArgumentException.class)
                .hasMessage("participant 'eu' has TLS options, but its URI 'redis://app:***@127.0.0.1:6379' does not"
                        + " use TLS (rediss://, rediss-sentinel:// or rediss-cluster://)");
    }

    @Test
    void verifyPeerInTheUriAndInTlsOptionsIsRefused() {
        assertThatThrownBy(() ->
                        RuntimeOptions.builder().participant("eu", tls.tlsUri() + "?verifyPeer=CA", mutual().build()))
                .isInstanceOf(RedtxArgumentException.class)
                .hasMessageContaining("sets verifyPeer: set it in one place, TlsOptions.verifyPeer");
    }

    @Test
    void aPrivateKeyOfAnotherCertificateIsRefused() {
        TlsOptions options = TlsOptions.builder()
                .clientCertificate(certs.clientCertificate(), other.clientKey())
                .build();

        assertThatThrownBy(() -> RuntimeOptions.builder().participant("eu", tls.tlsUri(), options))
                .isInstanceOf(RedtxArgumentException.class)
                .hasMessageContaining("TLS private key '" + other.clientKey()
                        + "' does not belong to the first certificate of the chain");
    }

    @Test
    void trustSettingsWithVerifyNoneAreRefused() {
        assertThatThrownBy(() -> TlsOptions.builder()
                        .trustedCertificates(certs.caCertificate())
                        .verifyPeer(VerifyPeer.NONE)
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("verifyPeer NONE checks no certificate");
    }
}
