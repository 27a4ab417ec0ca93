package io.redtx.runtime;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.redtx.api.ParticipantDurability;
import io.redtx.api.ParticipantErrorException;
import io.redtx.api.ParticipantUnavailableException;
import io.redtx.api.RedtxException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * One named Redis deployment (standalone or Sentinel-managed: one shard) and its shared, multiplexed Lettuce
 * connections ({@code connectionsPerParticipant}), which commands take in turn. Nothing needs one transaction's
 * commands on one connection: each step waits for the reply of the step it depends on, and a command that overtakes
 * another of its transaction (an abort sent after a prepare timed out) is what the tombstones already settle.
 */
final class Participant {

    private final String name;
    private final RedisURI uri;
    private final String[] probeArgs;
    private final boolean requireSyncedWrites;
    private final RedisClient client;
    private final Deadlines deadlines;
    private final Duration connectTimeout;
    /** The connections, each made on first use; commands take them in turn. */
    private final Lane[] lanes;

    private final AtomicInteger nextLane = new AtomicInteger();
    private volatile boolean closed;

    Participant(
            String name,
            RedisURI uri,
            RedisClient client,
            Deadlines deadlines,
            Duration connectTimeout,
            int connections,
            String probeKey,
            boolean requireSyncedWrites) {
        this.name = name;
        this.requireSyncedWrites = requireSyncedWrites;
        this.probeArgs = new String[LuaScript.CALLED_COMMANDS.size() + 1];
        probeArgs[0] = probeKey;
        for (int i = 0; i < LuaScript.CALLED_COMMANDS.size(); i++) {
            probeArgs[i + 1] = LuaScript.CALLED_COMMANDS.get(i);
        }
        this.uri = uri;
        this.client = client;
        this.deadlines = deadlines;
        this.connectTimeout = connectTimeout;
        this.lanes = new Lane[connections];
        for (int i = 0; i < connections; i++) {
            lanes[i] = new Lane();
        }
    }

    String name() {
        return name;
    }

    RedisURI uri() {
        return uri;
    }

    private Mono<StatefulRedisConnection<String, String>> checkDurability(StatefulRedisConnection<String, String> c) {
        if (!requireSyncedWrites) {
            return Mono.just(c);
        }
        return durability(c)
                .flatMap(d -> d.level() == ParticipantDurability.Level.EVERY_WRITE_SYNCED
                        ? Mono.just(c)
                        : Mono.error(new ParticipantErrorException(
                                null,
                                name,
                                "requireSyncedWrites needs appendonly yes and appendfsync always, found " + d.level()
                                        + (d.detail().isEmpty() ? "" : " (" + d.detail() + ")")
                                        + " (appendonly=" + d.appendOnly() + ", appendfsync=" + d.appendFsync() + ")",
                                null)));
    }

    /** Reads the persistence settings (connecting if needed). Never an error: what cannot be read is UNKNOWN. */
    Mono<ParticipantDurability> durability() {
        return lanes[0].connection.flatMap(this::durability).onErrorResume(e -> Mono.just(unknown(e)));
    }

