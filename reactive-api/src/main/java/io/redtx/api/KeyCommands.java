package io.redtx.api;

import java.util.Map;
import reactor.core.publisher.Mono;

/**
 * Reads and buffered writes inside one transaction: on one participant ({@link Transaction#on(String)}, a
 * {@link TransactionCommands}) or on the participant the runtime's {@link io.redtx.api.routing.KeyRouter} names for
 * each key ({@link Transaction#routed()}).
 *
 * <p>Every method is lazy: nothing happens until the returned {@code Mono} is subscribed. Reads go to the participant
 * (one round trip) unless this transaction already wrote the key, in which case they see the transaction's own
 * writes; what a read saw is recorded and validated at commit (optimistic, like {@code WATCH}). A read of a key that
 * another transaction holds an intent on fails with {@link TransactionConflictException} (retryable). Writes are only
 * buffered in the client and applied atomically at commit; <em>blind</em> writes ({@code set}, {@code del},
 * {@code hset}, {@code hdel}) do not read the key, so they add nothing to the read set.
 *
 * <p>Bad input — null or empty key or field, null value, a key in the runtime's internal namespace, a value over
 * {@link LimitOptions#maxValueBytes()}, more distinct keys than {@link LimitOptions#maxKeysPerTransaction()} —
 * is signalled as {@link RedtxArgumentException}; use after commit or rollback as {@link TransactionStateException}.
 */
public interface KeyCommands {

    /**
     * Reads a string key.
     *
     * @param key the key
     * @return the value, or empty if the key does not exist (in this transaction's view)
     */
    Mono<String> get(String key);

    /**
     * Buffers {@code SET key value} (blind: the key is not read).
     *
     * @param key the key
     * @param value the value
     * @return completes once buffered
     */
    Mono<Void> set(String key, String value);

    /**
     * Sets the key only if it does not exist; reads the key's existence, so a concurrent creation conflicts.
     *
     * @param key the key
     * @param value the value
     * @return {@code true} if the value was buffered, {@code false} if the key exists
     */
    Mono<Boolean> setIfAbsent(String key, String value);

    /**
     * Buffers {@code DEL key} (blind), whatever type the key holds.
     *
     * @param key the key
     * @return completes once buffered
     */
    Mono<Void> del(String key);

    /**
     * Adds {@code delta} to an integer string value (absent counts as 0); reads the key.
     *
     * @param key the key
     * @param delta the amount to add, may be negative
     * @return the new value in this transaction's view; {@link RedtxArgumentException} if the value is not an
     *     integer or the result overflows
     */
    Mono<Long> incrBy(String key, long delta);

    /**
     * Subtracts {@code delta}; the same as {@code incrBy(key, -delta)}.
     *
     * @param key the key
     * @param delta the amount to subtract
     * @return the new value in this transaction's view
     */
    Mono<Long> decrBy(String key, long delta);

    /**
     * Reads one field of a hash.
     *
     * @param key the hash key
     * @param field the field
     * @return the field's value, or empty if the field or the hash does not exist
     */
    Mono<String> hget(String key, String field);

    /**
     * Reads a whole hash.
     *
     * @param key the hash key
     * @return every field and value (empty map if the hash does not exist), in no particular order
     */
    Mono<Map<String, String>> hgetAll(String key);

    /**
     * Buffers {@code HSET key field value} (blind).
     *
     * @param key the hash key
     * @param field the field
     * @param value the value
     * @return completes once buffered
     */
    Mono<Void> hset(String key, String field, String value);

    /**
     * Buffers {@code HSET key f1 v1 f2 v2 ...} (blind).
     *
     * @param key the hash key
     * @param fields the fields and values, at least one
     * @return completes once buffered
     */
    Mono<Void> hset(String key, Map<String, String> fields);

    /**
     * Buffers {@code HDEL key fields...} (blind).
     *
     * @param key the hash key
     * @param fields the fields, at least one
     * @return completes once buffered
     */
    Mono<Void> hdel(String key, String... fields);

    /**
     * Adds {@code delta} to an integer hash field (absent counts as 0); reads the field.
     *
     * @param key the hash key
     * @param field the field
     * @param delta the amount to add, may be negative
     * @return the new value in this transaction's view
     */
    Mono<Long> hincrBy(String key, String field, long delta);

    /**
     * Adds a condition checked atomically at commit, like {@code WATCH}: the string key must hold {@code value}. The
     * check is not made now; if it fails at commit the transaction fails with {@link TransactionConflictException}
     * (reason {@code CONDITION_FAILED}).
     *
     * @param key the key
     * @param value the value the key must hold at commit
     * @return completes once recorded
     */
    Mono<Void> expect(String key, String value);

    /**
     * Adds a condition checked atomically at commit: the key must not exist.
     *
     * @param key the key
     * @return completes once recorded
     */
    Mono<Void> expectAbsent(String key);

    /**
     * Fences writes to {@code resource} by lock tokens: the transaction commits only if {@code token} is not older
     * than the newest token any committed transaction gave for {@code resource} (then it becomes the newest).
     * Typically {@code token} is a {@link io.redtx.api.lock.LockLease#token()}: a holder whose lease ran out and whose
     * lock another holder took and used cannot write any more, even outside {@code requireLock}. The newest token is
     * kept under the runtime's namespace, on this participant, for as long as the resource is fenced.
     *
     * @param resource what the token guards (any name; often the key written)
     * @param token a positive fencing token
     * @return completes once recorded; {@link io.redtx.api.lock.StaleTokenException} if a newer token was seen
     */
    Mono<Void> fence(String resource, long token);

    /**
     * Appends a message to stream {@code stream} with the transaction (a transactional outbox): an {@code XADD} staged
     * like any write and applied in the same script as the transaction's other writes on that shard, in one phase or at
     * the commit point's roll-forward (by recovery too). The entry exists if and only if the transaction committed; its
     * id is given by Redis then. Besides {@code fields} it carries the field {@value #TRANSACTION_FIELD} with the id of
     * the attempt that committed. Appends to one stream in one transaction keep their order. No read of the stream is
     * validated.
     *
     * @param stream the stream's key (not in the runtime's namespace)
     * @param fields the message: at least one field, none named {@value #TRANSACTION_FIELD}, no null value; fields and
     *     values together at most {@link LimitOptions#maxValueBytes()} (UTF-8)
     * @return completes once staged; nothing is written before the commit
     */
    default Mono<Void> publish(String stream, Map<String, String> fields) {
        return publish(stream, fields, StreamTrim.NONE);
    }

    /**
     * Like {@link #publish(String, Map)}, trimming the stream as {@code trim} says when the message is appended.
     *
     * @param stream the stream's key
     * @param fields the message
     * @param trim {@code MAXLEN} or {@code MINID}, exact or approximate
     * @return completes once staged
     */
    Mono<Void> publish(String stream, Map<String, String> fields, StreamTrim trim);

    /** The field of every published message that holds the id of the transaction that committed it. */
    String TRANSACTION_FIELD = "redtx-tx";
}
