package io.redtx.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.AdmissionOptions;
import io.redtx.api.ConnectionOptions;
import io.redtx.api.IntakeOptions;
import io.redtx.api.LimitOptions;
import io.redtx.api.RecoveryOptions;
import io.redtx.api.Replication;
import io.redtx.api.RetryPolicy;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TimeoutOptions;
import io.redtx.api.TlsOptions;
import io.redtx.test.tls.TestCertificates;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The {@code redtx.*} properties become the {@link RuntimeOptions} they say: every group, the defaults of the options
 * classes when nothing is set, and the defaults that the configuration metadata documents.
 */
class RedtxPropertiesTest {

    /** No connection is made: verification is off and the runtime connects lazily. */
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(RedtxAutoConfiguration.class))
            .withPropertyValues(
                    "redtx.verify-on-startup=false",
                    "redtx.participants.orders=redis://127.0.0.1:1",
                    "redtx.participants.stock=redis://127.0.0.1:2/3");

    @Test
    void unsetPropertiesAreTheOptionsDefaults() {
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            RuntimeOptions options = context.getBean(RuntimeOptions.class);
            assertThat(options.participants())
                    .containsExactly(entry("orders", "redis://127.0.0.1:1"), entry("stock", "redis://127.0.0.1:2/3"));
            assertThat(options.timeouts()).isEqualTo(TimeoutOptions.defaults());
            assertThat(options.recovery()).isEqualTo(RecoveryOptions.defaults());
            assertThat(options.admission()).isEqualTo(AdmissionOptions.defaults());
            assertThat(options.connections()).isEqualTo(ConnectionOptions.defaults());
            assertThat(options.limits()).isEqualTo(LimitOptions.defaults());
            assertThat(options.retryPolicy()).isEqualTo(RetryPolicy.defaults());
            assertThat(options.namespace()).isEqualTo(RuntimeOptions.DEFAULT_NAMESPACE);
            assertThat(options.tls("orders")).isEmpty();
            assertThat(options.replication("orders")).isEqualTo(Replication.NONE);
            assertThat(context.getBean(IntakeOptions.class).toString())
                    .isEqualTo(IntakeOptions.defaults().toString());
        });
    }

    @Test
    void everyGroupIsBound() {
        runner.withPropertyValues(
                        "redtx.namespace=shop:",
                        "redtx.replication.orders.replicas=2",
                        "redtx.replication.orders.timeout=50ms",
                        "redtx.participants.cluster=redis-cluster://127.0.0.1:3,127.0.0.1:4",
                        "redtx.replication.cluster.replicas=1",
                        "redtx.replication.cluster.timeout=20ms",
                        "redtx.timeouts.prepare=1s",
                        "redtx.timeouts.commit=1500ms",
                        "redtx.timeouts.read=3s",
                        "redtx.timeouts.intent-wait=0s",
                        "redtx.timeouts.connect=4s",
                        "redtx.timeouts.transaction=20s",
                        "redtx.recovery.lease=7s",
                        "redtx.recovery.record-retention=2m",
                        "redtx.recovery.interval=0s",
                        "redtx.recovery.one-phase-markers=false",
                        "redtx.admission.max-in-flight=16",
                        "redtx.admission.overflow=reject",
                        "redtx.admission.max-waiting=8",
                        "redtx.admission.timeout=250ms",
                        "redtx.connections.per-participant=4",
                        "redtx.connections.require-synced-writes=true",
                        "redtx.limits.max-value-bytes=4096",
                        "redtx.limits.max-keys-per-transaction=50",
                        "redtx.retry.max-attempts=3",
                        "redtx.retry.min-backoff=5ms",
                        "redtx.retry.max-backoff=1s",
                        "redtx.retry.jitter=0.25",
                        "redtx.intake.max-in-flight=128",
                        "redtx.intake.ordered=true",
                        "redtx.intake.deadline=3s")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    RuntimeOptions options = context.getBean(RuntimeOptions.class);
                    assertThat(options.namespace()).isEqualTo("shop:");
                    assertThat(options.replication("orders"))
                            .isEqualTo(Replication.acknowledgedBy(2, Duration.ofMillis(50)));
                    assertThat(options.replication("stock")).isEqualTo(Replication.NONE);
                    assertThat(options.replication("cluster"))
                            .isEqualTo(Replication.acknowledgedBy(1, Duration.ofMillis(20)));
                    assertThat(options.timeouts())
                            .isEqualTo(TimeoutOptions.builder()
                                    .prepare(Duration.ofSeconds(1))
                                    .commit(Duration.ofMillis(1500))
                                    .read(Duration.ofSeconds(3))
                                    .intentWait(Duration.ZERO)
                                    .connect(Duration.ofSeconds(4))
                                    .transaction(Duration.ofSeconds(20))
                                    .build());
                    assertThat(options.recovery())
                            .isEqualTo(RecoveryOptions.builder()
                                    .lease(Duration.ofSeconds(7))
                                    .recordRetention(Duration.ofMinutes(2))
                                    .interval(Duration.ZERO)
                                    .onePhaseMarkers(false)
                                    .build());
                    assertThat(options.admission())
                            .isEqualTo(AdmissionOptions.builder()
                                    .maxInFlight(16)
                                    .overflow(AdmissionOptions.Overflow.REJECT)
                                    .maxWaiting(8)
                                    .timeout(Duration.ofMillis(250))
                                    .build());
                    assertThat(options.connections())
                            .isEqualTo(ConnectionOptions.builder()
                                    .perParticipant(4)
                                    .requireSyncedWrites(true)
                                    .build());
                    assertThat(options.limits())
                            .isEqualTo(LimitOptions.builder()
                                    .maxValueBytes(4096)
                                    .maxKeysPerTransaction(50)
                                    .build());
                    assertThat(options.retryPolicy())
                            .isEqualTo(RetryPolicy.builder()
                                    .maxAttempts(3)
                                    .minBackoff(Duration.ofMillis(5))
                                    .maxBackoff(Duration.ofSeconds(1))
                                    .jitter(0.25)
                                    .build());
                    IntakeOptions intake = context.getBean(IntakeOptions.class);
                    assertThat(intake.maxInFlight()).isEqualTo(128);
                    assertThat(intake.ordered()).isTrue();
                    assertThat(intake.deadline()).isEqualTo(Duration.ofSeconds(3));
                });
    }

    @Test
    void tlsIsBoundPerParticipant(@TempDir Path dir) {
        TestCertificates certificates = TestCertificates.create(dir, "starter");
        runner.withPropertyValues(
                        "redtx.participants.pem=rediss://127.0.0.1:6380",
                        "redtx.tls.pem.trusted-certificates=" + certificates.caCertificate(),
                        "redtx.tls.pem.certificate-chain=" + certificates.clientCertificate(),
                        "redtx.tls.pem.private-key=" + certificates.clientKey(),
                        "redtx.tls.pem.verify-peer=ca",
                        "redtx.participants.stores=rediss://127.0.0.1:6381",
                        "redtx.tls.stores.truststore=" + certificates.truststore(),
                        "redtx.tls.stores.truststore-password=" + new String(certificates.password()),
                        "redtx.tls.stores.keystore=" + certificates.clientKeystore(),
                        "redtx.tls.stores.keystore-password=" + new String(certificates.password()))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    RuntimeOptions options = context.getBean(RuntimeOptions.class);
                    assertThat(options.tls("pem"))
                            .contains(TlsOptions.builder()
                                    .trustedCertificates(certificates.caCertificate())
                                    .clientCertificate(certificates.clientCertificate(), certificates.clientKey())
                                    .verifyPeer(TlsOptions.VerifyPeer.CA)
                                    .build());
                    assertThat(options.tls("stores"))
                            .contains(TlsOptions.builder()
                                    .truststore(certificates.truststore(), certificates.password())
                                    .keystore(certificates.clientKeystore(), certificates.password())
                                    .build());
                    assertThat(options.tls("orders")).isEmpty();
                });
    }

    @Test
    void participantsKeepTheOrderOfTheConfiguration() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(RedtxAutoConfiguration.class))
                .withPropertyValues(
                        "redtx.verify-on-startup=false",
                        "redtx.participants.zulu=redis://127.0.0.1:1",
                        "redtx.participants.alpha=redis://127.0.0.1:2",
                        "redtx.participants.mike=redis://127.0.0.1:3")
                .run(context -> assertThat(context.getBean(RuntimeOptions.class)
                                .participants()
                                .keySet())
                        .containsExactly("zulu", "alpha", "mike"));
    }

    /**
     * The defaults written in the configuration metadata (for IDEs and the docs) are the defaults the properties have:
     * setting every documented default explicitly changes nothing.
     */
    @Test
    void documentedDefaultsAreTheDefaults() throws Exception {
        List<String> explicit = new ArrayList<>();
        for (Map<String, Object> property : Metadata.properties()) {
            // Verification stays off here: these participants do not exist.
            if (property.containsKey("defaultValue") && !"redtx.verify-on-startup".equals(property.get("name"))) {
                explicit.add(property.get("name") + "=" + property.get("defaultValue"));
            }
        }
        assertThat(explicit).hasSizeGreaterThan(20);
        String[] withDefaults = explicit.toArray(String[]::new);
        String[] described = {null, null};
        runner.run(context ->
                described[0] = describe(context.getBean(RuntimeOptions.class), context.getBean(IntakeOptions.class)));
        runner.withPropertyValues(withDefaults)
                .run(context -> described[1] =
                        describe(context.getBean(RuntimeOptions.class), context.getBean(IntakeOptions.class)));
        assertThat(described[1]).isNotNull().isEqualTo(described[0]);
    }

    @Test
    void everyPropertyIsDescribedInTheMetadata() throws Exception {
        List<String> undescribed = new ArrayList<>();
        List<Map<String, Object>> properties = Metadata.properties();
        for (Map<String, Object> property : properties) {
            Object description = property.get("description");
            if (description == null || description.toString().isBlank()) {
                undescribed.add(String.valueOf(property.get("name")));
            }
        }
        assertThat(properties.size()).isGreaterThan(30);
        assertThat(undescribed).isEmpty();
    }

    private static String describe(RuntimeOptions options, IntakeOptions intake) {
        return options.participants() + " " + options.timeouts() + " " + options.recovery() + " " + options.admission()
                + " " + options.connections() + " " + options.limits() + " " + options.retryPolicy() + " "
                + options.namespace() + " " + intake;
    }

    private static Map.Entry<String, String> entry(String key, String value) {
        return Map.entry(key, value);
    }
}
