package io.redtx.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.redtx.api.TlsOptions.VerifyPeer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The rules of {@link TlsOptions} that need no file; reading files is tested with real ones in the runtime. */
class TlsOptionsTest {

    @Test
    void noSettingsMeanTheJvmDefaultsAndFullVerification() {
        TlsOptions tls = TlsOptions.builder().build();

        assertThat(tls.verifyPeer()).isEqualTo(VerifyPeer.FULL);
        assertThat(tls.trustManagerFactory()).isEmpty();
        assertThat(tls.keyManagerFactory()).isEmpty();
        RuntimeOptions options = RuntimeOptions.builder()
                .participant("eu", "rediss://127.0.0.1:6380", tls)
                .participant("us", "redis://127.0.0.1:6379")
                .build();
        assertThat(options.tls("eu")).contains(tls);
        assertThat(options.tls("us")).isEmpty();
        assertThat(options.toString()).contains("tls=[eu]");
    }

    @Test
    void twoSourcesOfTheSameMaterialAreRefused() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> TlsOptions.builder()
                        .truststore(Path.of("t.p12"), "x".toCharArray())
                        .trustedCertificates(Path.of("ca.crt"))
                        .build())
                .withMessage("set either truststore or trustedCertificates, not both");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> TlsOptions.builder()
                        .keystore(Path.of("k.p12"), "x".toCharArray())
                        .clientCertificate(Path.of("c.crt"), Path.of("c.key"))
                        .build())
                .withMessage("set either keystore or clientCertificate, not both");
    }

    @Test
    void nullArgumentsAreRefusedNamingThem() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> TlsOptions.builder().keystore(Path.of("k.p12"), null))
                .withMessage("keystore password must not be null");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> TlsOptions.builder().verifyPeer(null))
                .withMessage("verifyPeer must not be null");
    }

    @Test
    void passwordsAreCopiedAndNeverShown() {
        char[] password = "s3cr3t".toCharArray();
        TlsOptions tls =
                TlsOptions.builder().truststore(Path.of("t.p12"), password).build();
        password[0] = 'X';

        assertThat(tls.toString())
                .isEqualTo("TlsOptions{truststore=t.p12 (password set), verifyPeer=FULL}")
                .doesNotContain("s3cr3t");
        assertThat(tls)
                .isEqualTo(TlsOptions.builder()
                        .truststore(Path.of("t.p12"), "s3cr3t".toCharArray())
                        .build());
    }

    @Test
    void verifyPeerInTheUriIsFoundInAnyCaseAndOnlyThere() {
        assertThat(RedisUris.setsVerifyPeer("rediss://h:6380?VERIFYPEER=ca")).isTrue();
        assertThat(RedisUris.setsVerifyPeer("rediss://h:6380?timeout=5s&verifyPeer=NONE"))
                .isTrue();
        assertThat(RedisUris.setsVerifyPeer("rediss://verifypeer:secret@h:6380?timeout=5s"))
                .isFalse();
        assertThatThrownBy(() -> RuntimeOptions.builder()
                        .participant(
                                "eu",
                                "rediss-cluster://h1:7000,h2:7000?verifyPeer=CA",
                                TlsOptions.builder().build()))
                .isInstanceOf(RedtxArgumentException.class)
                .hasMessage("participant 'eu' has TLS options and its URI 'rediss-cluster://h1:7000,h2:7000"
                        + "?verifyPeer=CA' sets verifyPeer: set it in one place, TlsOptions.verifyPeer");
    }

    @Test
    void tlsOptionsOnSentinelAndSocketUrisAreRefused() {
        for (String uri : new String[] {"redis-sentinel://h:26379?sentinelMasterId=m", "redis-socket:///tmp/r.sock"}) {
            assertThatThrownBy(() -> RuntimeOptions.builder()
                            .participant("eu", uri, TlsOptions.builder().build()))
                    .isInstanceOf(RedtxArgumentException.class)
                    .hasMessageContaining("does not use TLS (rediss://, rediss-sentinel:// or rediss-cluster://)");
        }
    }
}
