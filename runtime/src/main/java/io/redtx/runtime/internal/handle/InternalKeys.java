package io.redtx.runtime.internal.handle;

import io.redtx.api.Transaction;
import io.redtx.runtime.internal.redis.ParticipantLink;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import reactor.core.publisher.Mono;

/**
 * Reads and writes of redtx's own keys (a saga's record, lease and index) inside a transaction, which the handle
 * refuses to users: the reads are validated at commit and the writes applied with the transaction's other writes,
 * exactly as a user key's.
 */
public final class InternalKeys {

    private final DefaultTransactionCommands commands;
    private final DefaultTransaction tx;
    private final ParticipantLink participant;

    /**
     * @param tx a transaction of this runtime (the handle {@code inTransaction} gives)
     * @param participant where the keys are
     */
    public InternalKeys(Transaction tx, ParticipantLink participant) {
        this.tx = (DefaultTransaction) tx;
        this.participant = participant;
        this.commands = new DefaultTransactionCommands(this.tx, participant);
    }

    /** @return the string at {@code key}, read into the transaction (validated at commit); empty if absent */
    public Mono<Optional<String>> get(String key) {
        return commands.stringView(key, "GET", "saga record", true);
    }

    /**
     * Buffers a string write of {@code key}.
     *
     * @param ttl the key's expiry once written; zero for none
     */
    public void set(String key, String value, Duration ttl) {
        synchronized (tx) {
            tx.internalEntry(participant, key).setString(value, ttl.toMillis());
        }
    }

    /** Buffers the deletion of {@code key}. */
    public void delete(String key) {
        synchronized (tx) {
            tx.internalEntry(participant, key).delete();
        }
    }

    /** @return the hash at {@code key}, read into the transaction; empty map if absent */
    public Mono<Map<String, String>> hgetAll(String key) {
        return commands.hgetAll(key, true);
    }

    /** Buffers {@code HSET key field value}. */
    public void hset(String key, String field, String value) {
        synchronized (tx) {
            tx.checkActive();
            commands.hashWrite(key, "HSET", true).put(field, value);
        }
    }

    /** Buffers {@code HDEL key field}. */
    public void hdel(String key, String field) {
        synchronized (tx) {
            tx.checkActive();
            KeyEntry e = tx.internalEntry(participant, key);
            if (e.write != KeyEntry.WriteKind.DELETE) {
                commands.hashWrite(key, "HDEL", true).put(field, null);
            }
        }
    }
}
