package io.redtx.spring.boot;

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
import io.redtx.micrometer.MicrometerTransactionMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code redtx.*} properties: every setting of {@link RuntimeOptions} that a value can express, the
 * {@link IntakeOptions} of the application's intakes, and what the starter itself does at start and stop. The groups
 * are those of {@link RuntimeOptions}: {@code redtx.timeouts.*} is {@link TimeoutOptions}, {@code redtx.recovery.*}
 * {@link RecoveryOptions}, and so on. Each default is the {@code DEFAULT_*} constant of the options class, read from it
 * rather than repeated here.
 *
 * <pre>
 * redtx.participants.orders=redis://orders-host:6379
 * redtx.participants.stock=rediss://stock-host:6380
 * redtx.tls.stock.trusted-certificates=/etc/redtx/ca.crt
 * redtx.replication.orders.replicas=1
 * redtx.replication.orders.timeout=50ms
 * redtx.timeouts.commit=1s
 * redtx.admission.max-in-flight=256
 * </pre>
 *
 * <p>Settings a value cannot express (a key router, an observer, external participants, sagas, a timer) are set in code
 * by a {@link RedtxRuntimeOptionsCustomizer} bean. {@link #toRuntimeOptions()} checks every value through the options'
 * builders and names the property of a value they refuse.
 */
@ConfigurationProperties("redtx")
public class RedtxProperties {

    /**
     * Participant name to Redis URI (Lettuce syntax: redis://, rediss://, redis-socket://, redis-sentinel://,
     * redis-cluster:// and their TLS forms). At least one is required. A name is 1 to 64 characters of
     * [A-Za-z0-9_.-]; the participants are added in the order the configuration source lists them.
     */
    private Map<String, String> participants = new LinkedHashMap<>();

    /**
     * TLS settings of a participant beyond its rediss:// URI, by participant name: trusted certificates, a client
     * certificate, how to verify the server. The files are read at start-up.
     */
    private Map<String, Tls> tls = new LinkedHashMap<>();

    /**
     * Replicas that must hold a participant's writes before redtx acts on them (WAIT), by participant name; on a
     * Cluster participant, replicas of the master that ran each step.
     */
    private Map<String, ReplicationRequirement> replication = new LinkedHashMap<>();

    /** Prefix of every key redtx writes for itself; non-empty, without '{' or '}'. User keys under it are refused. */
    private String namespace = RuntimeOptions.DEFAULT_NAMESPACE;

    /**
     * Whether start-up runs TransactionRuntime.verify(): connects to every participant, loads the scripts, checks the
     * Redis user's permissions and the durability, and fails the start-up on a participant that does not pass.
     */
    private boolean verifyOnStartup = true;

    /**
     * Longest wait, at shutdown, for the runtime's graceful close (transactions in flight and background roll-forwards
     * and rollbacks) before it is closed at once. Unset: the transaction timeout plus 10 s, since the graceful close
     * waits at most the transaction timeout and then closes the connections and client resources.
     */
    private Duration shutdownTimeout;

    private final Timeouts timeouts = new Timeouts();
    private final Recovery recovery = new Recovery();
    private final Admission admission = new Admission();
    private final Connections connections = new Connections();
    private final Limits limits = new Limits();
    private final Retry retry = new Retry();
    private final Intake intake = new Intake();
    private final Metrics metrics = new Metrics();

    /** Created by Spring Boot's binder. */
    public RedtxProperties() {}

    /** @return participant name to Redis URI, in the order of the configuration source */
    public Map<String, String> getParticipants() {
        return participants;
    }

    /** @param participants participant name to Redis URI */
    public void setParticipants(Map<String, String> participants) {
        this.participants = new LinkedHashMap<>(participants);
    }

    /** @return TLS settings by participant name */
    public Map<String, Tls> getTls() {
        return tls;
    }

    /** @param tls TLS settings by participant name */
    public void setTls(Map<String, Tls> tls) {
        this.tls = new LinkedHashMap<>(tls);
    }

    /** @return replication requirements by participant name */
    public Map<String, ReplicationRequirement> getReplication() {
        return replication;
    }

    /** @param replication replication requirements by participant name */
    public void setReplication(Map<String, ReplicationRequirement> replication) {
        this.replication = new LinkedHashMap<>(replication);
    }

    /** @return the namespace of redtx's own keys */
    public String getNamespace() {
        return namespace;
    }

    /** @param namespace the namespace of redtx's own keys */
    public void setNamespace(String namespace) {
        this.namespace = namespace;
    }

    /** @return whether start-up verifies every participant */
    public boolean isVerifyOnStartup() {
        return verifyOnStartup;
    }

    /** @param verifyOnStartup whether start-up verifies every participant */
    public void setVerifyOnStartup(boolean verifyOnStartup) {
        this.verifyOnStartup = verifyOnStartup;
    }

    /** @return the longest wait for the graceful close, or null for the transaction timeout plus 10 s */
    public Duration getShutdownTimeout() {
        return shutdownTimeout;
    }

    /** @param shutdownTimeout the longest wait for the graceful close, positive; null for the default */
    public void setShutdownTimeout(Duration shutdownTimeout) {
        this.shutdownTimeout = shutdownTimeout;
    }

    /** @return {@code redtx.timeouts.*} */
    public Timeouts getTimeouts() {
        return timeouts;
    }

    /** @return {@code redtx.recovery.*} */
    public Recovery getRecovery() {
        return recovery;
    }

    /** @return {@code redtx.admission.*} */
    public Admission getAdmission() {
        return admission;
    }

    /** @return {@code redtx.connections.*} */
    public Connections getConnections() {
        return connections;
    }

    /** @return {@code redtx.limits.*} */
    public Limits getLimits() {
        return limits;
    }

    /** @return {@code redtx.retry.*} */
    public Retry getRetry() {
        return retry;
    }

    /** @return {@code redtx.intake.*} */
    public Intake getIntake() {
        return intake;
    }

    /** @return {@code redtx.metrics.*} */
    public Metrics getMetrics() {
        return metrics;
    }

    /**
     * Builds the runtime options from these properties. Every value goes through the options' builders, which check
     * it; a value they refuse fails with an {@link
     * org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException} that names the
     * property ({@code redtx.timeouts.commit}), the value (a URI without its password, never a password) and the
     * builder's reason. Metrics, observer, key router and the like keep their defaults: the auto-configuration sets
     * them.
     *
     * @return a builder holding these properties, to be completed and built by the caller
     */
    public RuntimeOptions.Builder toRuntimeOptionsBuilder() {
        return RuntimeOptionsMapper.map(this);
    }

    /**
     * Like {@link #toRuntimeOptionsBuilder()}, built.
     *
     * @return the options these properties say
     */
    public RuntimeOptions toRuntimeOptions() {
        return toRuntimeOptionsBuilder().build();
    }

    /**
     * Builds the {@link IntakeOptions} of {@code redtx.intake.*}, checked like {@link #toRuntimeOptions()}.
     *
     * @return the intake options
     */
    public IntakeOptions toIntakeOptions() {
        return RuntimeOptionsMapper.intake(intake);
    }

    /** Time limits ({@link TimeoutOptions}): {@code redtx.timeouts.*}. */
    public static class Timeouts {
        /** Limit of each prepare leg of a two-phase commit. */
        private Duration prepare = TimeoutOptions.DEFAULT_PREPARE_TIMEOUT;

        /** Limit of the one-phase script, of the commit point and of each secondary roll-forward. */
        private Duration commit = TimeoutOptions.DEFAULT_COMMIT_TIMEOUT;

        /** Limit of one read through a transaction handle. */
        private Duration read = TimeoutOptions.DEFAULT_READ_TIMEOUT;

        /**
         * How long a read that meets another transaction's write intent on its key waits for it to settle before the
         * transaction fails with a conflict; 0 for no wait.
         */
        private Duration intentWait = TimeoutOptions.DEFAULT_INTENT_WAIT;

        /**
         * Limit of making a connection to a participant (TCP, TLS, handshake, script loading); also bounds each
         * participant's check in verify-on-startup and in the health indicator.
         */
        private Duration connect = TimeoutOptions.DEFAULT_CONNECT_TIMEOUT;

        /**
         * Limit of a whole transaction, retries included; also the longest wait of the graceful close for the
         * transactions in flight.
         */
        private Duration transaction = TimeoutOptions.DEFAULT_TRANSACTION_TIMEOUT;

        /** Created with the defaults. */
        public Timeouts() {}

        /** @return the prepare timeout */
        public Duration getPrepare() {
            return prepare;
        }

        /** @param prepare the prepare timeout, positive */
        public void setPrepare(Duration prepare) {
            this.prepare = prepare;
        }

        /** @return the commit timeout */
        public Duration getCommit() {
            return commit;
        }

        /** @param commit the commit timeout, positive */
        public void setCommit(Duration commit) {
            this.commit = commit;
        }

        /** @return the read timeout */
        public Duration getRead() {
            return read;
        }

        /** @param read the read timeout, positive */
        public void setRead(Duration read) {
            this.read = read;
        }

        /** @return a read's longest wait for a foreign write intent to settle */
        public Duration getIntentWait() {
            return intentWait;
        }

        /** @param intentWait a read's longest wait for a foreign write intent to settle, zero or positive */
        public void setIntentWait(Duration intentWait) {
            this.intentWait = intentWait;
        }

        /** @return the connect timeout */
        public Duration getConnect() {
            return connect;
        }

        /** @param connect the connect timeout, positive */
        public void setConnect(Duration connect) {
            this.connect = connect;
        }

        /** @return the transaction timeout */
        public Duration getTransaction() {
            return transaction;
        }

        /** @param transaction the transaction timeout, positive */
        public void setTransaction(Duration transaction) {
            this.transaction = transaction;
        }
    }

    /** Settling what dead coordinators left ({@link RecoveryOptions}): {@code redtx.recovery.*}. */
    public static class Recovery {
        /**
         * Lease of a prepared intent, on each shard's own clock; at least 100 ms. A live coordinator extends it every
         * third of its length: it bounds how long a dead coordinator's intents block others.
         */
        private Duration lease = RecoveryOptions.DEFAULT_LEASE_DURATION;

        /** How long settled markers and records are kept once every shard is settled; at least 1 ms. */
        private Duration recordRetention = RecoveryOptions.DEFAULT_RECORD_RETENTION;

        /** Period of the background recovery pass; 0 turns it off. */
        private Duration interval = RecoveryOptions.DEFAULT_RECOVERY_INTERVAL;

        /**
         * Whether a one-phase commit that writes leaves a COMMITTED marker for the record retention, so that the
         * status of a transaction whose reply was lost can be answered.
         */
        private boolean onePhaseMarkers = RecoveryOptions.defaults().onePhaseMarkers();

        /** Created with the defaults. */
        public Recovery() {}

        /** @return the lease */
        public Duration getLease() {
            return lease;
        }

        /** @param lease the lease, at least 100 ms */
        public void setLease(Duration lease) {
            this.lease = lease;
        }

        /** @return the record retention */
        public Duration getRecordRetention() {
            return recordRetention;
        }

        /** @param recordRetention the record retention, at least 1 ms */
        public void setRecordRetention(Duration recordRetention) {
            this.recordRetention = recordRetention;
        }

        /** @return the recovery interval */
        public Duration getInterval() {
            return interval;
        }

        /** @param interval the recovery interval, positive or 0 */
        public void setInterval(Duration interval) {
            this.interval = interval;
        }

        /** @return whether one-phase commits leave markers */
        public boolean isOnePhaseMarkers() {
            return onePhaseMarkers;
        }

        /** @param onePhaseMarkers whether one-phase commits leave markers */
        public void setOnePhaseMarkers(boolean onePhaseMarkers) {
            this.onePhaseMarkers = onePhaseMarkers;
        }
    }

    /** How many transactions run at once ({@link AdmissionOptions}): {@code redtx.admission.*}. */
    public static class Admission {
        /** Largest number of transactions running at once in the runtime; at least 1. */
        private int maxInFlight = AdmissionOptions.DEFAULT_MAX_IN_FLIGHT;

        /** What a transaction does beyond max-in-flight: WAIT (for a slot, bounded) or REJECT (at once). */
        private AdmissionOptions.Overflow overflow = AdmissionOptions.defaults().overflow();

        /** Largest number of transactions waiting for admission with overflow WAIT; at least 1. */
        private int maxWaiting = AdmissionOptions.DEFAULT_MAX_WAITING;

        /** Longest wait for admission with overflow WAIT. */
        private Duration timeout = AdmissionOptions.DEFAULT_ADMISSION_TIMEOUT;

        /** Created with the defaults. */
        public Admission() {}

        /** @return the largest number of transactions in flight */
        public int getMaxInFlight() {
            return maxInFlight;
        }

        /** @param maxInFlight the largest number of transactions in flight, at least 1 */
        public void setMaxInFlight(int maxInFlight) {
            this.maxInFlight = maxInFlight;
        }

        /** @return what a transaction does beyond the limit */
        public AdmissionOptions.Overflow getOverflow() {
            return overflow;
        }

        /** @param overflow what a transaction does beyond the limit */
        public void setOverflow(AdmissionOptions.Overflow overflow) {
            this.overflow = overflow;
        }

        /** @return the largest number of waiting transactions */
        public int getMaxWaiting() {
            return maxWaiting;
        }

        /** @param maxWaiting the largest number of waiting transactions, at least 1 */
        public void setMaxWaiting(int maxWaiting) {
            this.maxWaiting = maxWaiting;
        }

        /** @return the longest wait for admission */
        public Duration getTimeout() {
            return timeout;
        }

        /** @param timeout the longest wait for admission, positive */
        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }
    }

    /** Connections to the participants ({@link ConnectionOptions}): {@code redtx.connections.*}. */
    public static class Connections {
        /** Multiplexed connections kept to each participant, 1 to 64 (a Cluster participant has one whatever this says). */
        private int perParticipant = ConnectionOptions.DEFAULT_CONNECTIONS_PER_PARTICIPANT;

        /**
         * Whether a participant is refused unless it runs AOF with appendfsync always, so that no acknowledged commit
         * can be lost by a restart.
         */
        private boolean requireSyncedWrites = ConnectionOptions.defaults().requireSyncedWrites();

        /** Created with the defaults. */
        public Connections() {}

        /** @return connections per participant */
        public int getPerParticipant() {
            return perParticipant;
        }

        /** @param perParticipant connections per participant, 1 to 64 */
        public void setPerParticipant(int perParticipant) {
            this.perParticipant = perParticipant;
        }

        /** @return whether synced writes are required */
        public boolean isRequireSyncedWrites() {
            return requireSyncedWrites;
        }

        /** @param requireSyncedWrites whether synced writes are required */
        public void setRequireSyncedWrites(boolean requireSyncedWrites) {
            this.requireSyncedWrites = requireSyncedWrites;
        }
    }

    /** Size limits of a transaction ({@link LimitOptions}): {@code redtx.limits.*}. */
    public static class Limits {
        /** Largest value a write accepts, in UTF-8 bytes; at least 1. */
        private int maxValueBytes = LimitOptions.DEFAULT_MAX_VALUE_BYTES;

        /** Largest number of distinct keys one transaction may read or write, 1 to 5000. */
        private int maxKeysPerTransaction = LimitOptions.DEFAULT_MAX_KEYS_PER_TRANSACTION;

        /** Created with the defaults. */
        public Limits() {}

        /** @return the largest value in bytes */
        public int getMaxValueBytes() {
            return maxValueBytes;
        }

        /** @param maxValueBytes the largest value in bytes, at least 1 */
        public void setMaxValueBytes(int maxValueBytes) {
            this.maxValueBytes = maxValueBytes;
        }

        /** @return the largest number of keys per transaction */
        public int getMaxKeysPerTransaction() {
            return maxKeysPerTransaction;
        }

        /** @param maxKeysPerTransaction the largest number of keys per transaction, 1 to 5000 */
        public void setMaxKeysPerTransaction(int maxKeysPerTransaction) {
            this.maxKeysPerTransaction = maxKeysPerTransaction;
        }
    }

    /** Retries after a conflict ({@link RetryPolicy}): {@code redtx.retry.*}. */
    public static class Retry {
        /** Attempts in all, the first included; 1 means no retry. */
        private int maxAttempts = RetryPolicy.DEFAULT_MAX_ATTEMPTS;

        /** Backoff before the first retry; 0 or positive. */
        private Duration minBackoff = RetryPolicy.DEFAULT_MIN_BACKOFF;

        /** Largest backoff; at least min-backoff. */
        private Duration maxBackoff = RetryPolicy.DEFAULT_MAX_BACKOFF;

        /** Jitter factor in [0, 1]: each backoff is randomised by up to this fraction. */
        private double jitter = RetryPolicy.DEFAULT_JITTER;

        /** Created with the defaults. */
        public Retry() {}

        /** @return the attempts in all */
        public int getMaxAttempts() {
            return maxAttempts;
        }

        /** @param maxAttempts the attempts in all, at least 1 */
        public void setMaxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
        }

        /** @return the first backoff */
        public Duration getMinBackoff() {
            return minBackoff;
        }

        /** @param minBackoff the first backoff, 0 or positive */
        public void setMinBackoff(Duration minBackoff) {
            this.minBackoff = minBackoff;
        }

        /** @return the largest backoff */
        public Duration getMaxBackoff() {
            return maxBackoff;
        }

        /** @param maxBackoff the largest backoff, at least the first */
        public void setMaxBackoff(Duration maxBackoff) {
            this.maxBackoff = maxBackoff;
        }

        /** @return the jitter factor */
        public double getJitter() {
            return jitter;
        }

        /** @param jitter the jitter factor, in [0, 1] */
        public void setJitter(double jitter) {
            this.jitter = jitter;
        }
    }

    /**
     * The {@link IntakeOptions} bean ({@code redtx.intake.*}), for the application's calls of
     * {@code TransactionRuntime.intake}: an intake takes its options per call, so these are a default to inject, not a
     * setting of the runtime.
     */
    public static class Intake {
        /** Requests of one intake running at once, 1 to 100000. */
        private int maxInFlight = IntakeOptions.DEFAULT_MAX_IN_FLIGHT;

        /** Whether outcomes come out in the order of their requests (else as they finish). */
        private boolean ordered = IntakeOptions.defaults().ordered();

        /** Limit of each request's transaction, retries and admission included; unset: the transaction timeout. */
        private Duration deadline = IntakeOptions.defaults().deadline();

        /** Created with the defaults. */
        public Intake() {}

        /** @return requests running at once */
        public int getMaxInFlight() {
            return maxInFlight;
        }

        /** @param maxInFlight requests running at once, 1 to 100000 */
        public void setMaxInFlight(int maxInFlight) {
            this.maxInFlight = maxInFlight;
        }

        /** @return whether outcomes keep the request order */
        public boolean isOrdered() {
            return ordered;
        }

        /** @param ordered whether outcomes keep the request order */
        public void setOrdered(boolean ordered) {
            this.ordered = ordered;
        }

        /** @return each request's deadline, or null for the transaction timeout */
        public Duration getDeadline() {
            return deadline;
        }

        /** @param deadline each request's deadline, positive; null for the transaction timeout */
        public void setDeadline(Duration deadline) {
            this.deadline = deadline;
        }
    }

    /**
     * TLS settings of one participant ({@link TlsOptions}): {@code redtx.tls.<participant>.*}. Set either
     * truststore or trusted-certificates, either keystore or certificate-chain with private-key.
     */
    public static class Tls {
        /** JKS or PKCS#12 store of trusted certificates (instead of the JVM's default trust store). */
        private Path truststore;

        /** Password of the truststore. */
        private String truststorePassword;

        /** PEM file of trusted (CA) certificates, instead of a truststore. */
        private Path trustedCertificates;

        /** JKS or PKCS#12 store of the client's key and certificate chain (mutual TLS); the key has its password. */
        private Path keystore;

        /** Password of the keystore and its key. */
        private String keystorePassword;

        /** PEM file of the client's certificate chain (mutual TLS), with private-key; instead of a keystore. */
        private Path certificateChain;

        /** PEM file of the client's unencrypted PKCS#8 private key, with certificate-chain. */
        private Path privateKey;

        /**
         * How the server's certificate is checked: FULL (chain and host name), CA (chain only) or NONE (tests only).
         * Unset: FULL. The URI must then not set verifyPeer itself.
         */
        private TlsOptions.VerifyPeer verifyPeer;

        /** Created empty. */
        public Tls() {}

        /** @return the truststore */
        public Path getTruststore() {
            return truststore;
        }

        /** @param truststore the truststore */
        public void setTruststore(Path truststore) {
            this.truststore = truststore;
        }

        /** @return the truststore's password */
        public String getTruststorePassword() {
            return truststorePassword;
        }

        /** @param truststorePassword the truststore's password */
        public void setTruststorePassword(String truststorePassword) {
            this.truststorePassword = truststorePassword;
        }

        /** @return the PEM file of trusted certificates */
        public Path getTrustedCertificates() {
            return trustedCertificates;
        }

        /** @param trustedCertificates the PEM file of trusted certificates */
        public void setTrustedCertificates(Path trustedCertificates) {
            this.trustedCertificates = trustedCertificates;
        }

        /** @return the keystore */
        public Path getKeystore() {
            return keystore;
        }

        /** @param keystore the keystore */
        public void setKeystore(Path keystore) {
            this.keystore = keystore;
        }

        /** @return the keystore's password */
        public String getKeystorePassword() {
            return keystorePassword;
        }

        /** @param keystorePassword the keystore's password */
        public void setKeystorePassword(String keystorePassword) {
            this.keystorePassword = keystorePassword;
        }

        /** @return the PEM file of the client's certificate chain */
        public Path getCertificateChain() {
            return certificateChain;
        }

        /** @param certificateChain the PEM file of the client's certificate chain */
        public void setCertificateChain(Path certificateChain) {
            this.certificateChain = certificateChain;
        }

        /** @return the PEM file of the client's private key */
        public Path getPrivateKey() {
            return privateKey;
        }

        /** @param privateKey the PEM file of the client's private key */
        public void setPrivateKey(Path privateKey) {
            this.privateKey = privateKey;
        }

        /** @return how the server is verified, or null for FULL */
        public TlsOptions.VerifyPeer getVerifyPeer() {
            return verifyPeer;
        }

        /** @param verifyPeer how the server is verified */
        public void setVerifyPeer(TlsOptions.VerifyPeer verifyPeer) {
            this.verifyPeer = verifyPeer;
        }
    }

    /** A participant's replication requirement ({@link Replication}): {@code redtx.replication.<participant>.*}. */
    public static class ReplicationRequirement {
        /** Replicas that must acknowledge each step, 0 to 64; 0 (the default) requires none. */
        private int replicas = Replication.NONE.replicas();

        /** How long WAIT may take for them; required, at least 1 ms, when replicas is above 0. */
        private Duration timeout;

        /** Created with no requirement. */
        public ReplicationRequirement() {}

        /** @return the replicas that must acknowledge */
        public int getReplicas() {
            return replicas;
        }

        /** @param replicas the replicas that must acknowledge, 0 to 64 */
        public void setReplicas(int replicas) {
            this.replicas = replicas;
        }

        /** @return how long WAIT may take */
        public Duration getTimeout() {
            return timeout;
        }

        /** @param timeout how long WAIT may take, at least 1 ms */
        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }
    }

    /**
     * The Micrometer meters of the runtime ({@code redtx.metrics.*}), bound when redtx-micrometer is on the class path
     * and the application has a MeterRegistry.
     */
    public static class Metrics {
        /** Whether the runtime records its meters in the application's MeterRegistry. */
        private boolean enabled = true;

        // Both constants are compile-time constants, inlined by javac: reading them loads no Micrometer class, so these
        // properties bind without redtx-micrometer on the class path.

        /** First part of every meter name: dot-separated words of letters, digits and '_'. */
        private String prefix = MicrometerTransactionMetrics.DEFAULT_PREFIX;

        /** Tags carried by every meter, for example runtime=orders to tell two runtimes apart. */
        private Map<String, String> tags = new LinkedHashMap<>();

        /** Whether both timers also publish percentile histogram buckets (aggregable across instances). */
        private boolean percentileHistogram = MicrometerTransactionMetrics.DEFAULT_PERCENTILE_HISTOGRAM;

        /**
         * Whether each transaction is observed (a redtx.transaction observation: a span with tracing) through the
         * application's ObservationRegistry, when it has one.
         */
        private boolean observations = true;

        /** Created with the defaults. */
        public Metrics() {}

        /** @return whether the meters are recorded */
        public boolean isEnabled() {
            return enabled;
        }

        /** @param enabled whether the meters are recorded */
        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        /** @return whether transactions are observed through the application's ObservationRegistry */
        public boolean isObservations() {
            return observations;
        }

        /** @param observations whether transactions are observed through the application's ObservationRegistry */
        public void setObservations(boolean observations) {
            this.observations = observations;
        }

        /** @return the meter name prefix */
        public String getPrefix() {
            return prefix;
        }

        /** @param prefix the meter name prefix */
        public void setPrefix(String prefix) {
            this.prefix = prefix;
        }

        /** @return the common tags */
        public Map<String, String> getTags() {
            return tags;
        }

        /** @param tags the common tags */
        public void setTags(Map<String, String> tags) {
            this.tags = new LinkedHashMap<>(tags);
        }

        /** @return whether percentile histograms are published */
        public boolean isPercentileHistogram() {
            return percentileHistogram;
        }

        /** @param percentileHistogram whether percentile histograms are published */
        public void setPercentileHistogram(boolean percentileHistogram) {
            this.percentileHistogram = percentileHistogram;
        }
    }
}
