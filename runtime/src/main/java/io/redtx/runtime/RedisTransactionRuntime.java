package io.redtx.runtime;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.SslVerifyMode;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.event.DefaultEventPublisherOptions;
import io.lettuce.core.protocol.CommandEncoder;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.NettyCustomizer;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.redtx.api.CommitResult;
import io.redtx.api.ConnectionOptions;
import io.redtx.api.Durations;
import io.redtx.api.IntakeOptions;
import io.redtx.api.ParticipantDurability;
import io.redtx.api.ParticipantErrorException;
import io.redtx.api.ParticipantUnavailableException;
import io.redtx.api.RecoveryReport;
import io.redtx.api.RedtxArgumentException;
import io.redtx.api.RedtxConfigurationException;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TlsOptions;
import io.redtx.api.Transaction;
import io.redtx.api.TransactionConflictException;
import io.redtx.api.TransactionDetails;
import io.redtx.api.TransactionOptions;
import io.redtx.api.TransactionOutcome;
import io.redtx.api.TransactionOutcomeUnknownException;
import io.redtx.api.TransactionPhase;
import io.redtx.api.TransactionResult;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.TransactionStateException;
import io.redtx.api.TransactionStatus;
import io.redtx.api.TransactionTimeoutException;
import io.redtx.api.admin.TransactionAdmin;
import io.redtx.api.external.ExternalState;
import io.redtx.api.lock.DistributedLock;
import io.redtx.api.lock.LockOptions;
import io.redtx.api.lock.ReadWriteLock;
import io.redtx.api.message.ConsumerOptions;
import io.redtx.api.message.Delivery;
import io.redtx.api.message.DeliveryHandler;
import io.redtx.api.metrics.AbortCause;
import io.redtx.api.saga.Saga;
import io.redtx.runtime.internal.Deadlines;
import io.redtx.runtime.internal.admission.Admission;
import io.redtx.runtime.internal.admission.RetrySchedule;
import io.redtx.runtime.internal.admission.TransactionRun;
import io.redtx.runtime.internal.handle.DefaultTransaction;
import io.redtx.runtime.internal.lock.Locks;
import io.redtx.runtime.internal.message.Consumers;
import io.redtx.runtime.internal.protocol.Admin;
import io.redtx.runtime.internal.protocol.ProtocolHooks;
import io.redtx.runtime.internal.protocol.RuntimeContext;
import io.redtx.runtime.internal.redis.ClusterSlots;
import io.redtx.runtime.internal.redis.Errors;
import io.redtx.runtime.internal.redis.Inspection;
import io.redtx.runtime.internal.redis.Keys;
import io.redtx.runtime.internal.redis.LuaScript;
import io.redtx.runtime.internal.redis.Participant;
import io.redtx.runtime.internal.redis.RecordState;
import io.redtx.runtime.internal.redis.Shard;
import io.redtx.runtime.internal.saga.Sagas;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.reactivestreams.Publisher;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.Exceptions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;
import reactor.util.Logger;
import reactor.util.Loggers;
import reactor.util.concurrent.Queues;
import reactor.util.retry.Retry;

/**
 * The redtx runtime on Lettuce: a few multiplexed connections per participant
 * ({@link ConnectionOptions#perParticipant()}), each made on first use.
 *
 * <pre>{@code
 * TransactionRuntime runtime = RedisTransactionRuntime.create(RuntimeOptions.builder()
 *         .participant("a", "redis://127.0.0.1:6379")
 *         .participant("b", "redis://127.0.0.1:6380")
 *         .build());
 * Mono<Long> transfer = runtime.inTransaction(tx -> tx.on("a").decrBy("acct:1", 10)
 *         .flatMap(left -> tx.on("b").incrBy("acct:2", 10)));
 * }</pre>
 */
public final class RedisTransactionRuntime implements TransactionRuntime {

    private static final Logger log = Loggers.getLogger(RedisTransactionRuntime.class);

    private final RuntimeOptions options;
    private final Deadlines deadlines;
    /**
     * The runtime's own: either made and owned by it, or a view of the caller's that shares all their pools, so that
     * shutting it down stops none of them ({@link #resources(ClientResources)}).
     */
    private final ClientResources resources;
    /** Standalone and Sentinel participants without {@link TlsOptions}. */
    private final RedisClient client;
    /** One per standalone participant with {@link TlsOptions} (TLS settings are per client), sharing resources. */
    private final List<RedisClient> tlsClients;
    /** One per Cluster participant, sharing {@link #resources}. */
    private final List<RedisClusterClient> clusterClients;

    private final RuntimeContext ctx;
    private final Locks locks;
    private final Consumers consumers;
    private final Sagas sagas;
    private final TransactionAdmin admin;
    /** The participants by name, for what only the runtime does with them: durability, verify, close. */
    private final Map<String, Participant> participants;

    private final RetrySchedule retrySchedule;
    private final Retry retry; // null: no retry
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Mono<Void> shutdown;
    private final Disposable recovery;
    private final Admission admission;
    /**
     * Transactions of {@link #inTransaction} and the intake running now: a graceful close waits for them (explicit
     * handles that were not committed cannot commit after close, so it does not wait for those).
     */
    private final AtomicInteger functionalInFlight = new AtomicInteger();
    /** Fires when closing starts: intakes stop taking requests. */
    private final Sinks.Empty<Void> closing = Sinks.empty();

