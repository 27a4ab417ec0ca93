package io.redtx.runtime.internal.redis;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import reactor.core.publisher.Mono;

/**
 * What one script changes atomically (docs/design.md#words): a standalone or Sentinel participant as a whole, or one
 * hash slot of a Redis Cluster participant. Redis refuses a script whose declared keys span two slots, even on one node
 * and even with {@code allow-cross-slot-keys}, so a Cluster's unit is the slot: its user keys, their lock keys, and the
 * transaction's intent and index keys (tagged with the slot) all hash there, move together when the slot is resharded,
 * and are all declared.
 *
 * <p>The name written in records (the primary, the list of shards) is the participant's name, or {@code name@slot}
 * ('@' is not allowed in participant names).
 */
public final class Shard {

    public final ParticipantLink participant;
    /** The Cluster slot, or -1 for the whole (standalone or Sentinel) participant. */
    final int slot;

    public final String name;
    public final String indexKey;
    private final String txPrefix;
    private final String onePhasePrefix;

    public Shard(ParticipantLink participant, int slot, Keys keys) {
        this.participant = participant;
        this.slot = slot;
        this.name = slot < 0 ? participant.name() : participant.name() + "@" + slot;
        this.indexKey = keys.indexKey(slot);
        this.txPrefix = keys.txPrefix(slot);
        this.onePhasePrefix = keys.onePhasePrefix(slot);
    }

    /** @return the key of the intent (and, on the primary, the record) of transaction {@code id} on this shard */
    public String txKey(String id) {
        return txPrefix + id;
    }

    /** @return the hash of this shard where a one-phase commit {@code id} leaves its marker; null for a foreign id */
    public String onePhaseKey(String id) {
        return Keys.onePhaseKey(onePhasePrefix, id);
    }

    /** @return what {@link #txKey} appends a transaction id to: scripts that meet other transactions' locks need it */
    public String txPrefix() {
        return txPrefix;
    }

    /** @return {@link #txKey} and {@link #indexKey}, the first keys of most scripts */
    public String[] txKeys(String id) {
        return new String[] {txKey(id), indexKey};
    }

    /** Runs a script whose declared keys are all this shard's (see {@link Participant#eval}). */
    public Mono<List<Object>> eval(LuaScript script, Duration timeout, String[] keys, String... args) {
        return participant.eval(script, timeout, null, keys, args);
    }

    /** Like {@link #eval(LuaScript, Duration, String[], String...)}, handing every command sent to {@code sent}. */
    public Mono<List<Object>> eval(
            LuaScript script, Duration timeout, Consumer<CompletableFuture<?>> sent, String[] keys, String... args) {
        return participant.eval(script, timeout, sent, keys, args);
    }

    /** See {@link Participant#evalOnce}: a refusal because the slot is being resharded fails at once. */
    public Mono<List<Object>> evalOnce(
            LuaScript script, Duration timeout, Consumer<CompletableFuture<?>> sent, String[] keys, String... args) {
        return participant.evalOnce(script, timeout, sent, keys, args);
    }

    @Override
    public String toString() {
        return "Shard{" + name + "}";
    }
}
