package io.redtx.spring.boot;

import io.redtx.api.AdmissionOptions;
import io.redtx.api.ConnectionOptions;
import io.redtx.api.Durations;
import io.redtx.api.IntakeOptions;
import io.redtx.api.LimitOptions;
import io.redtx.api.RecoveryOptions;
import io.redtx.api.Replication;
import io.redtx.api.RetryPolicy;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TimeoutOptions;
import io.redtx.api.TlsOptions;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * Turns {@link RedtxProperties} into options through the options' own builders, so that the checks (and their
 * messages) stay in one place, the builders; what this class adds is the name of the property a refused value came
 * from, which the builders cannot know.
 */
final class RuntimeOptionsMapper {

    /** The user-info part of a URI, {@code //user:password@}, whose password must not reach a message. */
    private static final Pattern USER_INFO = Pattern.compile("//[^/@]*@");

    private RuntimeOptionsMapper() {}

    static RuntimeOptions.Builder map(RedtxProperties p) {
        RuntimeOptions.Builder b = RuntimeOptions.builder();
        Map<String, String> participants = p.getParticipants();
        if (participants.isEmpty()) {
            throw new InvalidConfigurationPropertyValueException(
                    "redtx.participants",
                    null,
                    "at least one participant is required (redtx.participants.<name>=<redis URI>)");
        }
        for (String name : p.getTls().keySet()) {
            if (!participants.containsKey(name)) {
                throw undefined("redtx.tls." + name, name, participants);
            }
        }
        participants.forEach((name, uri) -> {
            String property = "redtx.participants." + name;
            RedtxProperties.Tls tls = p.getTls().get(name);
            if (tls == null) {
                apply(property, masked(uri), () -> b.participant(name, uri));
            } else {
                // The name and URI alone first, so that a bad URI is blamed on the URI's property, not the TLS one.
                apply(property, masked(uri), () -> RuntimeOptions.builder().participant(name, uri));
                TlsOptions options = tlsOptions("redtx.tls." + name, tls);
                apply("redtx.tls." + name, "(TLS settings)", () -> b.participant(name, uri, options));
            }
        });
        p.getReplication().forEach((name, r) -> {
            String property = "redtx.replication." + name;
            if (!participants.containsKey(name)) {
                throw undefined(property, name, participants);
            }
            if (r.getReplicas() > 0 && r.getTimeout() == null) {
                throw new InvalidConfigurationPropertyValueException(
                        property + ".timeout", null, "must be set when " + property + ".replicas is above 0");
            }
            String value = "replicas=" + r.getReplicas() + ", timeout="
                    + (r.getTimeout() == null ? "unset" : Durations.text(r.getTimeout()));
            apply(
                    property,
                    value,
                    () -> b.replication(
                            name,
                            new Replication(r.getReplicas(), r.getTimeout() == null ? Duration.ZERO : r.getTimeout())));
        });

        RedtxProperties.Timeouts t = p.getTimeouts();
        TimeoutOptions.Builder timeouts = TimeoutOptions.builder();
        apply("redtx.timeouts.prepare", t.getPrepare(), () -> timeouts.prepare(t.getPrepare()));
        apply("redtx.timeouts.commit", t.getCommit(), () -> timeouts.commit(t.getCommit()));
        apply("redtx.timeouts.read", t.getRead(), () -> timeouts.read(t.getRead()));
        apply("redtx.timeouts.intent-wait", t.getIntentWait(), () -> timeouts.intentWait(t.getIntentWait()));
        apply("redtx.timeouts.connect", t.getConnect(), () -> timeouts.connect(t.getConnect()));
        apply("redtx.timeouts.transaction", t.getTransaction(), () -> timeouts.transaction(t.getTransaction()));
        b.timeouts(timeouts.build());

        RedtxProperties.Recovery r = p.getRecovery();
        RecoveryOptions.Builder recovery = RecoveryOptions.builder();
        apply("redtx.recovery.lease", r.getLease(), () -> recovery.lease(r.getLease()));
        apply(
                "redtx.recovery.record-retention",
                r.getRecordRetention(),
                () -> recovery.recordRetention(r.getRecordRetention()));
        apply("redtx.recovery.interval", r.getInterval(), () -> recovery.interval(r.getInterval()));
        recovery.onePhaseMarkers(r.isOnePhaseMarkers());
        b.recovery(recovery.build());

        RedtxProperties.Admission a = p.getAdmission();
        AdmissionOptions.Builder admission = AdmissionOptions.builder();
        apply("redtx.admission.max-in-flight", a.getMaxInFlight(), () -> admission.maxInFlight(a.getMaxInFlight()));
        apply("redtx.admission.overflow", a.getOverflow(), () -> admission.overflow(a.getOverflow()));
        apply("redtx.admission.max-waiting", a.getMaxWaiting(), () -> admission.maxWaiting(a.getMaxWaiting()));
        apply("redtx.admission.timeout", a.getTimeout(), () -> admission.timeout(a.getTimeout()));
        b.admission(admission.build());

        RedtxProperties.Connections c = p.getConnections();
        ConnectionOptions.Builder connections = ConnectionOptions.builder();
        apply(
                "redtx.connections.per-participant",
                c.getPerParticipant(),
                () -> connections.perParticipant(c.getPerParticipant()));
        connections.requireSyncedWrites(c.isRequireSyncedWrites());
        b.connections(connections.build());

        RedtxProperties.Limits l = p.getLimits();
        LimitOptions.Builder limits = LimitOptions.builder();
        apply("redtx.limits.max-value-bytes", l.getMaxValueBytes(), () -> limits.maxValueBytes(l.getMaxValueBytes()));
        apply(
                "redtx.limits.max-keys-per-transaction",
                l.getMaxKeysPerTransaction(),
                () -> limits.maxKeysPerTransaction(l.getMaxKeysPerTransaction()));
        b.limits(limits.build());

        RedtxProperties.Retry y = p.getRetry();
        RetryPolicy.Builder retry = RetryPolicy.builder();
        apply("redtx.retry.max-attempts", y.getMaxAttempts(), () -> retry.maxAttempts(y.getMaxAttempts()));
        apply("redtx.retry.min-backoff", y.getMinBackoff(), () -> retry.minBackoff(y.getMinBackoff()));
        apply("redtx.retry.max-backoff", y.getMaxBackoff(), () -> retry.maxBackoff(y.getMaxBackoff()));
        apply("redtx.retry.jitter", y.getJitter(), () -> retry.jitter(y.getJitter()));
        // build() compares the two backoffs: the larger one is the one to change.
        apply("redtx.retry.max-backoff", y.getMaxBackoff(), () -> b.retryPolicy(retry.build()));

        apply("redtx.namespace", p.getNamespace(), () -> b.namespace(p.getNamespace()));
        return b;
    }

