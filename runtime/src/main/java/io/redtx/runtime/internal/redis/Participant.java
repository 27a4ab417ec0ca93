package io.redtx.runtime.internal.redis;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisReadOnlyException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScanStream;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.reactive.RedisKeyReactiveCommands;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisAdvancedClusterAsyncCommands;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.redtx.api.ParticipantDurability;
import io.redtx.api.ParticipantErrorException;
import io.redtx.api.ParticipantUnavailableException;
import io.redtx.api.RedtxException;
import io.redtx.api.Replication;
import io.redtx.api.TransactionPhase;
import io.redtx.api.TransactionTimeoutException;
import io.redtx.runtime.internal.Deadlines;
import io.redtx.runtime.internal.handle.DefaultTransaction;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * One named Redis deployment and its shared, multiplexed Lettuce connections ({@code connectionsPerParticipant}), which
 * commands take in turn. A standalone or Sentinel-managed deployment is one {@link Shard}; a Redis Cluster has one per
 * hash slot, and its connections are Lettuce's cluster connections, which send each command to the master of its first
 * key's slot (following MOVED and ASK redirections). Nothing needs one transaction's commands on one connection: each
 * step waits for the reply of the step it depends on, and a command that overtakes another of its transaction (an abort
 * sent after a prepare timed out) is what the tombstones already settle.
 */
public final class Participant implements ParticipantLink {

    /** The first pause before a script refused during a slot migration is sent again (see runWhileSlotMoves). */
    static final Duration FIRST_MIGRATION_PAUSE = Duration.ofMillis(5);

    /** The longest such pause: a migration that ends is noticed within this much. */
    static final Duration LONGEST_MIGRATION_PAUSE = Duration.ofMillis(50);

    /**
     * Time a script sent again after such a pause must still have for its reply: a quarter of its time limit, and at
     * least this much. With less, its reply could come too late on a loaded machine, and a refusal known to have
     * changed nothing would become an unknown outcome.
     */
    static final Duration LEAST_TIME_TO_SEND_AGAIN = Duration.ofMillis(20);

    /** How many Cluster redirections a replicated script follows (see {@link #replicatedOnSlotMaster}). */
    static final int REDIRECTIONS = 5;

    /**
     * How long a Cluster slot's barrier key lives after its last write: it holds nothing, and is written again by the
     * slot's next replicated script.
     */
    static final Duration BARRIER_KEY_LIFE = Duration.ofMinutes(1);

    /** Keys each SCAN call of the stale-lock sweep looks at (see {@link #lockKeysToSweep}). */
    public static final int SWEEP_SCAN_COUNT = 1000;

    private final String name;
    private final String[] probeArgs;
    private final boolean requireSyncedWrites;
    private final Replication replication;
    /** The WAITs that replicated scripts share, when replication is required. */
    private final ReplicaWaits replicaWaits;
    /** What {@link #replicated} publishes to: a write that reaches the replicas without touching a key. */
    private final String barrierChannel;
    /**
     * On a Cluster, {@link #replicated} writes a key instead, one per slot: this, the slot's {@link ClusterSlots#tag}
     * and "}".
     */
    private final String barrierKeyPrefix;

    private final Supplier<CompletionStage<? extends StatefulConnection<String, String>>> connect;
    /** Reloads a Cluster's slot map (null for other deployments); see {@link #refreshSlotMap()}. */
    private final Supplier<? extends CompletionStage<?>> refreshSlotMap;
    /** Whether a reload is under way: the MOVED replies of many scripts need one. */
    private final AtomicBoolean refreshingSlotMap = new AtomicBoolean();

    private final Keys keys;
    private final Channels channels;
    /** The one shard of a standalone or Sentinel participant; null for a Cluster. */
    private final Shard whole;
    /** A Cluster's shards by slot, each made on first use; null for a standalone or Sentinel participant. */
    private final AtomicReferenceArray<Shard> slots;

    private final Deadlines deadlines;
    private final Duration connectTimeout;
    /** The connections, each made on first use; commands take them in turn. */
    private final Lane[] lanes;

    private final AtomicInteger nextLane = new AtomicInteger();
    /** Where the next recovery pass goes on sweeping lock keys (see {@link #lockKeysToSweep}). */
    private final AtomicReference<ScanCursor> sweepFrom = new AtomicReference<>(ScanCursor.INITIAL);

    private volatile boolean closed;