    private RedisTransactionRuntime(RuntimeOptions options, ClientResources callers, ProtocolHooks hooks) {
        this.options = options;
        if (callers != null && callers.eventExecutorGroup().isShuttingDown()) {
            throw new RedtxArgumentException(null, "the clientResources given are shut down");
        }
        // Read the script resources here, on the caller's thread, never lazily on an event loop.
        LuaScript.values();
        // Likewise the table of slot tags (a few ms, once per JVM), which a lock key may need.
        ClusterSlots.tag(0);
        // Parse every URI before making client resources: a bad one must not leave them behind, never shut down.
        Map<String, List<RedisURI>> uris = new LinkedHashMap<>();
        options.participants().forEach((name, uri) -> uris.put(name, parse(name, uri, options.maskedUri(name))));
        // Likewise the TLS files: read here, once, so that no connection reads them on an event loop.
        Map<String, SslOptions> ssl = new LinkedHashMap<>();
        uris.forEach((name, seeds) -> options.tls(name).ifPresent(tls -> {
            ssl.put(name, ssl(name, tls, options.maskedUri(name)));
            SslVerifyMode mode = SslVerifyMode.valueOf(tls.verifyPeer().name());
            seeds.forEach(seed -> seed.setVerifyPeer(mode));
        }));
        this.deadlines = options.timer().map(Deadlines::new).orElseGet(Deadlines::new);
        this.resources = resources(callers);
        this.client = RedisClient.create(resources);
        ClientOptions clientOptions = ClientOptions.builder()
                .autoReconnect(true)
                // Fail fast while disconnected instead of buffering without bound: before the commit point a
                // rejected command is known not to have run, so it is a clean ParticipantUnavailableException.
                // It also makes delivery at most once: the commands in flight when a connection drops fail
                // ("Connection disconnected": sent, outcome unknown) instead of being re-sent after the reconnect.
                // Two-phase scripts are idempotent by transaction id, but a re-sent one-phase commit would run after
                // its caller was told "unknown", or a second time if its reply was what got lost
                // (ConnectionLossTest).
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(100_000)
                // Every command carries its own time limit (Deadlines): a second, Lettuce's, would only cost a timer
                // entry per command.
                .timeoutOptions(TimeoutOptions.builder().timeoutCommands(false).build())
                .socketOptions(SocketOptions.builder()
                        .connectTimeout(options.timeouts().connect())
                        .keepAlive(true)
                        .build())
                .build();
        client.setOptions(clientOptions);
        Keys keys = new Keys(options.namespace());
        Map<String, Participant> participants = new LinkedHashMap<>();
        List<RedisClusterClient> clusters = new ArrayList<>();
        List<RedisClient> tlsOwn = new ArrayList<>();
        uris.forEach((name, seeds) -> {
            boolean cluster = isCluster(options.participants().get(name));
            SslOptions tls = ssl.get(name);
            Supplier<CompletionStage<? extends StatefulConnection<String, String>>> connect;
            Supplier<CompletionStage<? extends StatefulRedisPubSubConnection<String, String>>> connectPubSub;
            Supplier<? extends CompletionStage<?>> refreshSlotMap = null;
            if (cluster) {
                RedisClusterClient c = RedisClusterClient.create(resources, seeds);
                ClusterClientOptions.Builder clusterOptions = ClusterClientOptions.builder(clientOptions);
                if (tls != null) {
                    clusterOptions.sslOptions(tls);
                }
                c.setOptions(clusterOptions
                        // A master that died and was replaced by its replica stays in every node's table, flagged
                        // failed, until it is forgotten: left in the topology, it would get the SCRIPT LOAD that
                        // every new connection sends to all masters, and no new connection could be made.
                        .nodeFilter(node -> !node.is(RedisClusterNode.NodeFlag.FAIL)
                                && !node.is(RedisClusterNode.NodeFlag.EVENTUAL_FAIL)
                                && !node.is(RedisClusterNode.NodeFlag.NOADDR))
                        // Follow a resharding or failover: refresh the slot map on MOVED and ASK redirections, and
                        // check it now and then.
                        .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                                .enableAdaptiveRefreshTrigger(
                                        ClusterTopologyRefreshOptions.RefreshTrigger.MOVED_REDIRECT,
                                        ClusterTopologyRefreshOptions.RefreshTrigger.ASK_REDIRECT)
                                .enablePeriodicRefresh(Duration.ofSeconds(30))
                                .build())
                        .build());
                clusters.add(c);
                // Lettuce's connectAsync needs the slot map and would otherwise load it blocking; the participant's
                // one connection is made once (a failed attempt is retried by the next use), so loading it before
                // each attempt costs one CLUSTER NODES round per connection made.
                connect = () -> c.refreshPartitionsAsync().thenCompose(loaded -> c.connectAsync(StringCodec.UTF8));
                connectPubSub =
                        () -> c.refreshPartitionsAsync().thenCompose(loaded -> c.connectPubSubAsync(StringCodec.UTF8));
                refreshSlotMap = c::refreshPartitionsAsync;
            } else if (tls != null) {
                RedisClient own = RedisClient.create(resources);
                own.setOptions(clientOptions.mutate().sslOptions(tls).build());
                tlsOwn.add(own);
                RedisURI uri = seeds.get(0);
                connect = () -> own.connectAsync(StringCodec.UTF8, uri);
                connectPubSub = () -> own.connectPubSubAsync(StringCodec.UTF8, uri);
            } else {
                RedisURI uri = seeds.get(0);
                connect = () -> client.connectAsync(StringCodec.UTF8, uri);
                connectPubSub = () -> client.connectPubSubAsync(StringCodec.UTF8, uri);
            }
            participants.put(
                    name,
                    new Participant(
                            name,
                            cluster,
                            connect,
                            connectPubSub,
                            refreshSlotMap,
                            keys,
                            deadlines,
                            options.timeouts().connect(),
                            // A cluster connection already keeps one connection per master. Two of them on one
                            // client were seen to leave a node connection that never reconnected after that master
                            // restarted (ClusterParticipantTest's killed master): one, then.
                            cluster ? 1 : options.connections().perParticipant(),
                            options.namespace() + "probe",
                            options.connections().requireSyncedWrites(),
                            options.replication(name)));
        });
        this.clusterClients = List.copyOf(clusters);
        this.tlsClients = List.copyOf(tlsOwn);
        this.participants = Map.copyOf(participants);
        this.ctx = new RuntimeContext(options, keys, participants, hooks, deadlines);
        this.locks = new Locks(ctx);
        this.consumers = new Consumers(ctx, this);
        this.sagas = new Sagas(ctx, this);
        this.admin = new Admin(ctx, this);
        this.retrySchedule = new RetrySchedule(
                options.retryPolicy(),
                options.timer()
                        .<LongSupplier>map(t -> () -> t.now(TimeUnit.NANOSECONDS))
                        .orElse(System::nanoTime),
                ctx::timer);
        this.retry = retrySchedule.retry();
        this.admission = new Admission(options, ctx.telemetry);
        // Reads 0 once the connections are closed (the permit pool is gone then).
        ctx.telemetry.inFlight(() -> ctx.closed.get() ? 0 : admission.inFlight());
        this.shutdown = Mono.defer(this::shutdownNow).cache();
        this.recovery = startRecovery(options.recovery().interval());
    }

    /**
     * Creates a runtime with Lettuce client resources of its own (event loops, timers), which it shuts down when it
     * closes. Connections are made lazily, on the first transaction that touches each participant.
     *
     * @param options the participants and limits
     * @return a new runtime; close it when done
     * @throws RedtxArgumentException if a participant URI cannot be parsed, or its TLS files can no longer be used
     *     (the options' builder already checks both)
     */
    public static TransactionRuntime create(RuntimeOptions options) {
        return new RedisTransactionRuntime(options, null, ProtocolHooks.NONE);
    }

    /**
     * Creates a runtime on the caller's Lettuce client resources: its connections run on their event loops, and
     * their command latency recorder (Lettuce's Micrometer metrics, say), tracing and event bus see its commands and
     * connections. The runtime never shuts them down: closing it closes its connections only, and the caller shuts
     * the resources down after the runtime closed (after {@link #closeGracefully()} completed).
     *
     * <p>The runtime keeps its own reconnect delay (from 10 ms, at most 1 s) and timer, and adds its flush
     * coalescing after the resources' own {@link NettyCustomizer}; it does not start a second latency-event publisher.
     * Connections are made lazily, on the first transaction that touches each participant.
     *
     * @param options the participants and limits
     * @param clientResources the caller's resources, not shut down, not null
     * @return a new runtime; close it before shutting the resources down
     * @throws RedtxArgumentException if a participant URI cannot be parsed, its TLS files can no longer be used, or
     *     the resources are already shut down
     */
    public static TransactionRuntime create(RuntimeOptions options, ClientResources clientResources) {
        Objects.requireNonNull(clientResources, "clientResources");
        return new RedisTransactionRuntime(options, clientResources, ProtocolHooks.NONE);
    }

    /**
     * Internal, for the fault suite and tests; may change without notice: a runtime whose multi-shard commits stop at
     * {@code hooks}.
     *
     * @param options the participants and limits
     * @param hooks the injection points
     * @return a new runtime; close it when done
     */
    public static RedisTransactionRuntime create(RuntimeOptions options, ProtocolHooks hooks) {
        return new RedisTransactionRuntime(options, null, hooks);
    }

    /**
     * The runtime's client resources: its own, or, on the caller's, a new instance that takes each pool of theirs
     * (event loops, computation threads, event bus, latency recorder, tracing, address resolution) as shared, which
     * Lettuce never shuts down with it. Not {@code callers.mutate()}: in Lettuce 7.7 the copy makes event loops of its
     * own, and shutting the copy down shuts down the caller's computation threads.
     */
    private ClientResources resources(ClientResources callers) {
        ClientResources.Builder builder = ClientResources.builder();
        NettyCustomizer theirs = new NettyCustomizer() {};
        if (callers != null) {
            theirs = callers.nettyCustomizer();
            builder.eventLoopGroupProvider(callers.eventLoopGroupProvider())
                    .eventExecutorGroup(callers.eventExecutorGroup())
                    .eventBus(callers.eventBus())
                    .commandLatencyRecorder(callers.commandLatencyRecorder())
                    // The caller's resources publish the latencies already; a second publisher would reset the
                    // recorder's counts in between and split them across two events.
                    .commandLatencyPublisherOptions(DefaultEventPublisherOptions.disabled())
                    .tracing(callers.tracing())
                    .addressResolverGroup(callers.addressResolverGroup())
                    .socketAddressResolver(callers.socketAddressResolver());
        }
        return builder
                // Reconnect fast after a participant restarts; the default backoff grows to 30 s.
                .reconnectDelay(
                        Delay.exponential(Duration.ofMillis(10), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS))
                .timer(deadlines.timer())
                .nettyCustomizer(new CoalescedFlushes(theirs))
                .build();
    }

    /**
     * Lettuce's SSL options for a participant's {@link TlsOptions}, with the key material read now. Lettuce would read
     * files each time it connects, inside the event loop's channel set-up; key and trust managers made once are used
     * as they are.
     */
    private static SslOptions ssl(String name, TlsOptions tls, String masked) {
        try {
            // Lettuce builds a TLS context per connection, on the event loop; with no random source of its own the JDK
            // would read /dev/urandom there. A DRBG seeded now, on the caller's thread, reads nothing afterwards.
            SecureRandom random = SecureRandom.getInstance("DRBG");
            random.nextBytes(new byte[1]);
            SslOptions.Builder builder = SslOptions.builder().sslContext(context -> context.secureRandom(random));
            tls.trustManagerFactory().ifPresent(builder::trustManager);
            tls.keyManagerFactory().ifPresent(builder::keyManager);
            SslOptions ssl = builder.build();
            // One context now, on the caller's thread: it proves that the material works together, and the JDK loads
            // its TLS classes and settings (which reads files) before an event loop needs them.
            ssl.createSslContextBuilder().build();
            return ssl;
        } catch (RedtxArgumentException e) {
            throw new RedtxArgumentException(
                    null, "participant '" + name + "' (" + masked + ") has unusable TLS options: " + e.getMessage());
        } catch (IOException | GeneralSecurityException e) {
            throw new RedtxArgumentException(
                    null,
                    "participant '" + name + "' (" + masked + ") has unusable TLS options: no TLS context: "
                            + e.getMessage());
        }
    }

    private static boolean isCluster(String uri) {
        return uri.startsWith("redis-cluster://") || uri.startsWith("rediss-cluster://");
    }

    /**
     * @return the participant's URI, or a Cluster's seed nodes ({@code redis[s]-cluster://[userinfo@]h1[:p1],h2...}:
     *     the user info applies to every seed)
     */
    private static List<RedisURI> parse(String name, String uri, String masked) {
        try {
            if (!isCluster(uri)) {
                return List.of(RedisURI.create(uri));
            }
            String scheme = uri.startsWith("rediss") ? "rediss://" : "redis://";
            String rest = uri.substring(uri.indexOf("://") + 3);
            int at = rest.lastIndexOf('@');
            String userInfo = at < 0 ? "" : rest.substring(0, at + 1);
            List<RedisURI> seeds = new ArrayList<>();
            for (String host : rest.substring(at + 1).split(",", -1)) {
                RedisURI seed = RedisURI.create(scheme + userInfo + host);
                if (seed.getDatabase() != 0) {
                    throw new IllegalArgumentException("a Redis Cluster has no database " + seed.getDatabase());
                }
                seeds.add(seed);
            }
            return seeds;
        } catch (RuntimeException e) {
            // Lettuce's message may quote the whole URI, password included: mask it, and leave the cause out.
            String reason = String.valueOf(e.getMessage()).replace(uri, masked);
            throw new RedtxArgumentException(
                    null, "participant '" + name + "' has an invalid Redis URI '" + masked + "': " + reason);
        }
    }

    @Override
    public <T> Mono<T> inTransaction(Function<? super Transaction, ? extends Publisher<T>> work) {
        return inTransaction(TransactionOptions.defaults(), work);
    }

    @Override
    public <T> Mono<T> inTransaction(
            TransactionOptions options, Function<? super Transaction, ? extends Publisher<T>> work) {
        return this.<T>inTransactionWithResult(options, work).mapNotNull(TransactionResult::value);
    }

    @Override
    public <T> Mono<TransactionResult<T>> inTransactionWithResult(
            Function<? super Transaction, ? extends Publisher<T>> work) {
        return inTransactionWithResult(TransactionOptions.defaults(), work);
    }

    @Override
    public <T> Mono<TransactionResult<T>> inTransactionWithResult(
            TransactionOptions options, Function<? super Transaction, ? extends Publisher<T>> work) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(work, "work");
        return run(work, RedisTransactionRuntime::last, options);
    }

    @Override
    public <T> Flux<T> inTransactionMany(Function<? super Transaction, ? extends Publisher<T>> work) {
        return inTransactionMany(TransactionOptions.defaults(), work);
    }

    @Override
    public <T> Flux<T> inTransactionMany(
            TransactionOptions options, Function<? super Transaction, ? extends Publisher<T>> work) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(work, "work");
        return run(work, values -> Flux.from(values).collectList(), options).flatMapIterable(TransactionResult::value);
    }

    /** The last value of {@code values}, once they all came; empty if none. */
    private static <T> Mono<T> last(Publisher<T> values) {
        // A Mono's one value is its last: no operator needed (the usual work is a Mono).
        return values instanceof Mono<T> mono ? mono : Flux.from(values).reduce((earlier, later) -> later);
    }

    /**
     * A transaction with retries, each attempt admitted on its own, within its time limit (from subscription), with
     * the runtime's options where {@code own} leaves them unset; its ending is reported to the metrics and the observer once. {@code collect} turns each attempt's values into what
     * the commit then emits, once they all came.
     */
    private <T, R> Mono<TransactionResult<R>> run(
            Function<? super Transaction, ? extends Publisher<T>> work,
            Function<Publisher<T>, Mono<R>> collect,
            TransactionOptions own) {
        Duration timeout = own.timeout().orElse(options.timeouts().transaction());
        Retry retries = own.retryPolicy().isPresent()
                ? retrySchedule.retry(own.retryPolicy().get())
                : retry;
        return Mono.deferContextual(context -> {
            checkOpen(); // before admission: a closed runtime refuses at once, whatever the admission says
            TransactionRun run = ctx.telemetry.start(context);
            Mono<TransactionResult<R>> observed = running(
                            withRetries(work, collect, timeout, retries, own.readOnly(), run))
                    .doOnSuccess(r -> {
                        CommitResult c = r.commit();
                        retrySchedule.committed(c.prepare().toNanos()
                                + c.commitPoint().toNanos()
                                + c.secondaries().toNanos());
                        run.committed(c);
                    })
                    .doOnError(run::failed)
                    .doOnCancel(run::cancelled);
            return run.observed() ? observed.contextWrite(run::context) : observed;
        });
    }

    /**
     * Attempts (each a new transaction, each checking the runtime is open) until one commits or retries run out. Each
     * attempt holds an admission slot only while it runs: a transaction waiting to retry after a conflict leaves its
     * slot to others, so that transactions contending for a hot key cannot hold every slot between them.
     */
    private <T, R> Mono<TransactionResult<R>> withRetries(
            Function<? super Transaction, ? extends Publisher<T>> work,
            Function<Publisher<T>, Mono<R>> collect,
            Duration timeout,
            Retry retries,
            boolean readOnly,
            TransactionRun run) {
        Mono<TransactionResult<R>> attempt = admission.admit(Mono.defer(() -> {
            checkOpen();
            DefaultTransaction tx = new DefaultTransaction(ctx, readOnly);
            run.attempt(tx);
            return attempt(tx, work, collect);
        }));
        return (retries == null ? attempt : attempt.retryWhen(retries))
                .map(r -> run.attempts() == 1
                        ? r
                        : new TransactionResult<>(r.value(), r.commit().withAttempts(run.attempts())))
                // Not timeout(Duration): that one also runs a regular expression over the operator chain's name at
                // every subscription, for its error message.
                .timeout(Mono.delay(timeout, ctx.timer()), Mono.error(TimeoutException::new))
                .onErrorMap(TimeoutException.class, e -> {
                    // timeout() cancelled the attempt before signalling: its state now tells whether that cancel
                    // still rolled it back.
                    DefaultTransaction tx = run.current();
                    String id = tx == null ? null : tx.id();
                    if (tx != null && tx.pastCommitPoint()) {
                        return new TransactionOutcomeUnknownException(
                                id,
                                "the transaction's time limit " + Durations.text(timeout)
                                        + " elapsed after the commit point; it will complete or be settled by recovery",
                                e);
                    }
                    return new TransactionTimeoutException(id, TransactionPhase.TRANSACTION, timeout, null);
                });
    }

    /** Counts {@code work} among the transactions a graceful close waits for. */
    private <T> Mono<T> running(Mono<T> work) {
        return Mono.defer(() -> {
            functionalInFlight.incrementAndGet();
            return work.doFinally(signal -> functionalInFlight.decrementAndGet());
        });
    }

    @Override
    public <I, T> Flux<TransactionOutcome<I, T>> intake(
            Publisher<? extends I> requests,
            BiFunction<? super I, ? super Transaction, ? extends Publisher<T>> work,
            IntakeOptions intakeOptions) {
        Objects.requireNonNull(requests, "requests");
        Objects.requireNonNull(work, "work");
        Objects.requireNonNull(intakeOptions, "options");
        TransactionOptions each = intakeOptions.deadline() == null
                ? TransactionOptions.defaults()
                : TransactionOptions.builder().timeout(intakeOptions.deadline()).build();
        int limit = intakeOptions.maxInFlight();
        Function<I, Mono<TransactionOutcome<I, T>>> one = request -> this.<T, T>run(
                        tx -> work.apply(request, tx), RedisTransactionRuntime::last, each)
                .map(result -> TransactionOutcome.<I, T>committed(request, result))
                .onErrorResume(e -> !(e instanceof Error), e -> Mono.just(TransactionOutcome.failed(request, e)));
        // Prefetch 1 per inner: with at most `limit` inners, no more than `limit` requests are ever asked for ahead of
        // the outcomes consumed downstream (flatMap replenishes one per inner drained).
        Flux<I> source = Flux.<I>from(requests).takeUntilOther(closing.asMono());
        // Delay errors: a failing source must not cancel (roll back) the requests already taken from it; their
        // outcomes come first. The inner transactions never fail (every failure is an outcome).
        return intakeOptions.ordered()
                ? source.flatMapSequentialDelayError(one, limit, 1)
                : source.flatMapDelayError(one, limit, 1);
    }

    /**
     * One attempt: run the user's work to its end (every value requested: a unit of work is never cut short), then
     * commit; roll back if the work fails or the subscriber cancels.
     */
    private <T, R> Mono<TransactionResult<R>> attempt(
            DefaultTransaction tx,
            Function<? super Transaction, ? extends Publisher<T>> work,
            Function<Publisher<T>, Mono<R>> collect) {
        return tx.subscribedInTurn(Mono.defer(() -> collect.apply(work.apply(tx))))
                .contextWrite(c -> c.put(Transaction.CONTEXT_KEY, tx.id()))
                .map(Optional::of)
                .defaultIfEmpty(Optional.empty())
                .onErrorResume(error -> tx.rollback()
                        .onErrorComplete()
                        .then(tx.sentCommandsDone())
                        .then(Mono.error(error)))
                .flatMap(value -> tx.commit().map(c -> new TransactionResult<R>(value.orElse(null), c)))
                // Concurrent reads that conflict together arrive as a composite: report (and retry on) one of them.
                .onErrorMap(Exceptions::isMultiple, Errors::first)
                .doOnError(TransactionConflictException.class, c -> ctx.telemetry.conflict(c.reason()))
                .doOnCancel(tx::cancel);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The transaction holds an admission permit until its commit or rollback ends; one left unfinished is rolled
     * back after {@link io.redtx.api.TimeoutOptions#transaction()}, which releases its permit.
     */
    @Override
    public Mono<Transaction> begin() {
        return begin(TransactionOptions.defaults());
    }

    /**
     * {@inheritDoc}
     *
     * <p>The transaction holds an admission permit until its commit or rollback ends; one left unfinished is rolled
     * back after its time limit, which releases its permit.
     */
    @Override
    public Mono<Transaction> begin(TransactionOptions own) {
        Objects.requireNonNull(own, "options");
        if (own.retryPolicy().isPresent()) {
            // Ignoring it would let a caller believe the handle retries: say so at once.
            throw new RedtxArgumentException(
                    null, "a transaction from begin() is never retried: its options must not set a retry policy");
        }
        Duration timeout = own.timeout().orElse(options.timeouts().transaction());
        return Mono.deferContextual(context -> {
            checkOpen();
            TransactionRun run = ctx.telemetry.start(context);
            return admission
                    .acquire()
                    .doOnError(run::failed)
                    .doOnCancel(run::cancelled)
                    .map(permit -> {
                        DefaultTransaction tx = new DefaultTransaction(ctx, own.readOnly());
                        run.attempt(tx);
                        // The listener before the timer: an expiry that fired first would find no one to release.
                        Disposable.Swap expiry = Disposables.swap();
                        tx.onEnd(new DefaultTransaction.EndListener() {
                            @Override
                            public void committed(CommitResult result) {
                                release();
                                run.committed(result);
                            }

                            @Override
                            public void aborted(AbortCause cause, Throwable error) {
                                release();
                                if (error instanceof TransactionConflictException c) {
                                    ctx.telemetry.conflict(c.reason());
                                }
                                run.aborted(cause, error);
                            }

                            private void release() {
                                expiry.dispose();
                                permit.release()
                                        .subscribe(
                                                null,
                                                e -> log.warn(
                                                        "redtx: releasing the admission of {} failed", tx.id(), e));
                            }
                        });
                        expiry.update(Mono.delay(timeout, ctx.timer())
                                .subscribe(
                                        t -> tx.expire(),
                                        e -> log.warn(
                                                "redtx: the expiry timer of {} failed: {}", tx.id(), e.toString())));
                        return tx;
                    });
        });
    }

    /** @return transactions holding an admission permit now */
    int inFlight() {
        return admission.inFlight();
    }

    /** @return transactions waiting for an admission permit now */
    int admissionWaiting() {
        return admission.waiting();
    }

    @Override
    public DistributedLock lock(String name, LockOptions options) {
        return locks.lock(name, options);
    }

    @Override
    public Flux<Delivery> consume(ConsumerOptions options) {
        return consumers.consume(options);
    }

    @Override
    public <T> Flux<TransactionOutcome<Delivery, T>> consumeTransactionally(
            ConsumerOptions options, DeliveryHandler<T> handler) {
        return consumers.consumeTransactionally(options, handler);
    }

    @Override
    public ReadWriteLock readWriteLock(String name, LockOptions options) {
        return locks.readWriteLock(name, options);
    }

    @Override
    public DistributedLock semaphore(String name, int permits, LockOptions options) {
        return locks.semaphore(name, permits, options);
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new TransactionStateException(null, "the transaction runtime is closed");
        }
    }

    private static Mono<Inspection> inspect(Shard s, String transactionId, Duration timeout) {
        String markers = s.onePhaseKey(transactionId);
        return (markers == null
                        ? s.eval(LuaScript.INSPECT, timeout, new String[] {s.txKey(transactionId)})
                        : s.eval(
                                LuaScript.INSPECT,
                                timeout,
                                new String[] {s.txKey(transactionId), markers},
                                transactionId))
                .map(Inspection::of);
    }

    /** The primary's record decides; without one, a tombstone anywhere means aborted. */
    private static TransactionStatus statusOf(List<Inspection> found) {
        for (Inspection i : found) {
            if (i.primary()) {
                return switch (i.state()) {
                    case COMMITTED -> TransactionStatus.COMMITTED;
                    case ABORTED -> TransactionStatus.ABORTED;
                    default -> TransactionStatus.IN_DOUBT;
                };
            }
        }
        // No record (forgotten, expired): a secondary's COMMITTED marker exists only after the commit point, an
        // ABORTED tombstone only after a decision to abort.
        if (found.stream().anyMatch(i -> i.state() == RecordState.COMMITTED)) {
            return TransactionStatus.COMMITTED;
        }
        if (found.stream().anyMatch(i -> i.state() == RecordState.ABORTED)) {
            return TransactionStatus.ABORTED;
        }
        return found.stream().anyMatch(i -> i.state() == RecordState.PREPARED)
                ? TransactionStatus.IN_DOUBT
                : TransactionStatus.UNKNOWN;
    }

    /** The status, the record's participant, and the external participants its record lists, each with its state. */
    private static TransactionDetails detailsOf(String transactionId, List<Inspection> found) {
        TransactionStatus status = statusOf(found);
        Optional<String> primary = found.stream()
                .map(Inspection::primaryName)
                .filter(name -> !name.isEmpty())
                .findFirst();
        Map<String, ExternalState> externals = new LinkedHashMap<>();
        for (Inspection i : found) {
            if (i.primary()) {
                Set<String> pending = Set.copyOf(Inspection.names(i.pendingExternals()));
                for (String name : Inspection.names(i.externals())) {
                    externals.put(name, externalState(status, pending.contains(name)));
                }
            }
        }
        return new TransactionDetails(transactionId, status, primary, externals);
    }

    private static ExternalState externalState(TransactionStatus status, boolean pending) {
        return switch (status) {
            case COMMITTED -> pending ? ExternalState.CONFIRMING : ExternalState.CONFIRMED;
            case ABORTED -> pending ? ExternalState.CANCELLING : ExternalState.CANCELLED;
            default -> ExternalState.UNDECIDED;
        };
    }

    @Override
    public Mono<TransactionStatus> status(String transactionId) {
        return details(transactionId).map(TransactionDetails::status);
    }

    @Override
    public Mono<TransactionDetails> details(String transactionId) {
        return Mono.defer(() -> {
            checkOpen();
            if (transactionId == null || transactionId.isEmpty()) {
                return Mono.error(new RedtxArgumentException(null, "transactionId must not be null or empty"));
            }
            // The primary's record decides; without one, a tombstone anywhere means aborted. A Cluster's keys of the
            // transaction (and of the one-phase markers of its bucket) are found by scans of its masters.
            Duration timeout = options.timeouts().read();
            String bucket = Keys.onePhaseBucket(transactionId);
            // Every participant answers (or fails) before the lookup does: a second failure must not be dropped.
            int n = ctx.participants.size();
            return Flux.fromIterable(ctx.participants.values())
                    .flatMapDelayError(
                            p -> (bucket == null
                                            ? p.shardsWithKey(k -> k.transactionKeysPattern(transactionId), timeout)
                                            : Flux.merge(
                                                            p.shardsWithKey(
                                                                    k -> k.transactionKeysPattern(transactionId),
                                                                    timeout),
                                                            p.shardsWithKey(
                                                                    k -> k.onePhaseKeysPattern(bucket), timeout))
                                                    .distinct())
                                    .flatMapDelayError(
                                            s -> inspect(s, transactionId, timeout), Queues.SMALL_BUFFER_SIZE, 1)
                                    .onErrorMap(Exceptions::isMultiple, Errors::first)
                                    .onErrorMap(e ->
                                            Errors.map(e, transactionId, p.name(), TransactionPhase.READ, timeout)),
                            n,
                            1)
                    .onErrorMap(Exceptions::isMultiple, Errors::first)
                    .collectList()
                    .map(found -> detailsOf(transactionId, found));
        });
    }

    @Override
    public Mono<List<ParticipantDurability>> durability() {
        return Mono.defer(() -> {
            checkOpen();
            return Flux.fromIterable(options.participants().keySet())
                    .flatMapSequential(name -> participants.get(name).durability())
                    .collectList();
        });
    }

    @Override
    public Mono<List<ParticipantDurability>> verify() {
        return Mono.defer(() -> {
            checkOpen();
            Map<String, String> problems = new LinkedHashMap<>();
            List<Throwable> causes = new ArrayList<>();
            return Flux.fromIterable(options.participants().keySet())
                    .flatMapSequential(name -> participants
                            .get(name)
                            .verify()
                            .onErrorResume(e -> !(e instanceof Error), e -> {
                                synchronized (problems) {
                                    problems.put(name, options.maskedUri(name) + ": " + problem(e));
                                    causes.add(e);
                                }
                                return Mono.empty();
                            }))
                    .collectList()
                    .flatMap(durabilities -> {
                        synchronized (problems) {
                            if (problems.isEmpty()) {
                                return Mono.just(durabilities);
                            }
                            // In the order of the options, whichever participant failed first.
                            Map<String, String> ordered = new LinkedHashMap<>();
                            options.participants().keySet().stream()
                                    .filter(problems::containsKey)
                                    .forEach(name -> ordered.put(name, problems.get(name)));
                            return Mono.error(new RedtxConfigurationException(ordered, causes.get(0)));
                        }
                    });
        });
    }

    /** What {@link #verify()} says about a participant that failed its check. */
    private static String problem(Throwable e) {
        if (e instanceof ParticipantErrorException p) {
            return p.reply();
        }
        Throwable cause = e instanceof ParticipantUnavailableException && e.getCause() != null ? e.getCause() : e;
        return "cannot be reached: " + cause.getMessage();
    }

    @Override
    public TransactionAdmin admin() {
        return admin;
    }

    @Override
    public Mono<RecoveryReport> recover() {
        return Mono.defer(() -> {
            checkOpen();
            return recoveryPass();
        });
    }

    /**
     * One pass: the transactions' intents and stale locks first, then the sagas, whose steps are transactions. The
     * metrics get the whole pass's report at once, so that their gauges show what one pass left.
     */
    private Mono<RecoveryReport> recoveryPass() {
        return ctx.resolver
                .recoverAll()
                .flatMap(report -> sagas.recover().map(report::plus))
                .doOnNext(ctx.telemetry::recovered);
    }

    @Override
    public Saga saga(String name) {
        checkOpen();
        return sagas.saga(name);
    }

    /** The periodic pass: a pass never overlaps the previous one, and a failed pass does not stop the next. */
    private Disposable startRecovery(Duration interval) {
        if (interval.isZero()) {
            return Disposables.disposed();
        }
        return Flux.interval(interval, interval, ctx.timer())
                .onBackpressureDrop()
                .concatMap(tick -> recoveryPass(), 1)
                .subscribe(
                        report -> {
                            if (report.expiredIntents() > 0
                                    || report.sagasResumed() > 0
                                    || report.sagasCompensated() > 0
                                    || report.sagasFailing() > 0) {
                                log.info("redtx: recovery pass {}", report);
                            }
                        },
                        e -> log.error("redtx: the recovery service stopped", e));
    }

    @Override
    public Mono<Void> closeGracefully() {
        return Mono.defer(() -> {
            closed.set(true);
            closing.tryEmitEmpty();
            // Transactions already running may still commit; within the transaction timeout they end (their own
            // limit), and what they left in the background (roll-forwards, rollbacks after cancel) too.
            return Flux.interval(Duration.ZERO, Duration.ofMillis(10))
                    .filter(tick -> functionalInFlight.get() == 0 && ctx.background.running() == 0)
                    .next()
                    .then()
                    .timeout(options.timeouts().transaction(), Mono.empty())
                    .then(shutdown);
        });
    }

    /** Refuses new work and starts closing connections; returns without waiting for them to close. */
    @Override
    public void close() {
        closed.set(true);
        closing.tryEmitEmpty();
        shutdown.subscribe(null, e -> log.warn("redtx: error while closing the runtime", e));
    }

    private Mono<Void> shutdownNow() {
        // From here on, handles still open refuse work (TransactionStateException) instead of failing on a closed
        // connection, where a commit would look like an unknown outcome although nothing was sent.
        ctx.closed.set(true);
        recovery.dispose();
        return Flux.fromIterable(participants.values())
                .flatMap(Participant::close)
                .then(admission.close())
                .then(Mono.fromCompletionStage(() -> client.shutdownAsync(0, 2, TimeUnit.SECONDS)))
                .then(Flux.fromIterable(tlsClients)
                        .flatMap(c -> Mono.fromCompletionStage(() -> c.shutdownAsync(0, 2, TimeUnit.SECONDS)))
                        .then())
                .then(Flux.fromIterable(clusterClients)
                        .flatMap(c -> Mono.fromCompletionStage(() -> c.shutdownAsync(0, 2, TimeUnit.SECONDS)))
                        .then())
                // Shutting the event loops down queues a task on each under a lock; the previous step completes on one
                // of those loops, so hand over to a thread that may wait for a contended lock (BlockHound caught it).
                // On the caller's resources this stops nothing of theirs: every pool in the view is shared.
                .then(Mono.<Void>create(sink ->
                                resources.shutdown(0, 2, TimeUnit.SECONDS).addListener(f -> sink.success()))
                        .subscribeOn(Schedulers.boundedElastic()))
                // Stopping the wheel joins its thread: still on the bounded-elastic thread of the previous step.
                .then(Mono.fromRunnable(deadlines::stop).subscribeOn(Schedulers.boundedElastic()))
                .then();
    }

    /**
     * Coalesces the flushes of each participant connection (Netty's {@link FlushConsolidationHandler}): the commands
     * written in one pass of its event loop, the next steps of many transactions whose replies arrived together, leave
     * in one socket write instead of one write each. A write and the server's read of it can cost more CPU than running
     * the script it carries, so fewer, larger writes save CPU on both sides.
     */
    private static final class CoalescedFlushes implements NettyCustomizer {
        /** The client resources' own customizer (the caller's), which runs first. */
        private final NettyCustomizer theirs;

        CoalescedFlushes(NettyCustomizer theirs) {
            this.theirs = theirs;
        }

        @Override
        public void afterBootstrapInitialized(Bootstrap bootstrap) {
            theirs.afterBootstrapInitialized(bootstrap);
        }

        @Override
        public void afterChannelInitialized(Channel channel) {
            theirs.afterChannelInitialized(channel);
            ChannelPipeline pipeline = channel.pipeline();
            // Before Lettuce's encoder (after a TLS handler, if any), where every command's flush passes.
            pipeline.addBefore(
                    pipeline.context(CommandEncoder.class).name(),
                    "redtx-flush-consolidation",
                    new FlushConsolidationHandler(
                            FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
        }
    }

    /** @return the number of background rollbacks and roll-forwards still running (for tests and metrics) */
    int backgroundTasks() {
        return ctx.background.running();
    }

    @Override
    public String toString() {
        return "RedisTransactionRuntime{" + options + "}";
    }
}
