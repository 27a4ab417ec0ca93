package io.redtx.api;

import io.redtx.api.external.ExternalParticipant;
import io.redtx.api.metrics.TransactionMetrics;
import io.redtx.api.metrics.TransactionObserver;
import io.redtx.api.routing.KeyRouter;
import io.redtx.api.saga.SagaDefinition;
import io.redtx.api.saga.SagaDefinitionException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import reactor.core.scheduler.Scheduler;

/**
 * Immutable configuration of a {@link TransactionRuntime}: the named participants and the limits every transaction
 * runs under. Build with {@link #builder()}; every setter validates at once and names the field and the bad value.
 *
 * <p>Besides the participants, the retry policy, the namespace, metrics, observer, key router and timer, the settings come
 * in groups, each an immutable object of its own, as Lettuce's {@code ClientOptions} holds its
 * {@code TimeoutOptions} and {@code SocketOptions}: {@link TimeoutOptions}, {@link RecoveryOptions},
 * {@link AdmissionOptions}, {@link ConnectionOptions} and {@link LimitOptions}. The builder takes a whole group, or a
 * change to its current one that keeps the group's other settings:
 *
 * <pre>{@code
 * RuntimeOptions options = RuntimeOptions.builder()
 *         .participant("orders", "redis://orders-host:6379")
 *         .participant("stock", "rediss://user:secret@stock-host:6380/0")
 *         .timeouts(t -> t.prepare(Duration.ofSeconds(1)))
 *         .admission(a -> a.maxInFlight(256))
 *         .build();
 * Duration prepare = options.timeouts().prepare();
 * }</pre>
 */
public final class RuntimeOptions {

    /** Default prefix of every key redtx writes for itself. */
    public static final String DEFAULT_NAMESPACE = "redtx:";

    private static final Pattern PARTICIPANT_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    private final Map<String, String> participants;
    private final Map<String, TlsOptions> tls;
    private final Map<String, Replication> replication;
    private final TimeoutOptions timeouts;
    private final RecoveryOptions recovery;
    private final AdmissionOptions admission;
    private final ConnectionOptions connections;
    private final LimitOptions limits;
    private final RetryPolicy retryPolicy;
    private final String namespace;
    private final KeyLayout keyLayout;
    private final TransactionMetrics metrics;
    private final TransactionObserver observer;
    private final KeyRouter keyRouter;
    private final Map<String, ExternalParticipant> externals;
    /** The scheduler given for the runtime's timers, or null: the runtime's own wheel and Reactor's parallel one. */
    private final Scheduler timer;
    /** The router the builder was given, or null: then {@link #keyRouter} follows the participants. */
    private final KeyRouter givenKeyRouter;
    /** Registered sagas by name, in the order added. */
    private final Map<String, SagaDefinition> sagas;

    private RuntimeOptions(Builder b) {
        this.participants = Collections.unmodifiableMap(new LinkedHashMap<>(b.participants));
        this.externals = Collections.unmodifiableMap(new LinkedHashMap<>(b.externals));
        this.tls = Collections.unmodifiableMap(new LinkedHashMap<>(b.tls));
        this.replication = Collections.unmodifiableMap(new LinkedHashMap<>(b.replication));
        this.timeouts = b.timeouts;
        this.recovery = b.recovery;
        this.admission = b.admission;
        this.connections = b.connections;
        this.limits = b.limits;
        this.retryPolicy = b.retryPolicy;
        this.namespace = b.namespace;
        this.keyLayout = KeyLayout.of(b.namespace);
        this.metrics = b.metrics;
        this.observer = b.observer;
        this.timer = b.timer;
        this.givenKeyRouter = b.keyRouter;
        this.keyRouter = b.keyRouter != null ? b.keyRouter : KeyRouter.consistentHashing(this.participants.keySet());
        this.sagas = Collections.unmodifiableMap(new LinkedHashMap<>(b.sagas));
    }

    /**
     * A builder holding every setting of these options, to derive a changed copy (these options stay as they are), as
     * Lettuce's {@code ClientOptions.mutate()}:
     * {@code options.mutate().timeouts(t -> t.commit(Duration.ofSeconds(2))).build()}. Participants can be added to
     * it, not removed; a default key router follows the participants of the copy.
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

    /**
     * @param participant a participant's name
     * @return how many replicas must hold its writes before redtx acts on them ({@link Builder#replication}); {@link
     *     Replication#NONE} when none was set, and for an unknown name
     */
    public Replication replication(String participant) {
        return replication.getOrDefault(participant, Replication.NONE);
    }

    /**
     * @return the time limits: of each prepare leg, of the commit, of a read, of making a connection and of a whole
     *     transaction (default {@link TimeoutOptions#defaults()})
     */
    public TimeoutOptions timeouts() {
        return timeouts;
    }