    /**
     * @param connect makes one connection: a {@link StatefulRedisConnection}, or a
     *     {@link StatefulRedisClusterConnection} for a Cluster
     * @param connectPubSub makes the Pub/Sub connection its locks listen on, when one first does
     * @param refreshSlotMap for a Cluster, reloads the slot map its connections share; null otherwise
     */
    public Participant(
            String name,
            boolean cluster,
            Supplier<CompletionStage<? extends StatefulConnection<String, String>>> connect,
            Supplier<CompletionStage<? extends StatefulRedisPubSubConnection<String, String>>> connectPubSub,
            Supplier<? extends CompletionStage<?>> refreshSlotMap,
            Keys keys,
            Deadlines deadlines,
            Duration connectTimeout,
            int connections,
            String probeKey,
            boolean requireSyncedWrites,
            Replication replication) {
        this.name = name;
        this.requireSyncedWrites = requireSyncedWrites;
        this.replication = replication;
        this.replicaWaits = new ReplicaWaits(replication.replicas(), replication.timeout(), connectTimeout, deadlines);
        this.barrierChannel = keys.namespace() + "barrier";
        this.barrierKeyPrefix = keys.namespace() + "barrier{";
        this.probeArgs = new String[LuaScript.CALLED_COMMANDS.size() + 1];
        probeArgs[0] = probeKey;
        for (int i = 0; i < LuaScript.CALLED_COMMANDS.size(); i++) {
            probeArgs[i + 1] = LuaScript.CALLED_COMMANDS.get(i);
        }
        this.connect = connect;
        this.refreshSlotMap = refreshSlotMap;
        this.channels = new Channels(name, connectPubSub);
        this.keys = keys;
        this.whole = cluster ? null : new Shard(this, -1, keys);
        this.slots = cluster ? new AtomicReferenceArray<>(ClusterSlots.SLOTS) : null;
        this.deadlines = deadlines;
        this.connectTimeout = connectTimeout;
        this.lanes = new Lane[connections];
        for (int i = 0; i < connections; i++) {
            lanes[i] = new Lane();
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Shard shardOf(String key) {
        return whole != null ? whole : shard(ClusterSlots.slot(key));
    }

    @Override
    public Shard shard(int slot) {
        if (whole != null) {
            return slot < 0 ? whole : null;
        }
        if (slot < 0 || slot >= ClusterSlots.SLOTS) {
            return null;
        }
        Shard s = slots.get(slot);
        if (s == null) {
            slots.compareAndSet(slot, null, new Shard(this, slot, keys));
            s = slots.get(slot);
        }
        return s;
    }

    /**
     * The shards that may hold a key matching {@code pattern} (one of {@link Keys}'s patterns over every slot): a
     * Cluster's are found by a SCAN of every master (each round bounded by {@code timeout}); a standalone participant
     * has one shard, where the caller looks itself.
     */
    @Override
    public Flux<Shard> shardsWithKey(Function<Keys, String> pattern, Duration timeout) {
        if (whole != null) {
            return Flux.just(whole);
        }
        ScanArgs match = ScanArgs.Builder.matches(pattern.apply(keys)).limit(1000);
        return lanes[0].connection
                .flatMapMany(
                        c -> ScanStream.scan(((StatefulRedisClusterConnection<String, String>) c).reactive(), match))
                .timeout(timeout)
                .map(key -> shard(ClusterSlots.slot(key)))
                .distinct();
    }

    /**
     * The lock keys for this recovery pass to sweep: the next share of an incremental {@code SCAN} of this participant
     * (every master of a Cluster) for the namespace's lock keys, at most {@code scans} calls of
     * {@value #SWEEP_SCAN_COUNT} keys each, going on where the previous pass stopped and starting over once the whole
     * keyspace was covered. A large keyspace takes many passes; each costs the participant little. Each call is
     * bounded by {@code timeout}; after an error the next pass starts over.
     */
    @Override
    public Flux<String> lockKeysToSweep(int scans, Duration timeout) {
        ScanArgs match = ScanArgs.Builder.matches(keys.lockKeyPattern()).limit(SWEEP_SCAN_COUNT);
        return lanes[0].connection
                .flatMapMany(c -> {
                    RedisKeyReactiveCommands<String, String> commands =
                            c instanceof StatefulRedisClusterConnection<String, String> cluster
                                    ? cluster.reactive()
                                    : ((StatefulRedisConnection<String, String>) c).reactive();
                    AtomicInteger calls = new AtomicInteger(1);
                    return commands.scan(sweepFrom.get(), match)
                            .timeout(timeout)
                            .expand(cursor -> cursor.isFinished() || calls.getAndIncrement() >= scans
                                    ? Mono.empty()
                                    : commands.scan(cursor, match).timeout(timeout))
                            .doOnNext(cursor -> sweepFrom.set(cursor.isFinished() ? ScanCursor.INITIAL : cursor))
                            .concatMapIterable(KeyScanCursor::getKeys);
                })
                .doOnError(e -> sweepFrom.set(ScanCursor.INITIAL));
    }

    private Mono<StatefulConnection<String, String>> checkDurability(StatefulConnection<String, String> c) {
        if (!requireSyncedWrites && !replication.required()) {
            return Mono.just(c);
        }
        return masters(c).flatMap(all -> {
            for (MasterDurability m : all) {
                ParticipantDurability d = m.durability();
                String master = m.node().isEmpty() ? "the master" : "master " + m.node();
                if (requireSyncedWrites && d.level() != ParticipantDurability.Level.EVERY_WRITE_SYNCED) {
                    return Mono.error(new ParticipantErrorException(
                            null,
                            name,
                            "requireSyncedWrites needs appendonly yes and appendfsync always, found " + d.level()
                                    + (m.node().isEmpty() ? "" : " on " + master)
                                    + (d.detail().isEmpty() ? "" : " (" + d.detail() + ")")
                                    + " (appendonly=" + d.appendOnly() + ", appendfsync=" + d.appendFsync() + ")",
                            null));
                }
                if (replication.required() && d.connectedReplicas() < replication.replicas()) {
                    return Mono.error(new ParticipantErrorException(
                            null,
                            name,
                            "replication needs " + replication.replicas() + " replica(s) acknowledging every step, but "
                                    + master + " has " + d.connectedReplicas() + " connected"
                                    + (d.detail().isEmpty() ? "" : " (" + d.detail() + ")"),
                            null));
                }
            }
            return Mono.just(c);
        });
    }

    /**
     * Makes every connection of this participant (each adopted: scripts loaded, the user's permissions probed, the
     * durability required checked), then reads the durability. Fails as the first connection that cannot be made.
     */
    public Mono<ParticipantDurability> verify() {
        return Flux.fromArray(lanes)
                .concatMap(lane -> lane.connection)
                .then(acceptsWrites())
                .then(durability());
    }

    /**
     * A standalone or Sentinel participant must be a master: a replica answers every commit with {@code READONLY},
     * which a transaction takes for a failover in progress (transient). The one-phase commit script with no keys
     * writes nothing, but a replica refuses it as a writing script, and it needs no permission beyond the scripts'.
     */
    private Mono<Void> acceptsWrites() {
        if (whole == null) {
            return Mono.empty(); // a Cluster's commands go to its masters
        }
        return whole.eval(
                        LuaScript.COMMIT_ONE_PHASE, connectTimeout, new String[0], "verify", whole.txPrefix(), "", "0")
                .onErrorMap(
                        RedisReadOnlyException.class,
                        e -> new ParticipantErrorException(
                                null, name, "is a replica, which refuses writes (" + e.getMessage() + ")", e))
                .then();
    }

    /** Reads the persistence settings (connecting if needed). Never an error: what cannot be read is UNKNOWN. */
    public Mono<ParticipantDurability> durability() {
        return lanes[0].connection.flatMap(this::durability).onErrorResume(e -> Mono.just(unknown(e)));
    }

    /**
     * A standalone server's settings, or a Cluster's weakest master's with the fewest replicas any master has (every
     * master must answer).
     */
    private Mono<ParticipantDurability> durability(StatefulConnection<String, String> c) {
        return masters(c)
                .map(all -> all.stream()
                        .map(MasterDurability::durability)
                        .max(Comparator.comparing(ParticipantDurability::level))
                        .map(weakest -> new ParticipantDurability(
                                name,
                                weakest.level(),
                                weakest.appendOnly(),
                                weakest.appendFsync(),
                                // Replication is required of every master: the one with the fewest replicas counts.
                                all.stream()
                                        .mapToInt(m -> m.durability().connectedReplicas())
                                        .min()
                                        .orElse(0),
                                weakest.detail()))
                        .orElseGet(() -> unknown(new IllegalStateException("no master in the cluster topology"))));
    }

    /** A master's settings; {@code node} is its address on a Cluster, empty otherwise. */
    private record MasterDurability(String node, ParticipantDurability durability) {}

    /** The settings of the one server, or of every master of a Cluster (what cannot be read is UNKNOWN). */
    private Mono<List<MasterDurability>> masters(StatefulConnection<String, String> c) {
        if (!(c instanceof StatefulRedisClusterConnection<String, String> cluster)) {
            return durabilityOf((StatefulRedisConnection<String, String>) c)
                    .map(d -> List.of(new MasterDurability("", d)));
        }
        // Masters that serve slots: a master just demoted by a failover can still be listed as one, without slots,
        // by a node that has not heard of it yet.
        List<RedisClusterNode> masters = cluster.getPartitions().stream()
                .filter(n -> n.is(RedisClusterNode.NodeFlag.UPSTREAM)
                        && !n.getSlots().isEmpty())
                .toList();
        return Flux.fromIterable(masters)
                .flatMap(n -> Mono.defer(() -> Replies.of(cluster.getConnectionAsync(n.getNodeId())))
                        .timeout(connectTimeout)
                        .flatMap(this::durabilityOf)
                        .onErrorResume(e -> Mono.just(unknown(e)))
                        .map(d -> new MasterDurability(
                                n.getUri().getHost() + ":" + n.getUri().getPort(), d)))
                .collectList();
    }

    private Mono<ParticipantDurability> durabilityOf(StatefulRedisConnection<String, String> c) {
        return Mono.zip(
                        c.reactive().configGet("appendonly", "appendfsync"),
                        c.reactive().info("replication"))
                .timeout(connectTimeout)
                .map(t -> {
                    boolean aof = "yes".equalsIgnoreCase(t.getT1().get("appendonly"));
                    String fsync = t.getT1().getOrDefault("appendfsync", "");
                    int replicas = 0;
                    for (String line : t.getT2().split("\r?\n")) {
                        if (line.startsWith("connected_slaves:")) {
                            replicas = Integer.parseInt(
                                    line.substring("connected_slaves:".length()).trim());
                        }
                    }
                    ParticipantDurability.Level level = !aof
                            ? ParticipantDurability.Level.NONE
                            : "always".equals(fsync)
                                    ? ParticipantDurability.Level.EVERY_WRITE_SYNCED
                                    : ParticipantDurability.Level.PERIODIC;
                    return new ParticipantDurability(name, level, aof, fsync, replicas, "");
                })
                .onErrorResume(e -> Mono.just(unknown(e)));
    }

    private ParticipantDurability unknown(Throwable e) {
        return new ParticipantDurability(
                name, ParticipantDurability.Level.UNKNOWN, false, "", 0, String.valueOf(e.getMessage()));
    }

    /**
     * Runs a script by digest; after NOSCRIPT (a restarted or flushed server has an empty script cache) it sends the
     * script itself (EVAL, which also caches it there). Every script is idempotent, so the second run is harmless even
     * if the first ran. On a Cluster the script goes to the master of its first key's slot: every key it declares must
     * be in that slot, and while that slot is being resharded the script waits for the migration (within
     * {@code timeout}, see {@link #runWhileSlotMoves}). {@code timeout} bounds the command once connected (signalled
     * as {@link java.util.concurrent.TimeoutException}); failing to connect is a
     * {@link ParticipantUnavailableException}.
     * {@code sent}, if not null, gets every command sent, so the caller can wait for commands whose subscriber has gone
     * (see {@link DefaultTransaction#sentCommandsDone}).
     */
    @Override
    public Mono<List<Object>> eval(
            LuaScript script, Duration timeout, Consumer<CompletableFuture<?>> sent, String[] keys, String... args) {
        Lane lane = nextLane();
        RedisClusterAsyncCommands<String, String> ready = lane.ready;
        if (ready != null) {
            return run(ready, script, timeout, sent, keys, args); // the usual case: skip the cached connect step
        }
        return lane.connection.flatMap(c -> run(commands(c), script, timeout, sent, keys, args));
    }

    private Mono<List<Object>> run(
            RedisClusterAsyncCommands<String, String> c,
            LuaScript script,
            Duration timeout,
            Consumer<CompletableFuture<?>> sent,
            String[] keys,
            String[] args) {
        if (whole != null) {
            return runOnce(c, script, timeout, sent, keys, args);
        }
        return Mono.defer(() -> runWhileSlotMoves(
                c, script, System.nanoTime() + timeout.toNanos(), reserve(timeout), 0, sent, keys, args));
    }

    /**
     * Like {@link #eval}, but a script refused because its Cluster slot is being resharded ({@link Errors#slotMoving})
     * fails at once: for a caller that has another way to do the work meanwhile.
     */
    @Override
    public Mono<List<Object>> evalOnce(
            LuaScript script, Duration timeout, Consumer<CompletableFuture<?>> sent, String[] keys, String... args) {
        return withCommands(c -> runOnce(c, script, timeout, sent, keys, args));
    }

    /** The connection for the next command: they take turns. */
    private Lane nextLane() {
        return lanes.length == 1 ? lanes[0] : lanes[(nextLane.getAndIncrement() & Integer.MAX_VALUE) % lanes.length];
    }

    /** {@code work} with the commands of the next connection, connecting first if needed. */
    private <T> Mono<T> withCommands(Function<RedisClusterAsyncCommands<String, String>, Mono<T>> work) {
        Lane lane = nextLane();
        RedisClusterAsyncCommands<String, String> ready = lane.ready;
        if (ready != null) {
            return work.apply(ready); // the usual case: skip the cached connect step
        }
        return lane.connection.flatMap(c -> work.apply(commands(c)));
    }

    /**
     * What {@code read.lua} answers for one key (op {@code get}, {@code hget}, {@code hgetall} or {@code exists}),
     * read with single-key commands instead: its lock key, then the key. For a Cluster slot being resharded, where
     * Redis refuses {@code read.lua} (its keys split between the two masters, or a lock key that does not exist) but
     * serves a single-key command on the master that holds the key (Lettuce follows {@code ASK}).
     *
     * <p>Reading the lock before the key is as good as reading both at once: a value changes only together with the
     * removal of its writer's lock, so the value read is one that no foreign write intent covered at some moment at
     * or after the lock was read, and the commit validates it again under its own locks. Unlike {@code read.lua}, no
     * lock entry is taken for stale here: that needs the owner's intent, which an importing master may not show.
     */
    @Override
    public Mono<ReadReply> readAlone(
            String key,
            String lockKey,
            String op,
            String field,
            String txid,
            Duration timeout,
            Consumer<CompletableFuture<?>> sent) {
        return withCommands(c -> send(() -> c.hgetall(lockKey), timeout, sent).flatMap(owners -> {
            for (Map.Entry<String, String> owner : owners.entrySet()) {
                if (!owner.getKey().equals(txid) && "w".equals(owner.getValue())) {
                    return Mono.just(new ReadReply.Locked(owner.getKey()));
                }
            }
            Mono<ReadReply> value = switch (op) {
                case "get" -> valueReply(send(() -> c.get(key), timeout, sent));
                case "hget" -> valueReply(send(() -> c.hget(key, field), timeout, sent));
                case "hgetall" -> send(() -> c.hgetall(key), timeout, sent).map(ReadReply.Hash::new);
                case "exists" ->
                    send(() -> c.exists(key), timeout, sent).map(n -> new ReadReply.Value(Long.toString(n)));
                default -> Mono.error(new IllegalArgumentException("unknown read op " + op));
            };
            return value.onErrorResume(
                    e -> String.valueOf(e.getMessage()).startsWith("WRONGTYPE"),
                    e -> send(() -> c.type(key), timeout, sent).map(ReadReply.WrongType::new));
        }));
    }

    /** read.lua's answer for a string or a hash field: its value, or absent (a nil reply is an empty Mono). */
    private static Mono<ReadReply> valueReply(Mono<String> value) {
        return value.<ReadReply>map(ReadReply.Value::new).defaultIfEmpty(ReadReply.ABSENT);
    }

    /**
     * On a Cluster, a script refused because its slot is being resharded ({@link Errors#slotMoving}: Redis refuses a
     * multi-key command during a migration unless every key is on one node, and the scripts create keys) did nothing,
     * and runs once the migration has moved the slot's keys. So it is sent again after a short pause, doubling from
     * {@link #FIRST_MIGRATION_PAUSE} up to {@link #LONGEST_MIGRATION_PAUSE}, until it runs or {@code deadline} (the
     * command's own time limit, from its first sending) is closer than {@code reserve} ({@link
     * #LEAST_TIME_TO_SEND_AGAIN}); then the last refusal is the error.
     */
    private Mono<List<Object>> runWhileSlotMoves(
            RedisClusterAsyncCommands<String, String> c,
            LuaScript script,
            long deadline,
            long reserve,
            int pauses,
            Consumer<CompletableFuture<?>> sent,
            String[] keys,
            String[] args) {
        Duration left = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
        return runOnce(c, script, left, sent, keys, args).onErrorResume(Errors::slotMoving, refused -> {
            Duration pause = FIRST_MIGRATION_PAUSE.multipliedBy(1L << Math.min(pauses, 4));
            if (pause.compareTo(LONGEST_MIGRATION_PAUSE) > 0) {
                pause = LONGEST_MIGRATION_PAUSE;
            }
            if (deadline - System.nanoTime() <= pause.toNanos() + reserve) {
                return Mono.error(refused);
            }
            return deadlines
                    .delay(pause)
                    .then(Mono.defer(
                            () -> runWhileSlotMoves(c, script, deadline, reserve, pauses + 1, sent, keys, args)));
        });
    }

    /** The time a resent script keeps for its reply, in nanoseconds (see {@link #LEAST_TIME_TO_SEND_AGAIN}). */
    private static long reserve(Duration timeout) {
        return Math.max(LEAST_TIME_TO_SEND_AGAIN.toNanos(), timeout.toNanos() / 4);
    }

    private Mono<List<Object>> runOnce(
            RedisClusterAsyncCommands<String, String> c,
            LuaScript script,
            Duration timeout,
            Consumer<CompletableFuture<?>> sent,
            String[] keys,
            String[] args) {
        if (replication.required() && script.waitsForReplicas()) {
            if (c instanceof RedisAdvancedClusterAsyncCommands<String, String> cluster) {
                int slot = ClusterSlots.slot(keys.length == 0 ? "" : keys[0]);
                return Mono.defer(() -> replicatedOnSlotMaster(
                        cluster.getStatefulConnection(),
                        slot,
                        script,
                        System.nanoTime() + timeout.toNanos(),
                        sent,
                        keys,
                        args));
            }
            Supplier<CompletionStage<?>> barrier = () -> c.publish(barrierChannel, "");
            return replicated(c, false, barrier, script, timeout, sent, keys, args);
        }
        return send(() -> c.<List<Object>>evalsha(script.sha(), ScriptOutputType.MULTI, keys, args), timeout, sent)
                .onErrorResume(
                        RedisNoScriptException.class,
                        e -> send(
                                () -> c.<List<Object>>eval(script.body(), ScriptOutputType.MULTI, keys, args),
                                timeout,
                                sent));
    }

    /**
     * {@link #replicated} on a Cluster: {@code WAIT} counts the replicas of the node it runs on, so the script, the
     * barrier and {@code WAIT} go to the master of the script's slot over Lettuce's connection to that node (the one
     * its cluster connection sends the slot's commands on), not through the cluster connection, which would send the
     * keyless {@code WAIT} to any node. Lettuce follows no redirection on a node's connection, so this does: a
     * {@code MOVED} (the slot map changed: a failover, a resharding) or {@code ASK} (the slot is being migrated;
     * {@code ASKING} goes first) reply means the script did not run, and it is sent where the reply points, at most
     * {@link #REDIRECTIONS} times; the last such reply is then the error, which callers take as a slot that moves.
     */
    private Mono<List<Object>> replicatedOnSlotMaster(
            StatefulRedisClusterConnection<String, String> cluster,
            int slot,
            LuaScript script,
            long deadline,
            Consumer<CompletableFuture<?>> sent,
            String[] keys,
            String[] args) {
        RedisClusterNode master = cluster.getPartitions().getMasterBySlot(slot);
        if (master == null) {
            // Nothing sent: the same refusal a node without the slot's master gives, a transient one.
            return Mono.error(new RedisCommandExecutionException("CLUSTERDOWN no master serves slot " + slot));
        }
        RedisURI uri = master.getUri();
        return replicatedOnNode(
                cluster, uri.getHost(), uri.getPort(), false, slot, script, deadline, 0, sent, keys, args);
    }

    private Mono<List<Object>> replicatedOnNode(
            StatefulRedisClusterConnection<String, String> cluster,
            String host,
            int port,
            boolean asking,
            int slot,
            LuaScript script,
            long deadline,
            int redirections,
            Consumer<CompletableFuture<?>> sent,
            String[] keys,
            String[] args) {
        Duration left = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
        // A write in the script's slot: in a Cluster, PUBLISH travels over the cluster bus, not the replication stream.
        String barrierKey = barrierKeyPrefix + ClusterSlots.tag(slot) + "}";
        // Bounded on a copy: Lettuce hands every caller the same future while it connects to that node, and the time
        // limit fails the future it is given.
        return Replies.of(deadlines.bound(cluster.getConnectionAsync(host, port).thenApply(node -> node), left))
                .flatMap(node -> {
                    RedisAsyncCommands<String, String> n = node.async();
                    Supplier<CompletionStage<?>> barrier =
                            () -> n.set(barrierKey, "", SetArgs.Builder.px(BARRIER_KEY_LIFE.toMillis()));
                    return replicated(n, asking, barrier, script, left, sent, keys, args);
                })
                .onErrorResume(e -> redirections < REDIRECTIONS && Errors.redirection(e) != null, e -> {
                    Errors.Redirection to = Errors.redirection(e);
                    if (!to.ask()) {
                        refreshSlotMap();
                    }
                    return replicatedOnNode(
                            cluster,
                            to.host(),
                            to.port(),
                            to.ask(),
                            slot,
                            script,
                            deadline,
                            redirections + 1,
                            sent,
                            keys,
                            args);
                });
    }

    /**
     * Starts reloading the slot map after a {@code MOVED} reply on a node's connection, unless a reload is under way:
     * Lettuce reloads it after the redirections it follows itself, not after those {@link #replicatedOnNode} follows,
     * and until it does every replicated script of the moved slots would go to the wrong node first.
     */
    private void refreshSlotMap() {
        if (refreshSlotMap != null && refreshingSlotMap.compareAndSet(false, true)) {
            refreshSlotMap.get().whenComplete((loaded, failed) -> refreshingSlotMap.set(false));
        }
    }

    /**
     * A script's reply once {@link Replication#replicas()} replicas hold everything the master held when it ran. Sent
     * in order on one connection: ({@code ASKING} if {@code asking}), the script (by digest; after {@code NOSCRIPT},
     * the whole script), then a {@code barrier} write that no transaction's key holds ({@code WAIT} counts
     * acknowledgements of the connection's latest write, and a script that only read, or found its work already done,
     * wrote nothing) and {@code WAIT}, which the scripts sent on the connection while another {@code WAIT} was in
     * flight share ({@link ReplicaWaits}). A shortfall is a {@link NotReplicatedException}: the script ran
     * and its effect stands on the master, so callers take it as a lost reply, never as a refusal.
     */
    private Mono<List<Object>> replicated(
            RedisClusterAsyncCommands<String, String> c,
            boolean asking,
            Supplier<CompletionStage<?>> barrier,
            LuaScript script,
            Duration timeout,
            Consumer<CompletableFuture<?>> sent,
            String[] keys,
            String[] args) {
        return replicated(
                        c,
                        asking,
                        () -> c.evalsha(script.sha(), ScriptOutputType.MULTI, keys, args),
                        barrier,
                        timeout,
                        sent)
                .onErrorResume(
                        RedisNoScriptException.class,
                        e -> replicated(
                                c,
                                asking,
                                () -> c.eval(script.body(), ScriptOutputType.MULTI, keys, args),
                                barrier,
                                timeout,
                                sent));
    }

    private Mono<List<Object>> replicated(
            RedisClusterAsyncCommands<String, String> c,
            boolean asking,
            Supplier<? extends CompletionStage<List<Object>>> script,
            Supplier<CompletionStage<?>> barrier,
            Duration timeout,
            Consumer<CompletableFuture<?>> sent) {
        return Mono.defer(() -> {
            if (asking) {
                c.asking(); // its reply says nothing the script's does not
            }
            CompletableFuture<List<Object>> reply = deadlines.bound(script.get().toCompletableFuture(), timeout);
            CompletableFuture<Long> acks =
                    deadlines.bound(replicaWaits.after(c, barrier), timeout.plus(replication.timeout()));
            if (sent != null) {
                sent.accept(reply);
                sent.accept(acks);
            }
            // The script's own error as it came; after it ran, a refused barrier (an ACL without PUBLISH) or WAIT
            // leaves its effect unknown to the replicas, like a shortfall.
            return Replies.of(reply)
                    .flatMap(r -> Replies.of(acks)
                            .onErrorMap(e -> new NotReplicatedException(name, replication, e))
                            .flatMap(n -> n >= replication.replicas()
                                    ? Mono.just(r)
                                    : Mono.error(new NotReplicatedException(name, replication, n))));
        });
    }

    /**
     * A command sent at each subscription, bounded by {@code timeout}. The async API, not the reactive
     * one: a cancelled subscriber (a timeout, a sibling's failure in a fan-out) must not cancel a command already sent.
     * Its reply is still read and dropped; the scripts are idempotent, and abort/settle logic, not cancellation, decides
     * what a sent command meant. The time limit is the command's own (see Deadlines), not a Reactor timeout() around it.
     */
    private <T> Mono<T> send(
            Supplier<? extends CompletionStage<T>> command, Duration timeout, Consumer<CompletableFuture<?>> sent) {
        return Mono.defer(() -> {
            CompletableFuture<T> reply = deadlines.bound(command.get().toCompletableFuture(), timeout);
            if (sent != null) {
                sent.accept(reply);
            }
            return Replies.of(reply);
        });
    }

    @SuppressWarnings("unchecked")
    private static RedisClusterAsyncCommands<String, String> commands(StatefulConnection<String, String> c) {
        return c instanceof StatefulRedisClusterConnection<?, ?> cluster
                ? ((StatefulRedisClusterConnection<String, String>) cluster).async()
                : ((StatefulRedisConnection<String, String>) c).async();
    }

    public Mono<Void> close() {
        closed = true;
        return Flux.fromArray(lanes).flatMap(Lane::close).then(channels.close());
    }

    @Override
    public Flux<String> messages(String channel) {
        return channels.messages(channel);
    }

    /**
     * One multiplexed connection, made on first use; a failed attempt is not cached, so the next use tries again.
     */
    private final class Lane {
        private final AtomicReference<StatefulConnection<String, String>> open = new AtomicReference<>();
        /** The connection's commands once adopted (scripts loaded, checks passed), until closed; null before. */
        private volatile RedisClusterAsyncCommands<String, String> ready;

        private final Mono<StatefulConnection<String, String>> connection;

        Lane() {
            // Bounded on its own: a first connection (handshake, script loading, a cold JVM) must not eat into the
            // timeout of the command that triggered it.
            this.connection = Mono.defer(this::connectOnce)
                    .flatMap(this::adopt)
                    .timeout(connectTimeout)
                    // A refusal (NOPERM, WRONGPASS, a certificate refused in the TLS handshake) is not transient:
                    // retrying cannot fix a missing permission. A server that cannot run commands yet (LOADING after a
                    // restart, BUSY, ...) is only unavailable for now.
                    .onErrorMap(e -> !(e instanceof RedtxException), e -> {
                        if (e instanceof TimeoutException) {
                            return new TransactionTimeoutException(
                                    null, TransactionPhase.CONNECT, connectTimeout, name);
                        }
                        if (e instanceof RedisCommandExecutionException && !Errors.notYet(e)) {
                            return new ParticipantErrorException(null, name, e.getMessage(), e);
                        }
                        String refused = Errors.tlsRefusal(e);
                        return refused != null
                                ? new ParticipantErrorException(null, name, "the TLS handshake failed: " + refused, e)
                                : new ParticipantUnavailableException(null, name, e);
                    })
                    .cacheInvalidateIf(c -> false);
        }

        /** One attempt to connect; a connection that arrives after the attempt was given up is closed. */
        private Mono<StatefulConnection<String, String>> connectOnce() {
            CompletableFuture<? extends StatefulConnection<String, String>> made =
                    connect.get().toCompletableFuture();
            return Replies.<StatefulConnection<String, String>>of(made.thenApply(c -> c))
                    .doOnCancel(() -> made.thenAccept(StatefulConnection::closeAsync));
        }

        /**
         * Keeps a fresh connection unless the runtime closed meanwhile (then it must not leak); preloads scripts (on
         * every master of a Cluster).
         */
        private Mono<StatefulConnection<String, String>> adopt(StatefulConnection<String, String> c) {
            if (closed || !open.compareAndSet(null, c)) {
                return Mono.fromCompletionStage(c.closeAsync())
                        .then(Mono.error(new ParticipantUnavailableException(
                                null, name, new IllegalStateException("runtime closed"))));
            }
            RedisClusterAsyncCommands<String, String> commands = commands(c);
            return Flux.fromArray(LuaScript.values())
                    .concatMap(s -> Mono.defer(
                            () -> Replies.of(commands.scriptLoad(s.body()).toCompletableFuture())))
                    .then(send(
                            () -> commands.<List<Object>>evalsha(
                                    LuaScript.PROBE.sha(), ScriptOutputType.MULTI, new String[0], probeArgs),
                            connectTimeout,
                            null))
                    .flatMap(missing -> missing.isEmpty()
                            ? checkDurability(c)
                            : Mono.error(new ParticipantErrorException(
                                    null,
                                    name,
                                    "the Redis user lacks permission for " + missing
                                            + " (every command of the ACL list in docs/protocol.md is needed)",
                                    null)))
                    // Scripts not loaded (NOPERM, timeout): do not keep the connection, or every later attempt would
                    // find the slot taken and fail with "runtime closed" while the first connection leaks.
                    .doOnNext(adopted -> {
                        ready = commands;
                        if (open.get() != adopted) {
                            ready = null; // discarded meanwhile (a timeout or cancel raced the last step)
                        }
                    })
                    .doOnError(e -> discard(c))
                    .doOnCancel(() -> discard(c));
        }

        private void discard(StatefulConnection<String, String> c) {
            if (open.compareAndSet(c, null)) {
                ready = null;
                c.closeAsync(); // nothing waits for it: the connection was never handed out
            }
        }

        public Mono<Void> close() {
            ready = null;
            StatefulConnection<String, String> c = open.getAndSet(null);
            if (c != null) {
                replicaWaits.forget(commands(c));
            }
            return c == null ? Mono.empty() : Mono.fromCompletionStage(c.closeAsync());
        }
    }

    @Override
    public String toString() {
        return "Participant{" + name + "}";
    }
}