    private Mono<ParticipantDurability> durability(StatefulRedisConnection<String, String> c) {
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
     * Runs a script by digest; after NOSCRIPT (a restarted or flushed server has an empty script cache) it loads the
     * script and runs it once more. Every script is idempotent, so the second run is harmless even if the first ran.
     * {@code timeout} bounds each command once connected (signalled as {@link java.util.concurrent.TimeoutException});
     * failing to connect is a {@link ParticipantUnavailableException}.
     */
    Mono<List<Object>> eval(LuaScript script, Duration timeout, String[] keys, String... args) {
        return eval(script, timeout, null, keys, args);
    }

    /**
     * Like {@link #eval(LuaScript, Duration, String[], String...)}, and hands every command sent to {@code sent}, so
     * the caller can wait for commands whose subscriber has gone (see {@link DefaultTransaction#sentCommandsDone}).
     */
    Mono<List<Object>> eval(
            LuaScript script, Duration timeout, Consumer<CompletableFuture<?>> sent, String[] keys, String... args) {
        Lane lane =
                lanes.length == 1 ? lanes[0] : lanes[(nextLane.getAndIncrement() & Integer.MAX_VALUE) % lanes.length];
        StatefulRedisConnection<String, String> ready = lane.ready;
        if (ready != null) {
            return run(ready, script, timeout, sent, keys, args); // the usual case: skip the cached connect step
        }
        return lane.connection.flatMap(c -> run(c, script, timeout, sent, keys, args));
    }

    private Mono<List<Object>> run(
            StatefulRedisConnection<String, String> c,
            LuaScript script,
            Duration timeout,
            Consumer<CompletableFuture<?>> sent,
            String[] keys,
            String[] args) {
        return evalsha(c, script, timeout, sent, keys, args)
                .onErrorResume(
                        RedisNoScriptException.class,
                        e -> Mono.fromFuture(
                                        () -> deadlines.bound(
                                                c.async()
                                                        .scriptLoad(script.body())
                                                        .toCompletableFuture(),
                                                timeout),
                                        true)
                                .then(evalsha(c, script, timeout, sent, keys, args)));
    }

    private Mono<List<Object>> evalsha(
            StatefulRedisConnection<String, String> c,
            LuaScript script,
            Duration timeout,
            Consumer<CompletableFuture<?>> sent,
            String[] keys,
            String[] args) {
        // The async API, not the reactive one: a cancelled subscriber (a timeout, a sibling's failure in a fan-out)
        // must not cancel a command already handed to the connection. Its reply is still read and dropped; the
        // scripts are idempotent, and abort/settle logic, not cancellation, decides what a sent command meant.
        // The time limit is the command's own (see Deadlines), not a Reactor timeout() around it.
        return Mono.defer(() -> {
            CompletableFuture<List<Object>> reply = deadlines.bound(
                    c.async()
                            .<List<Object>>evalsha(script.sha(), ScriptOutputType.MULTI, keys, args)
                            .toCompletableFuture(),
                    timeout);
            if (sent != null) {
                sent.accept(reply);
            }
            return Mono.fromFuture(reply, true);
        });
    }

    Mono<Void> close() {
        closed = true;
        return Flux.fromArray(lanes).flatMap(Lane::close).then();
    }

    /**
     * One multiplexed connection, made on first use; a failed attempt is not cached, so the next use tries again.
     */
    private final class Lane {
        private final AtomicReference<StatefulRedisConnection<String, String>> open = new AtomicReference<>();
        /** The connection once adopted (scripts loaded, checks passed), until closed; null before. */
        private volatile StatefulRedisConnection<String, String> ready;

        private final Mono<StatefulRedisConnection<String, String>> connection;

        Lane() {
            // Bounded on its own: a first connection (handshake, script loading, a cold JVM) must not eat into the
            // timeout of the command that triggered it.
            this.connection = Mono.defer(() -> Mono.fromCompletionStage(client.connectAsync(StringCodec.UTF8, uri)))
                    .flatMap(this::adopt)
                    .timeout(connectTimeout)
                    // A refusal (NOPERM, WRONGPASS) is not transient: retrying cannot fix a missing permission. A
                    // server that cannot run commands yet (LOADING after a restart, BUSY, ...) is only unavailable
                    // for now.
                    .onErrorMap(
                            e -> !(e instanceof RedtxException),
                            e -> e instanceof RedisCommandExecutionException && !Errors.notYet(e)
                                    ? new ParticipantErrorException(null, name, e.getMessage(), e)
                                    : new ParticipantUnavailableException(null, name, e))
                    .cacheInvalidateIf(c -> false);
        }

        /** Keeps a fresh connection unless the runtime closed meanwhile (then it must not leak); preloads scripts. */
        private Mono<StatefulRedisConnection<String, String>> adopt(StatefulRedisConnection<String, String> c) {
            if (closed || !open.compareAndSet(null, c)) {
                return Mono.fromCompletionStage(c.closeAsync())
                        .then(Mono.error(new ParticipantUnavailableException(
                                null, name, new IllegalStateException("runtime closed"))));
            }
            return Flux.fromArray(LuaScript.values())
                    .concatMap(s -> c.reactive().scriptLoad(s.body()))
                    .then(evalsha(c, LuaScript.PROBE, connectTimeout, null, new String[0], probeArgs))
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
                        ready = adopted;
                        if (open.get() != adopted) {
                            ready = null; // discarded meanwhile (a timeout or cancel raced the last step)
                        }
                    })
                    .doOnError(e -> discard(c))
                    .doOnCancel(() -> discard(c));
        }

        private void discard(StatefulRedisConnection<String, String> c) {
            if (open.compareAndSet(c, null)) {
                if (ready == c) {
                    ready = null;
                }
                c.closeAsync(); // nothing waits for it: the connection was never handed out
            }
        }

        Mono<Void> close() {
            ready = null;
            StatefulRedisConnection<String, String> c = open.getAndSet(null);
            return c == null ? Mono.empty() : Mono.fromCompletionStage(c.closeAsync());
        }
    }

    @Override
    public String toString() {
        return "Participant{" + name + "}";
    }
}
