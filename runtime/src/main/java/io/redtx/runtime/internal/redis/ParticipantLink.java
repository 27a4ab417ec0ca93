package io.redtx.runtime.internal.redis;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * What the protocol asks of one participant (the deployment its shards live on): the only way the commit process,
 * the resolver and the transaction handle reach Redis. {@link Participant} sends it over Lettuce; the protocol's own tests put replies they control in its place
 * (a {@code TestPublisher} per script call), so that the state machine is tested step by step, without a server and
 * in virtual time. The scripts themselves are tested against real Redis.
 *
 * <p>Every method is lazy (nothing is sent before subscription) and signals a reply, or an error: a
 * {@link java.util.concurrent.TimeoutException} when no reply came within {@code timeout}, a Lettuce
 * {@code RedisCommandExecutionException} when the server refused the command, a
 * {@link io.redtx.api.ParticipantUnavailableException} when no connection could be made ({@link Errors} classifies
 * them).
 */
public interface ParticipantLink {

    /**
     * What {@link #messages} emits first on a channel, once the server confirmed its subscription: from then on, no
     * message published there is missed.
     */
    String SUBSCRIBED = "";

    /** @return the participant's name, as options, records and errors give it */
    String name();

    /** @return the shard that holds {@code key} */
    Shard shardOf(String key);

    /**
     * @param slot a Cluster slot, or -1
     * @return the shard of that slot (a Cluster), the whole participant (-1, not a Cluster), or null if there is none
     */
    Shard shard(int slot);

    /**
     * The shards that may hold a key matching {@code pattern} (one of {@link Keys}'s patterns over every slot): a
     * Cluster's found by a scan of its masters; a standalone participant's one shard, where the caller looks itself.
     */
    Flux<Shard> shardsWithKey(Function<Keys, String> pattern, Duration timeout);

    /**
     * The lock keys for this recovery pass to sweep: the next share (at most {@code scans} calls) of an incremental
     * scan of the participant's lock keys, going on where the previous pass stopped.
     */
    Flux<String> lockKeysToSweep(int scans, Duration timeout);

    /**
     * {@link #SUBSCRIBED}, then the messages published on {@code channel} on this participant: hints for waiting lock
     * acquisitions (a lock was released). Best effort: a message may be missed (no Pub/Sub connection, a reconnect),
     * so a listener keeps its own timer too. Never an error.
     *
     * @param channel a Pub/Sub channel
     * @return its messages until cancelled
     */
    Flux<String> messages(String channel);

    /**
     * Runs {@code script} with {@code keys} (all in one shard) and {@code args}; on a Cluster, waits out a migration of
     * their slot within {@code timeout}.
     *
     * @param sent if not null, gets every command sent, so the caller can wait for commands whose subscriber has gone
     * @return the script's reply, decoded by the script's reply type ({@link CommitReply}, {@link AbortReply},
     *     {@link Inspection}, {@link ReadReply})
     */
    Mono<List<Object>> eval(
            LuaScript script, Duration timeout, Consumer<CompletableFuture<?>> sent, String[] keys, String... args);

    /** Like {@link #eval}, but a refusal because the keys' Cluster slot is being resharded fails at once. */
    Mono<List<Object>> evalOnce(
            LuaScript script, Duration timeout, Consumer<CompletableFuture<?>> sent, String[] keys, String... args);

    /**
     * What {@code read.lua} answers for one key, read with single-key commands: for a Cluster slot being resharded,
     * where Redis refuses the script but serves single-key commands.
     */
    Mono<ReadReply> readAlone(
            String key,
            String lockKey,
            String op,
            String field,
            String txid,
            Duration timeout,
            Consumer<CompletableFuture<?>> sent);
}