    static IntakeOptions intake(RedtxProperties.Intake i) {
        IntakeOptions.Builder intake = IntakeOptions.builder();
        apply("redtx.intake.max-in-flight", i.getMaxInFlight(), () -> intake.maxInFlight(i.getMaxInFlight()));
        intake.ordered(i.isOrdered());
        if (i.getDeadline() != null) {
            apply("redtx.intake.deadline", i.getDeadline(), () -> intake.deadline(i.getDeadline()));
        }
        return intake.build();
    }

    private static TlsOptions tlsOptions(String property, RedtxProperties.Tls t) {
        TlsOptions.Builder tls = TlsOptions.builder();
        if (t.getTruststore() != null) {
            apply(
                    property + ".truststore",
                    t.getTruststore(),
                    () -> tls.truststore(t.getTruststore(), chars(t.getTruststorePassword())));
        }
        if (t.getTrustedCertificates() != null) {
            apply(
                    property + ".trusted-certificates",
                    t.getTrustedCertificates(),
                    () -> tls.trustedCertificates(t.getTrustedCertificates()));
        }
        if (t.getKeystore() != null) {
            apply(
                    property + ".keystore",
                    t.getKeystore(),
                    () -> tls.keystore(t.getKeystore(), chars(t.getKeystorePassword())));
        }
        if (t.getCertificateChain() != null || t.getPrivateKey() != null) {
            String which = t.getCertificateChain() == null ? ".certificate-chain" : ".private-key";
            apply(property + which, null, () -> tls.clientCertificate(t.getCertificateChain(), t.getPrivateKey()));
        }
        if (t.getVerifyPeer() != null) {
            tls.verifyPeer(t.getVerifyPeer());
        }
        TlsOptions[] built = new TlsOptions[1];
        apply(property, "(TLS settings)", () -> built[0] = tls.build());
        return built[0];
    }

    /** A missing password is an empty one: a store may have none. */
    private static char[] chars(String password) {
        return password == null ? new char[0] : password.toCharArray();
    }

    /**
     * Runs one builder call; a refusal becomes an {@link InvalidConfigurationPropertyValueException} naming
     * {@code property}, whose failure analysis Spring Boot prints at start-up, with the builder's reason.
     */
    static void apply(String property, Object value, Runnable setter) {
        try {
            setter.run();
        } catch (IllegalArgumentException e) {
            // RedtxArgumentException is not an IllegalArgumentException: caught below.
            throw invalid(property, value, e);
        } catch (io.redtx.api.RedtxException e) {
            throw invalid(property, value, e);
        }
    }

    private static InvalidConfigurationPropertyValueException invalid(String property, Object value, Exception cause) {
        // A Duration as the options' messages write it ("0 ms"), not ISO-8601 ("PT0S").
        Object shown = value instanceof Duration d ? Durations.text(d) : value;
        InvalidConfigurationPropertyValueException e =
                new InvalidConfigurationPropertyValueException(property, shown, cause.getMessage());
        e.initCause(cause);
        return e;
    }

    private static InvalidConfigurationPropertyValueException undefined(
            String property, String name, Map<String, String> participants) {
        return new InvalidConfigurationPropertyValueException(
                property,
                null,
                "names participant '" + name + "', which is not defined (redtx.participants: " + participants.keySet()
                        + ")");
    }

    /** {@code uri} without its user and password, for messages. */
    static String masked(String uri) {
        return uri == null ? null : USER_INFO.matcher(uri).replaceFirst("//***@");
    }
}
