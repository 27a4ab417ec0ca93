package io.redtx.api;

import io.redtx.api.metrics.TransactionMetrics;
import io.redtx.api.metrics.TransactionObserver;
import io.redtx.api.routing.KeyRouter;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Immutable configuration of a {@link TransactionRuntime}: the named participants and the limits every transaction
 * runs under. Build with {@link #builder()}; every setter validates at once and names the field and the bad value.
 *
 * <pre>{@code
 * RuntimeOptions options = RuntimeOptions.builder()
 *         .participant("orders", "redis://orders-host:6379")
 *         .participant("stock", "rediss://user:secret@stock-host:6380/0")
 *         .prepareTimeout(Duration.ofSeconds(1))
 *         .build();
 * }</pre>
 */
public final class RuntimeOptions {

    /** Default limit of each prepare leg. */
    public static final Duration DEFAULT_PREPARE_TIMEOUT = Duration.ofSeconds(2);
    /** Default limit of the one-phase script, of the commit point and of each secondary roll-forward. */
    public static final Duration DEFAULT_COMMIT_TIMEOUT = Duration.ofSeconds(2);
    /** Default limit of one read through the handle. */
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(2);
    /** Default limit of making a connection to a participant (TCP, TLS, handshake, script loading). */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** Default limit of a whole transaction, retries included. */
    public static final Duration DEFAULT_TRANSACTION_TIMEOUT = Duration.ofSeconds(30);
    /**
     * Default lease of a prepared intent: after it expires, other transactions may resolve it. A live coordinator
     * extends it every third of its length, so it bounds how long a dead coordinator's intents block others, not how
     * long a transaction may take.
     */
    public static final Duration DEFAULT_LEASE_DURATION = Duration.ofSeconds(10);
    /**
     * Shortest accepted lease: the coordinator extends leases every third of their length, and a shorter lease would
     * expire between two extensions whenever a round trip or a scheduling delay took more than a few tens of
     * milliseconds.
     */
    public static final Duration MIN_LEASE_DURATION = Duration.ofMillis(100);
    /** Default time settled transaction markers (tombstones, commit markers) are kept. */
    public static final Duration DEFAULT_RECORD_RETENTION = Duration.ofMinutes(5);
    /** Default period of the background recovery pass. */
    public static final Duration DEFAULT_RECOVERY_INTERVAL = Duration.ofSeconds(5);
    /** Default prefix of every key redtx writes for itself. */
    public static final String DEFAULT_NAMESPACE = "redtx:";
    /** Default largest value (UTF-8 bytes) accepted by a write. */
    public static final int DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;
    /** Default largest number of distinct keys one transaction may touch. */
    public static final int DEFAULT_MAX_KEYS_PER_TRANSACTION = 1000;

    /** Default number of connections to each participant. */
    public static final int DEFAULT_CONNECTIONS_PER_PARTICIPANT = 2;

    /** Default largest number of transactions running at once in one runtime. */
    public static final int DEFAULT_MAX_IN_FLIGHT = 1024;
    /** Default largest number of transactions waiting for admission ({@link Overflow#WAIT}). */
    public static final int DEFAULT_MAX_WAITING = 1024;
    /** Default longest wait for admission ({@link Overflow#WAIT}). */
    public static final Duration DEFAULT_ADMISSION_TIMEOUT = Duration.ofSeconds(1);

    /** What a transaction does when {@link #maxInFlight()} transactions are already running. */
    public enum Overflow {
        /**
         * Wait for a running one to end, at most {@link #admissionTimeout()}, behind at most {@link #maxWaiting()}
         * others; then fail with {@link TransactionRejectedException}.
         */
        WAIT,
        /** Fail at once with {@link TransactionRejectedException}. */
        REJECT
    }

    private static final Pattern PARTICIPANT_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    private final Map<String, String> participants;
    private final Map<String, TlsOptions> tls;
    private final Duration prepareTimeout;
    private final Duration commitTimeout;
    private final Duration readTimeout;
    private final Duration connectTimeout;
    private final Duration transactionTimeout;
    private final Duration leaseDuration;
    private final Duration recordRetention;
    private final Duration recoveryInterval;
    private final boolean requireSyncedWrites;
    private final boolean onePhaseMarkers;
    private final RetryPolicy retryPolicy;
    private final String namespace;
    private final KeyLayout keyLayout;
    private final int maxValueBytes;
    private final int maxKeysPerTransaction;
    private final int connectionsPerParticipant;
    private final int maxInFlight;
    private final Overflow overflow;
    private final int maxWaiting;
    private final Duration admissionTimeout;
    private final TransactionMetrics metrics;
    private final TransactionObserver observer;
    private final KeyRouter keyRouter;
    /** The router the builder was given, or null: then {@link #keyRouter} follows the participants. */
    private final KeyRouter givenKeyRouter;

    private RuntimeOptions(Builder b) {
        this.participants = Collections.unmodifiableMap(new LinkedHashMap<>(b.participants));
        this.tls = Collections.unmodifiableMap(new LinkedHashMap<>(b.tls));
        this.prepareTimeout = b.prepareTimeout;
        this.commitTimeout = b.commitTimeout;
        this.readTimeout = b.readTimeout;
        this.connectTimeout = b.connectTimeout;
        this.transactionTimeout = b.transactionTimeout;
        this.leaseDuration = b.leaseDuration;
        this.recordRetention = b.recordRetention;
        this.recoveryInterval = b.recoveryInterval;
        this.requireSyncedWrites = b.requireSyncedWrites;
        this.onePhaseMarkers = b.onePhaseMarkers;
        this.retryPolicy = b.retryPolicy;
        this.namespace = b.namespace;
        this.keyLayout = KeyLayout.of(b.namespace);
        this.maxValueBytes = b.maxValueBytes;
        this.maxKeysPerTransaction = b.maxKeysPerTransaction;
        this.connectionsPerParticipant = b.connectionsPerParticipant;
        this.maxInFlight = b.maxInFlight;
        this.overflow = b.overflow;
        this.maxWaiting = b.maxWaiting;
        this.admissionTimeout = b.admissionTimeout;
        this.metrics = b.metrics;
        this.observer = b.observer;
        this.givenKeyRouter = b.keyRouter;
        this.keyRouter = b.keyRouter != null ? b.keyRouter : KeyRouter.consistentHashing(this.participants.keySet());
    }

    /**
     * A builder holding every setting of these options, to derive a changed copy (these options stay as they are), as
     * Lettuce's {@code ClientOptions.mutate()}: {@code options.mutate().commitTimeout(Duration.ofSeconds(2)).build()}.
     * Participants can be added to it, not removed; a default key router follows the participants of the copy.
     *
     * @return a new builder
     */
    public Builder mutate() {
        return new Builder(this);
    }

    /** @return a builder with every default set and no participant */
    public static Builder builder() {
        return new Builder();
    }

    /** @return participant name to Redis URI (Lettuce syntax), in the order they were added */
    public Map<String, String> participants() {
        return participants;
    }

    /**
     * @param participant a participant's name
     * @return its URI with the password replaced by {@code ***}, for logs and messages; null for an unknown name
     */
    public String maskedUri(String participant) {
        String uri = participants.get(participant);
        return uri == null ? null : RedisUris.masked(uri);
    }

    /**
     * @param participant a participant's name
     * @return the TLS options it was added with ({@link Builder#participant(String, String, TlsOptions)}); empty for a
     *     participant without them (a {@code rediss://} URI alone uses Lettuce's defaults) or an unknown name
     */
    public Optional<TlsOptions> tls(String participant) {
        return Optional.ofNullable(tls.get(participant));
    }

    /** @return limit of each prepare leg (default 2 s) */
    public Duration prepareTimeout() {
        return prepareTimeout;
    }

    /** @return limit of the one-phase script, the commit point and each secondary roll-forward (default 2 s) */
    public Duration commitTimeout() {
        return commitTimeout;
    }

    /** @return limit of one read through a transaction handle (default 2 s) */
    public Duration readTimeout() {
        return readTimeout;
    }

    /**
     * @return limit of making a connection (default 10 s); it does not count against the timeout of the command that
     *     needed the connection
     */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** @return limit of a whole transaction including retries (default 30 s) */
    public Duration transactionTimeout() {
        return transactionTimeout;
    }

    /**
     * @return lease of a prepared intent, measured on each shard's own clock (default 10 s); the coordinator extends
     *     it every third of its length until its commit point is decided, so it is how long a dead coordinator's
     *     intents keep others waiting before recovery may settle them
     */
    public Duration leaseDuration() {
        return leaseDuration;
    }

    /** @return how long settled markers and records are kept once every shard is settled (default 5 min; they cost memory per transaction, and only need to outlive a prepare that arrives late) */
    public Duration recordRetention() {
        return recordRetention;
    }

    /**
     * @return period of the background recovery pass that settles expired intents left by dead coordinators (default
     *     5 s); {@link Duration#ZERO} turns it off ({@link TransactionRuntime#recover()} still works)
     */
    public Duration recoveryInterval() {
        return recoveryInterval;
    }

    /**
     * @return whether a participant is refused (with {@link ParticipantErrorException} when the runtime connects to it)
     *     unless it runs AOF with {@code appendfsync always}, so that no acknowledged commit can be lost by a restart
     *     (default {@code false}: see {@link TransactionRuntime#durability()})
     */
    public boolean requireSyncedWrites() {
        return requireSyncedWrites;
    }

    /**
     * @return whether a one-phase commit that writes leaves a COMMITTED marker for {@link #recordRetention()}, so that
     *     {@link TransactionRuntime#status(String)} can answer after its reply was lost (default {@code true}). Each
     *     costs about 100 bytes of the participant's memory until it expires: without them, such a status is
     *     {@link TransactionStatus#UNKNOWN}
     */
    public boolean onePhaseMarkers() {
        return onePhaseMarkers;
    }

    /** @return the retry policy of {@link TransactionRuntime#inTransaction} */
    public RetryPolicy retryPolicy() {
        return retryPolicy;
    }

    /** @return the prefix of every key redtx writes for itself; user keys starting with it are refused */
    public String namespace() {
        return namespace;
    }

    /** @return the names of redtx's own keys under {@link #namespace()} */
    public KeyLayout keyLayout() {
        return keyLayout;
    }

    /** @return largest accepted value, in UTF-8 bytes */
    public int maxValueBytes() {
        return maxValueBytes;
    }

    /** @return largest number of distinct keys one transaction may read or write */
    public int maxKeysPerTransaction() {
        return maxKeysPerTransaction;
    }

    /**
     * @return how many multiplexed connections the runtime keeps to each participant (default 2); commands take them
     *     in turn
     */
    public int connectionsPerParticipant() {
        return connectionsPerParticipant;
    }

    /**
     * @return largest number of transactions running at once in this runtime (default 1024). An attempt of
     *     {@link TransactionRuntime#inTransaction} or of the intake holds its slot from admission to the end of its
     *     commit or rollback, and a transaction waiting to retry after a conflict holds none (it is admitted again for
     *     its next attempt); a {@link TransactionRuntime#begin()} handle holds one until it is committed or rolled
     *     back
     */
    public int maxInFlight() {
        return maxInFlight;
    }

    /** @return what a transaction does when the limit is reached (default {@link Overflow#WAIT}) */
    public Overflow overflow() {
        return overflow;
    }

    /** @return largest number of transactions waiting for admission (default 1024); more are rejected at once */
    public int maxWaiting() {
        return maxWaiting;
    }

    /** @return longest wait for admission with {@link Overflow#WAIT} (default 1 s) */
    public Duration admissionTimeout() {
        return admissionTimeout;
    }

    /** @return where the runtime reports commits, aborts, phases and more (default {@link TransactionMetrics#NOOP}) */
    public TransactionMetrics metrics() {
        return metrics;
    }

    /** @return what observes each transaction, for tracing (default {@link TransactionObserver#NOOP}) */
    public TransactionObserver observer() {
        return observer;
    }

    /**
     * @return what places the keys of {@link Transaction#routed()} (default
     *     {@link KeyRouter#consistentHashing(java.util.Collection)} over every participant, in the order added)
     */
    public KeyRouter keyRouter() {
        return keyRouter;
    }

    @Override
    public String toString() {
        return "RuntimeOptions{participants=" + participants.keySet() + ", tls=" + tls.keySet() + ", prepareTimeout="
                + prepareTimeout
                + ", commitTimeout=" + commitTimeout + ", readTimeout=" + readTimeout + ", connectTimeout="
                + connectTimeout
                + ", transactionTimeout="
                + transactionTimeout + ", leaseDuration=" + leaseDuration + ", recordRetention=" + recordRetention
                + ", recoveryInterval=" + recoveryInterval + ", requireSyncedWrites=" + requireSyncedWrites
                + ", onePhaseMarkers=" + onePhaseMarkers
                + ", retryPolicy=" + retryPolicy + ", namespace='" + namespace + "', maxValueBytes=" + maxValueBytes
                + ", maxKeysPerTransaction=" + maxKeysPerTransaction + ", connectionsPerParticipant="
                + connectionsPerParticipant + ", maxInFlight=" + maxInFlight + ", overflow="
                + overflow + ", maxWaiting=" + maxWaiting + ", admissionTimeout=" + admissionTimeout + ", metrics="
                + metrics + ", observer=" + observer + ", keyRouter=" + keyRouter + "}";
    }

    /** Builds {@link RuntimeOptions}; every setter validates its argument at once. */
    public static final class Builder {
        private final Map<String, String> participants = new LinkedHashMap<>();
        private final Map<String, TlsOptions> tls = new LinkedHashMap<>();
        private Duration prepareTimeout = DEFAULT_PREPARE_TIMEOUT;
        private Duration commitTimeout = DEFAULT_COMMIT_TIMEOUT;
        private Duration readTimeout = DEFAULT_READ_TIMEOUT;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration transactionTimeout = DEFAULT_TRANSACTION_TIMEOUT;
        private Duration leaseDuration = DEFAULT_LEASE_DURATION;
        private Duration recordRetention = DEFAULT_RECORD_RETENTION;
        private Duration recoveryInterval = DEFAULT_RECOVERY_INTERVAL;
        private boolean requireSyncedWrites;
        private boolean onePhaseMarkers = true;
        private RetryPolicy retryPolicy = RetryPolicy.defaults();
        private String namespace = DEFAULT_NAMESPACE;
        private int maxValueBytes = DEFAULT_MAX_VALUE_BYTES;
        private int maxKeysPerTransaction = DEFAULT_MAX_KEYS_PER_TRANSACTION;
        private int connectionsPerParticipant = DEFAULT_CONNECTIONS_PER_PARTICIPANT;
        private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
        private Overflow overflow = Overflow.WAIT;
        private int maxWaiting = DEFAULT_MAX_WAITING;
        private Duration admissionTimeout = DEFAULT_ADMISSION_TIMEOUT;
        private TransactionMetrics metrics = TransactionMetrics.NOOP;
        private TransactionObserver observer = TransactionObserver.NOOP;
        private KeyRouter keyRouter;

        private Builder() {}

        private Builder(RuntimeOptions o) {
            participants.putAll(o.participants);
            tls.putAll(o.tls);
            prepareTimeout = o.prepareTimeout;
            commitTimeout = o.commitTimeout;
            readTimeout = o.readTimeout;
            connectTimeout = o.connectTimeout;
            transactionTimeout = o.transactionTimeout;
            leaseDuration = o.leaseDuration;
            recordRetention = o.recordRetention;
            recoveryInterval = o.recoveryInterval;
            requireSyncedWrites = o.requireSyncedWrites;
            onePhaseMarkers = o.onePhaseMarkers;
            retryPolicy = o.retryPolicy;
            namespace = o.namespace;
            maxValueBytes = o.maxValueBytes;
            maxKeysPerTransaction = o.maxKeysPerTransaction;
            connectionsPerParticipant = o.connectionsPerParticipant;
            maxInFlight = o.maxInFlight;
            overflow = o.overflow;
            maxWaiting = o.maxWaiting;
            admissionTimeout = o.admissionTimeout;
            metrics = o.metrics;
            observer = o.observer;
            keyRouter = o.givenKeyRouter;
        }

        /**
         * Adds a participant.
         *
         * @param name 1 to 64 characters of {@code [A-Za-z0-9_.-]}, unique
         * @param redisUri a Redis URI in Lettuce syntax: {@code redis://[[user:]password@]host[:port][/db]},
         *     {@code rediss://...} for TLS, {@code redis-socket://path}, {@code redis-sentinel://...}; or a Redis
         *     Cluster: {@code redis-cluster://[[user:]password@]host[:port][,host[:port]...]} (seed nodes, any of the
         *     cluster's masters; {@code rediss-cluster://} for TLS; no database number). Checked strictly now:
         *     scheme, host names, ports (1 to 65535), database number and query options ({@code timeout},
         *     {@code database}/{@code db}, {@code clientName}, {@code libraryName}, {@code libraryVersion},
         *     {@code verifyPeer} for TLS, {@code sentinelMasterId} or {@code #name}, required, for Sentinel)
         * @return this builder
         * @throws IllegalArgumentException if the name is not valid or already defined
         * @throws RedtxArgumentException if the URI is not valid, or another participant has the same one; the message
         *     names the participant, the URI without its password, and what is wrong
         */
        public Builder participant(String name, String redisUri) {
            return participant(name, redisUri, null);
        }

        /**
         * Adds a participant that connects with TLS settings beyond its URI: trusted certificates, a client
         * certificate (mutual TLS), how to verify the server. Checks everything {@link #participant(String, String)}
         * does, then reads the TLS files now, so that a missing file or a wrong password fails here rather than at the
         * first connection.
         *
         * @param name as for {@link #participant(String, String)}
         * @param redisUri as for {@link #participant(String, String)}; with {@code tls}, a {@code rediss://} or
         *     {@code rediss-cluster://} URI without the {@code verifyPeer} option (it is {@link TlsOptions#verifyPeer()})
         * @param tls the TLS options; null for none (the same as {@link #participant(String, String)})
         * @return this builder
         * @throws IllegalArgumentException if the name is not valid or already defined
         * @throws RedtxArgumentException if the URI is not valid or is another participant's, if {@code tls} is given
         *     with a URI that is not TLS or that sets {@code verifyPeer}, or if a TLS file is missing, unreadable, not
         *     what it should be or its password is wrong; the message names the participant, the URI without its
         *     password and the file, never a password
         */
        public Builder participant(String name, String redisUri, TlsOptions tls) {
            if (name == null || !PARTICIPANT_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException(
                        "participant name must be 1-64 characters of [A-Za-z0-9_.-], was " + quote(name));
            }
            if (participants.containsKey(name)) {
                throw new IllegalArgumentException("participant '" + name + "' is already defined");
            }
            RedisUris.check(name, redisUri);
            // One database under two names would look like one transaction preparing twice on the same shard: the
            // second prepare is taken for a replay of the first, and its writes are lost. Only the exact same URI is
            // caught here (not two spellings of one server).
            for (Map.Entry<String, String> other : participants.entrySet()) {
                if (other.getValue().equals(redisUri)) {
                    throw new RedtxArgumentException(
                            null,
                            "participant '" + name + "' has the same Redis URI as '" + other.getKey()
                                    + "': one Redis database must be one participant");
                }
            }
            if (tls != null) {
                checkTls(name, redisUri, tls);
                this.tls.put(name, tls);
            }
            participants.put(name, redisUri);
            return this;
        }

        private static void checkTls(String name, String redisUri, TlsOptions tls) {
            String masked = quote(RedisUris.masked(redisUri));
            if (!RedisUris.tls(redisUri)) {
                throw new RedtxArgumentException(
                        null,
                        "participant '" + name + "' has TLS options, but its URI " + masked
                                + " does not use TLS (rediss:// or rediss-cluster://)");
            }
            if (RedisUris.setsVerifyPeer(redisUri)) {
                throw new RedtxArgumentException(
                        null,
                        "participant '" + name + "' has TLS options and its URI " + masked
                                + " sets verifyPeer: set it in one place, TlsOptions.verifyPeer");
            }
            try {
                tls.trustManagerFactory();
                tls.keyManagerFactory();
            } catch (RedtxArgumentException e) {
                throw new RedtxArgumentException(
                        null,
                        "participant '" + name + "' (" + masked + ") has unusable TLS options: " + e.getMessage());
            }
        }

        /**
         * @param timeout limit of each prepare leg, positive
         * @return this builder
         */
        public Builder prepareTimeout(Duration timeout) {
            this.prepareTimeout = Options.positive("prepareTimeout", timeout);
            return this;
        }

        /**
         * @param timeout limit of the one-phase script, commit point and each secondary, positive
         * @return this builder
         */
        public Builder commitTimeout(Duration timeout) {
            this.commitTimeout = Options.positive("commitTimeout", timeout);
            return this;
        }

        /**
         * @param timeout limit of one read, positive
         * @return this builder
         */
        public Builder readTimeout(Duration timeout) {
            this.readTimeout = Options.positive("readTimeout", timeout);
            return this;
        }

        /**
         * @param timeout limit of making a connection, positive
         * @return this builder
         */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = Options.positive("connectTimeout", timeout);
            return this;
        }

        /**
         * @param timeout limit of a whole transaction including retries, positive
         * @return this builder
         */
        public Builder transactionTimeout(Duration timeout) {
            this.transactionTimeout = Options.positive("transactionTimeout", timeout);
            return this;
        }

        /**
         * @param lease lease of prepared intents, at least {@link #MIN_LEASE_DURATION} (100 ms); independent of the
         *     timeouts, since a live coordinator extends it every third of its length
         * @return this builder
         */
        public Builder leaseDuration(Duration lease) {
            Options.positive("leaseDuration", lease);
            if (lease.compareTo(MIN_LEASE_DURATION) < 0) {
                throw new IllegalArgumentException("leaseDuration must be at least "
                        + Durations.text(MIN_LEASE_DURATION) + ", was " + Durations.text(lease));
            }
            this.leaseDuration = lease;
            return this;
        }

        /**
         * @param retention how long settled markers are kept, at least 1 ms
         * @return this builder
         */
        public Builder recordRetention(Duration retention) {
            Options.positive("recordRetention", retention);
            if (retention.toMillis() < 1) {
                // Markers expire with PEXPIRE in whole milliseconds: 0 would delete them at once.
                throw new IllegalArgumentException(
                        "recordRetention must be at least 1 ms, was " + Durations.text(retention));
            }
            this.recordRetention = retention;
            return this;
        }

        /**
         * @param interval period of the background recovery pass, positive, or {@link Duration#ZERO} to turn it off
         * @return this builder
         */
        public Builder recoveryInterval(Duration interval) {
            this.recoveryInterval = Options.nonNegative("recoveryInterval", interval);
            return this;
        }

        /**
         * @param require whether to refuse participants without AOF {@code appendfsync always} (their user then needs
         *     {@code CONFIG GET} too)
         * @return this builder
         */
        public Builder requireSyncedWrites(boolean require) {
            this.requireSyncedWrites = require;
            return this;
        }

        /**
         * @param markers whether one-phase commits that write leave a COMMITTED marker for the record retention
         * @return this builder
         */
        public Builder onePhaseMarkers(boolean markers) {
            this.onePhaseMarkers = markers;
            return this;
        }

        /**
         * @param policy the retry policy, not null
         * @return this builder
         */
        public Builder retryPolicy(RetryPolicy policy) {
            if (policy == null) {
                throw new IllegalArgumentException("retryPolicy must not be null");
            }
            this.retryPolicy = policy;
            return this;
        }

        /**
         * @param namespace prefix of redtx's own keys: non-empty, without '{' or '}' (they would change Redis
         *     Cluster hash slots)
         * @return this builder
         */
        public Builder namespace(String namespace) {
            this.namespace = KeyLayout.of(namespace).namespace();
            return this;
        }

        /**
         * @param bytes largest accepted value in UTF-8 bytes, at least 1
         * @return this builder
         */
        public Builder maxValueBytes(int bytes) {
            this.maxValueBytes = Options.atLeast("maxValueBytes", 1, bytes);
            return this;
        }

        /**
         * @param keys largest number of distinct keys per transaction, 1 to 5000 (bounded by Lua's stack)
         * @return this builder
         */
        public Builder maxKeysPerTransaction(int keys) {
            this.maxKeysPerTransaction = Options.between("maxKeysPerTransaction", 1, 5000, keys);
            return this;
        }

        /**
         * How many connections the runtime keeps to each participant, each made on first use. Commands take them in
         * turn. Each connection's replies are handled by one I/O thread and answered in batches, so with one
         * connection the client and the server take turns; two let them overlap, which suits a machine with two
         * cores or more (the load benchmark: +60% one-phase throughput from 1 to 2). A Redis Cluster participant has
         * one cluster connection whatever this says: it keeps a connection to each master itself.
         *
         * @param connections 1 to 64
         * @return this builder
         */
        public Builder connectionsPerParticipant(int connections) {
            this.connectionsPerParticipant = Options.between("connectionsPerParticipant", 1, 64, connections);
            return this;
        }

        /**
         * @param metrics receives what the runtime does (commits, aborts by cause, conflicts, retries, phase latencies,
         *     rejections, in-flight count, recovery passes), not null; {@link TransactionMetrics#NOOP} records nothing
         * @return this builder
         */
        public Builder metrics(TransactionMetrics metrics) {
            if (metrics == null) {
                throw new IllegalArgumentException("metrics must not be null (use TransactionMetrics.NOOP)");
            }
            this.metrics = metrics;
            return this;
        }

        /**
         * @param observer observes each transaction from subscription to outcome, for tracing, not null;
         *     {@link TransactionObserver#NOOP} observes nothing
         * @return this builder
         */
        public Builder observer(TransactionObserver observer) {
            if (observer == null) {
                throw new IllegalArgumentException("observer must not be null (use TransactionObserver.NOOP)");
            }
            this.observer = observer;
            return this;
        }

        /**
         * @param keyRouter places the keys of {@link Transaction#routed()}, not null; default
         *     {@link KeyRouter#consistentHashing(java.util.Collection)} over every participant. A router that lists its
         *     {@link KeyRouter#participants()} must list only defined participants ({@link #build()} checks)
         * @return this builder
         */
        public Builder keyRouter(KeyRouter keyRouter) {
            if (keyRouter == null) {
                throw new IllegalArgumentException("keyRouter must not be null");
            }
            this.keyRouter = keyRouter;
            return this;
        }

        /**
         * @param limit largest number of transactions running at once, at least 1
         * @return this builder
         */
        public Builder maxInFlight(int limit) {
            this.maxInFlight = Options.atLeast("maxInFlight", 1, limit);
            return this;
        }

        /**
         * @param overflow what a transaction does when the limit is reached, not null
         * @return this builder
         */
        public Builder overflow(Overflow overflow) {
            if (overflow == null) {
                throw new IllegalArgumentException("overflow must not be null");
            }
            this.overflow = overflow;
            return this;
        }

        /**
         * @param waiting largest number of transactions waiting for admission with {@link Overflow#WAIT}, at least 1
         * @return this builder
         */
        public Builder maxWaiting(int waiting) {
            this.maxWaiting = Options.atLeast("maxWaiting", 1, waiting);
            return this;
        }

        /**
         * @param timeout longest wait for admission with {@link Overflow#WAIT}, positive
         * @return this builder
         */
        public Builder admissionTimeout(Duration timeout) {
            this.admissionTimeout = Options.positive("admissionTimeout", timeout);
            return this;
        }

        /**
         * @return the options
         * @throws IllegalArgumentException if no participant was added, or the key router names one that was not
         */
        public RuntimeOptions build() {
            if (participants.isEmpty()) {
                throw new IllegalArgumentException("at least one participant is required");
            }
            if (keyRouter != null) {
                for (String name : keyRouter.participants()) {
                    if (!participants.containsKey(name)) {
                        throw new IllegalArgumentException("keyRouter " + keyRouter + " names participant '" + name
                                + "', which is not defined (participants " + participants.keySet() + ")");
                    }
                }
            }
            return new RuntimeOptions(this);
        }

        private static String quote(String s) {
            return s == null ? "null" : "'" + s + "'";
        }
    }
}