    /**
     * @return the lease of prepared intents, the retention of settled markers, the period of the background recovery
     *     pass and whether one-phase commits leave markers (default {@link RecoveryOptions#defaults()})
     */
    public RecoveryOptions recovery() {
        return recovery;
    }

    /**
     * @return how many transactions run at once and what one does beyond that (default
     *     {@link AdmissionOptions#defaults()})
     */
    public AdmissionOptions admission() {
        return admission;
    }

    /**
     * @return how many connections the runtime keeps to each participant and whether participants must sync every
     *     write to disk (default {@link ConnectionOptions#defaults()})
     */
    public ConnectionOptions connections() {
        return connections;
    }

    /** @return the size limits of a transaction: value size, number of keys (default {@link LimitOptions#defaults()}) */
    public LimitOptions limits() {
        return limits;
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

    /**
     * @return the external (TCC) participants by name, in registration order; empty by default
     * @see Builder#external(ExternalParticipant)
     */
    public Map<String, ExternalParticipant> externals() {
        return externals;
    }

    /**
     * @return the scheduler the runtime keeps its time on, if one was given ({@link Builder#timer(Scheduler)}); empty
     *     for the default: the runtime's own timer wheel and Reactor's parallel scheduler
     */
    public Optional<Scheduler> timer() {
        return Optional.ofNullable(timer);
    }

    /**
     * @return the registered saga definitions by name, in the order added ({@link Builder#saga(SagaDefinition)}); the
     *     runtime can start these, and its recovery passes resume their records
     */
    public Map<String, SagaDefinition> sagas() {
        return sagas;
    }

    /** @return every setting; participants and sagas by name only, since their URIs may hold passwords */
    @Override
    public String toString() {
        return "RuntimeOptions{participants=" + participants.keySet() + ", tls=" + tls.keySet()
                + (replication.isEmpty() ? "" : ", replication=" + replication) + ", timeouts="
                + timeouts + ", recovery=" + recovery + ", admission=" + admission + ", connections=" + connections
                + ", limits=" + limits + ", retryPolicy=" + retryPolicy + ", namespace='" + namespace + "', metrics="
                + metrics + ", observer=" + observer + ", keyRouter=" + keyRouter
                + (externals.isEmpty() ? "" : ", externals=" + externals.keySet())
                + (timer == null ? "" : ", timer=" + timer)
                + (sagas.isEmpty() ? "" : ", sagas=" + sagas.keySet())
                + "}";
    }

    /** Builds {@link RuntimeOptions}; every setter validates its argument at once. */
    public static final class Builder {
        private final Map<String, String> participants = new LinkedHashMap<>();
        private final Map<String, TlsOptions> tls = new LinkedHashMap<>();
        private final Map<String, Replication> replication = new LinkedHashMap<>();
        private TimeoutOptions timeouts = TimeoutOptions.defaults();
        private RecoveryOptions recovery = RecoveryOptions.defaults();
        private AdmissionOptions admission = AdmissionOptions.defaults();
        private ConnectionOptions connections = ConnectionOptions.defaults();
        private LimitOptions limits = LimitOptions.defaults();
        private RetryPolicy retryPolicy = RetryPolicy.defaults();
        private String namespace = DEFAULT_NAMESPACE;
        private TransactionMetrics metrics = TransactionMetrics.NOOP;
        private TransactionObserver observer = TransactionObserver.NOOP;
        private KeyRouter keyRouter;
        private Scheduler timer;
        private final Map<String, ExternalParticipant> externals = new LinkedHashMap<>();
        private final Map<String, SagaDefinition> sagas = new LinkedHashMap<>();

        private Builder() {}

        private Builder(RuntimeOptions o) {
            participants.putAll(o.participants);
            tls.putAll(o.tls);
            replication.putAll(o.replication);
            timeouts = o.timeouts;
            recovery = o.recovery;
            admission = o.admission;
            connections = o.connections;
            limits = o.limits;
            retryPolicy = o.retryPolicy;
            namespace = o.namespace;
            metrics = o.metrics;
            observer = o.observer;
            keyRouter = o.givenKeyRouter;
            timer = o.timer;
            externals.putAll(o.externals);
            sagas.putAll(o.sagas);
        }

        /**
         * Adds a participant.
         *
         * @param name 1 to 64 characters of {@code [A-Za-z0-9_.-]}, unique
         * @param redisUri a Redis URI in Lettuce syntax: {@code redis://[[user:]password@]host[:port][/db]},
         *     {@code rediss://...} for TLS, {@code redis-socket://path}, {@code redis-sentinel://...}
         *     ({@code rediss-sentinel://...}: Sentinels and master over TLS); or a Redis
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
         * @param redisUri as for {@link #participant(String, String)}; with {@code tls}, a {@code rediss://},
         *     {@code rediss-sentinel://} (the options apply to the Sentinels and to the master) or
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

        /**
         * Requires that {@code requirement.replicas()} replicas of a participant hold each step before redtx acts on it
         * (see {@link Replication}). Checked when a connection is made ({@link TransactionRuntime#verify()} makes them
         * all): a master with fewer replicas online is refused with a {@link ParticipantErrorException} that says so.
         * Standalone and Sentinel participants only, for now.
         *
         * @param participant the name of a participant added to this builder, before or after this call ({@link
         *     #build()} checks it)
         * @param requirement the requirement; {@link Replication#NONE} removes one set before
         * @return this builder
         * @throws IllegalArgumentException for a null argument
         */
        public Builder replication(String participant, Replication requirement) {
            notNull("replication participant", participant);
            notNull("replication requirement", requirement);
            if (requirement.required()) {
                replication.put(participant, requirement);
            } else {
                replication.remove(participant);
            }
            return this;
        }

        private static void checkTls(String name, String redisUri, TlsOptions tls) {
            String masked = quote(RedisUris.masked(redisUri));
            if (!RedisUris.tls(redisUri)) {
                throw new RedtxArgumentException(
                        null,
                        "participant '" + name + "' has TLS options, but its URI " + masked
                                + " does not use TLS (rediss://, rediss-sentinel:// or rediss-cluster://)");
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
         * @param timeouts every time limit at once, not null
         * @return this builder
         * @throws IllegalArgumentException if {@code timeouts} is null
         */
        public Builder timeouts(TimeoutOptions timeouts) {
            this.timeouts = notNull("timeouts", timeouts);
            return this;
        }

        /**
         * Changes some time limits and keeps the others as this builder has them:
         * {@code timeouts(t -> t.commit(Duration.ofSeconds(1)))}. If {@code change} throws, this builder is unchanged.
         *
         * @param change sets what changes on a builder of the current {@link TimeoutOptions}, not null
         * @return this builder
         * @throws IllegalArgumentException if {@code change} is null or sets a value the setter refuses
         */
        public Builder timeouts(Consumer<TimeoutOptions.Builder> change) {
            TimeoutOptions.Builder b = timeouts.mutate();
            notNull("timeouts change", change).accept(b);
            this.timeouts = b.build();
            return this;
        }

        /**
         * @param recovery the lease, the retention, the recovery interval and the one-phase markers at once, not null
         * @return this builder
         * @throws IllegalArgumentException if {@code recovery} is null
         */
        public Builder recovery(RecoveryOptions recovery) {
            this.recovery = notNull("recovery", recovery);
            return this;
        }

        /**
         * Changes some recovery settings and keeps the others as this builder has them:
         * {@code recovery(r -> r.lease(Duration.ofSeconds(5)))}. If {@code change} throws, this builder is unchanged.
         *
         * @param change sets what changes on a builder of the current {@link RecoveryOptions}, not null
         * @return this builder
         * @throws IllegalArgumentException if {@code change} is null or sets a value the setter refuses
         */
        public Builder recovery(Consumer<RecoveryOptions.Builder> change) {
            RecoveryOptions.Builder b = recovery.mutate();
            notNull("recovery change", change).accept(b);
            this.recovery = b.build();
            return this;
        }

        /**
         * @param admission every admission setting at once, not null
         * @return this builder
         * @throws IllegalArgumentException if {@code admission} is null
         */
        public Builder admission(AdmissionOptions admission) {
            this.admission = notNull("admission", admission);
            return this;
        }

        /**
         * Changes some admission settings and keeps the others as this builder has them:
         * {@code admission(a -> a.maxInFlight(256))}. If {@code change} throws, this builder is unchanged.
         *
         * @param change sets what changes on a builder of the current {@link AdmissionOptions}, not null
         * @return this builder
         * @throws IllegalArgumentException if {@code change} is null or sets a value the setter refuses
         */
        public Builder admission(Consumer<AdmissionOptions.Builder> change) {
            AdmissionOptions.Builder b = admission.mutate();
            notNull("admission change", change).accept(b);
            this.admission = b.build();
            return this;
        }

        /**
         * @param connections every connection setting at once, not null
         * @return this builder
         * @throws IllegalArgumentException if {@code connections} is null
         */
        public Builder connections(ConnectionOptions connections) {
            this.connections = notNull("connections", connections);
            return this;
        }

        /**
         * Changes some connection settings and keeps the others as this builder has them:
         * {@code connections(c -> c.perParticipant(4))}. If {@code change} throws, this builder is unchanged.
         *
         * @param change sets what changes on a builder of the current {@link ConnectionOptions}, not null
         * @return this builder
         * @throws IllegalArgumentException if {@code change} is null or sets a value the setter refuses
         */
        public Builder connections(Consumer<ConnectionOptions.Builder> change) {
            ConnectionOptions.Builder b = connections.mutate();
            notNull("connections change", change).accept(b);
            this.connections = b.build();
            return this;
        }

        /**
         * @param limits every size limit at once, not null
         * @return this builder
         * @throws IllegalArgumentException if {@code limits} is null
         */
        public Builder limits(LimitOptions limits) {
            this.limits = notNull("limits", limits);
            return this;
        }

        /**
         * Changes some size limits and keeps the others as this builder has them:
         * {@code limits(l -> l.maxValueBytes(64 * 1024))}. If {@code change} throws, this builder is unchanged.
         *
         * @param change sets what changes on a builder of the current {@link LimitOptions}, not null
         * @return this builder
         * @throws IllegalArgumentException if {@code change} is null or sets a value the setter refuses
         */
        public Builder limits(Consumer<LimitOptions.Builder> change) {
            LimitOptions.Builder b = limits.mutate();
            notNull("limits change", change).accept(b);
            this.limits = b.build();
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
         * The runtime's clock and timer, as reactor-pool's {@code PoolBuilder.clock(...)}: every time limit, delay
         * and period of the runtime (Redis commands' limits, lease extensions, the transaction's time limit, retry
         * delays and their budget, recovery passes, batched forgets) is kept on {@code timer}, and what follows a
         * firing runs on it. Meant for tests: with a {@code VirtualTimeScheduler} a test moves the runtime's time
         * itself (a transaction's time limit, a lease running out, the next recovery pass) without waiting. Leases
         * themselves run on each Redis server's own clock, which no scheduler moves. The runtime never disposes a
         * given scheduler. Default: none, and the runtime keeps its command limits on its own timer wheel (cheaper per
         * command than a scheduler) and everything else on Reactor's parallel scheduler.
         *
         * @param timer the scheduler, not null
         * @return this builder
         */
        public Builder timer(Scheduler timer) {
            if (timer == null) {
                throw new IllegalArgumentException("timer must not be null");
            }
            this.timer = timer;
            return this;
        }

        /**
         * Registers a saga: the runtime can then start it ({@link TransactionRuntime#saga(String)}) and its recovery
         * passes resume the records of its instances that a runner left unfinished. Register it in every runtime
         * that may start or recover it, the same way in each.
         *
         * @param saga the definition, not null
         * @return this builder
         * @throws SagaDefinitionException for null, or a saga of the same name registered already
         */
        public Builder saga(SagaDefinition saga) {
            if (saga == null) {
                throw new SagaDefinitionException("null", null, "a saga definition must not be null");
            }
            if (sagas.containsKey(saga.name())) {
                throw new SagaDefinitionException(saga.name(), null, "a saga of this name is registered already");
            }
            sagas.put(saga.name(), saga);
            return this;
        }

        /**
         * @return the options
         * @throws IllegalArgumentException if no participant was added, or the key router names one that was not
         */
        /**
         * Registers an external (TCC) participant that transactions may join ({@link
         * Transaction#external(String, Map)}), and whose transactions this runtime's recovery confirms or cancels as
         * their records say. Every runtime that may recover a transaction must register a participant of each name it
         * used.
         *
         * @param participant the participant; its {@link ExternalParticipant#name()} follows the rules of a
         *     participant's name and is neither a Redis participant's name nor registered twice
         * @return this builder
         * @throws IllegalArgumentException if the participant is null, its name is not valid or already registered
         */
        public Builder external(ExternalParticipant participant) {
            notNull("external participant", participant);
            String name = participant.name();
            if (name == null || !PARTICIPANT_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException(
                        "external participant name must be 1-64 characters of [A-Za-z0-9_.-], was " + quote(name));
            }
            if (externals.containsKey(name)) {
                throw new IllegalArgumentException("external participant '" + name + "' is registered twice");
            }
            externals.put(name, participant);
            return this;
        }

        public RuntimeOptions build() {
            if (participants.isEmpty()) {
                throw new IllegalArgumentException("at least one participant is required");
            }
            for (String name : replication.keySet()) {
                if (!participants.containsKey(name)) {
                    throw new IllegalArgumentException("replication is set for participant '" + name
                            + "', which is not defined (participants " + participants.keySet() + ")");
                }
            }
            for (String name : externals.keySet()) {
                if (participants.containsKey(name)) {
                    throw new IllegalArgumentException("external participant '" + name
                            + "' has the name of a Redis participant: every participant needs a name of its own");
                }
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

        private static <T> T notNull(String field, T value) {
            if (value == null) {
                throw new IllegalArgumentException(field + " must not be null");
            }
            return value;
        }

        private static String quote(String s) {
            return s == null ? "null" : "'" + s + "'";
        }
    }
}
