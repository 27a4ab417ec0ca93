package io.redtx.runtime.internal.handle;

import io.redtx.api.KeyCommands;
import io.redtx.api.ParticipantErrorException;
import io.redtx.api.RedtxArgumentException;
import io.redtx.api.StreamTrim;
import io.redtx.api.TransactionCommands;
import io.redtx.api.TransactionPhase;
import io.redtx.api.lock.StaleTokenException;
import io.redtx.runtime.internal.protocol.IntentWait;
import io.redtx.runtime.internal.redis.Errors;
import io.redtx.runtime.internal.redis.ParticipantLink;
import io.redtx.runtime.internal.redis.ReadReply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import reactor.core.publisher.Mono;

/**
 * The commands of one participant inside one transaction. Local decisions (read-your-writes, repeated reads, buffered
 * writes) happen under the transaction's monitor; reads that need the server run the READ script, which also refuses
 * keys under a foreign write intent (reads issued together share one call: {@link ReadBatch}).
 */
final class DefaultTransactionCommands implements TransactionCommands {

    /**
     * How many times one read waits for a foreign write intent to settle before it is a conflict: each wait ends when
     * that intent settles, so more than a few means writers keep taking the key, and the reader should back off.
     */
    static final int INTENT_WAITS = 4;

    private final DefaultTransaction tx;
    private final ParticipantLink participant;

    DefaultTransactionCommands(DefaultTransaction tx, ParticipantLink participant) {
        this.tx = tx;
        this.participant = participant;
    }

    @Override
    public String participant() {
        return participant.name();
    }

    // ---- strings ----

    @Override
    public Mono<String> get(String key) {
        return stringView(key, "GET", null).flatMap(Mono::justOrEmpty);
    }

    @Override
    public Mono<Void> set(String key, String value) {
        return tx.writing("set", key, participant.name(), Mono.fromRunnable(() -> {
            tx.checkValue(() -> "value of '" + key + "'", value);
            synchronized (tx) {
                tx.entry(participant, key).setString(value);
            }
        }));
    }

    @Override
    public Mono<Boolean> setIfAbsent(String key, String value) {
        return tx.writing("setIfAbsent", key, participant.name(), Mono.defer(() -> {
            tx.checkValue(() -> "value of '" + key + "'", value);
            KeyEntry e;
            synchronized (tx) {
                e = tx.entry(participant, key);
                Boolean exists = localExistence(e);
                if (exists != null) {
                    return Mono.just(setIfAbsent(e, exists, value));
                }
            }
            return read(e, "exists", "", "setIfAbsent").map(reply -> {
                synchronized (tx) {
                    tx.checkActive();
                    if (e.existsSeen == null) {
                        e.existsSeen = "1".equals(reply.valueOrNull());
                    }
                    Boolean exists = localExistence(e);
                    return setIfAbsent(e, exists, value);
                }
            });
        }));
    }

    private static boolean setIfAbsent(KeyEntry e, boolean exists, String value) {
        if (exists) {
            return false;
        }
        e.setString(value);
        return true;
    }

    /** Existence in this transaction's view, or null if only the server knows. */
    private static Boolean localExistence(KeyEntry e) {
        switch (e.write) {
            case STRING -> {
                return Boolean.TRUE;
            }
            case DELETE -> {
                return Boolean.FALSE;
            }
            case HASH -> {
                if (e.hashOverlay.values().stream().anyMatch(v -> v != null)) {
                    return Boolean.TRUE;
                }
                if (e.hashReplace) {
                    return Boolean.FALSE;
                }
                // Only deleted fields of the stored hash: whether any remain depends on what was read.
            }
            default -> {}
        }
        if (e.existsSeen != null) {
            return e.existsSeen;
        }
        if (e.stringRead) {
            return e.stringSeen != null;
        }
        return null;
    }

    @Override
    public Mono<Void> del(String key) {
        return tx.writing("del", key, participant.name(), Mono.fromRunnable(() -> {
            synchronized (tx) {
                tx.entry(participant, key).delete();
            }
        }));
    }

    @Override
    public Mono<Long> incrBy(String key, long delta) {
        return tx.writing(
                "incrBy",
                key,
                participant.name(),
                stringView(key, "INCRBY", "incrBy").map(current -> {
                    long next = add(key, null, current.orElse(null), delta);
                    synchronized (tx) {
                        tx.checkActive();
                        tx.entry(participant, key).setString(Long.toString(next));
                    }
                    return next;
                }));
    }

    @Override
    public Mono<Long> decrBy(String key, long delta) {
        if (delta == Long.MIN_VALUE) {
            return Mono.error(new RedtxArgumentException(tx.id(), "decrBy delta " + delta + " cannot be negated"));
        }
        return incrBy(key, -delta);
    }

    /** The string value in this transaction's view: own write, earlier read, or a read from the server. */
    /** @param writer the writing operation that buffers a write after this view, or null for a pure read */
    private Mono<Optional<String>> stringView(String key, String command, String writer) {
        return stringView(key, command, writer, false);
    }

    /** @param internal whether {@code key} is one of redtx's own (a fence), which users may not name */
    Mono<Optional<String>> stringView(String key, String command, String writer, boolean internal) {
        return Mono.defer(() -> {
            KeyEntry e;
            synchronized (tx) {
                e = internal ? tx.internalEntry(participant, key) : tx.entry(participant, key);
                switch (e.write) {
                    case STRING -> {
                        return Mono.just(Optional.of(e.stringValue));
                    }
                    case DELETE -> {
                        return Mono.just(Optional.empty());
                    }
                    case HASH -> {
                        return Mono.error(wrongType(key, "a hash", command));
                    }
                    default -> {
                        if (e.stringRead) {
                            return Mono.just(Optional.ofNullable(e.stringSeen));
                        }
                    }
                }
            }
            return read(e, "get", "", writer).map(reply -> {
                String seen = reply.valueOrNull();
                synchronized (tx) {
                    tx.checkActive();
                    if (!e.stringRead) {
                        e.stringRead = true;
                        e.stringSeen = seen;
                    }
                    return Optional.ofNullable(e.write == KeyEntry.WriteKind.STRING ? e.stringValue : e.stringSeen);
                }
            });
        });
    }

    // ---- hashes ----

    @Override
    public Mono<String> hget(String key, String field) {
        return fieldView(key, field, "HGET", null).flatMap(Mono::justOrEmpty);
    }

    @Override
    public Mono<Map<String, String>> hgetAll(String key) {
        return hgetAll(key, false);
    }

    /** @param internal whether {@code key} is one of redtx's own (a saga index), which users may not name */
    Mono<Map<String, String>> hgetAll(String key, boolean internal) {
        return Mono.defer(() -> {
            KeyEntry e;
            synchronized (tx) {
                e = internal ? tx.internalEntry(participant, key) : tx.entry(participant, key);
                switch (e.write) {
                    case STRING -> {
                        return Mono.error(wrongType(key, "a string", "HGETALL"));
                    }
                    case DELETE -> {
                        return Mono.just(Map.of());
                    }
                    default -> {
                        if (e.write == KeyEntry.WriteKind.HASH && e.hashReplace) {
                            return Mono.just(overlay(new HashMap<>(), e));
                        }
                        if (e.hashSeen != null) {
                            return Mono.just(overlay(new HashMap<>(e.hashSeen), e));
                        }
                    }
                }
            }
            return read(e, "hgetall", "", null).map(reply -> {
                Map<String, String> seen = new HashMap<>(((ReadReply.Hash) reply).fields());
                synchronized (tx) {
                    tx.checkActive();
                    if (e.hashSeen == null) {
                        e.hashSeen = seen;
                    }
                    return overlay(new HashMap<>(e.hashSeen), e);
                }
            });
        });
    }

    private static Map<String, String> overlay(Map<String, String> base, KeyEntry e) {
        if (e.write == KeyEntry.WriteKind.HASH) {
            e.hashOverlay.forEach((f, v) -> {
                if (v == null) {
                    base.remove(f);
                } else {
                    base.put(f, v);
                }
            });
        }
        return base;
    }

    @Override
    public Mono<Void> hset(String key, String field, String value) {
        return tx.writing("hset", key, participant.name(), Mono.fromRunnable(() -> {
            checkField(key, field);
            tx.checkValue(() -> "value of '" + key + "' field '" + field + "'", value);
            synchronized (tx) {
                hashWrite(key, "HSET").put(field, value);
            }
        }));
    }

    @Override
    public Mono<Void> hset(String key, Map<String, String> fields) {
        return tx.writing("hset", key, participant.name(), Mono.fromRunnable(() -> {
            if (fields == null || fields.isEmpty()) {
                throw new RedtxArgumentException(tx.id(), "hset of '" + key + "' needs at least one field");
            }
            fields.forEach((f, v) -> {
                checkField(key, f);
                tx.checkValue(() -> "value of '" + key + "' field '" + f + "'", v);
            });
            synchronized (tx) {
                hashWrite(key, "HSET").putAll(fields);
            }
        }));
    }

    @Override
    public Mono<Void> hdel(String key, String... fields) {
        return tx.writing("hdel", key, participant.name(), Mono.fromRunnable(() -> {
            if (fields == null || fields.length == 0) {
                throw new RedtxArgumentException(tx.id(), "hdel of '" + key + "' needs at least one field");
            }
            for (String f : fields) {
                checkField(key, f);
            }
            synchronized (tx) {
                KeyEntry e = tx.entry(participant, key);
                if (e.write == KeyEntry.WriteKind.DELETE) {
                    return; // the hash is already gone in this transaction
                }
                Map<String, String> overlay = hashWrite(key, "HDEL");
                for (String f : fields) {
                    overlay.put(f, null);
                }
            }
        }));
    }

    @Override
    public Mono<Long> hincrBy(String key, String field, long delta) {
        return tx.writing(
                "hincrBy",
                key,
                participant.name(),
                fieldView(key, field, "HINCRBY", "hincrBy").map(current -> {
                    long next = add(key, field, current.orElse(null), delta);
                    synchronized (tx) {
                        tx.checkActive();
                        hashWrite(key, "HINCRBY").put(field, Long.toString(next));
                    }
                    return next;
                }));
    }

    /** Call holding the transaction's monitor. */
    private Map<String, String> hashWrite(String key, String command) {
        return hashWrite(key, command, false);
    }

    /** Call holding the transaction's monitor; {@code internal} as for {@link #hgetAll(String, boolean)}. */
    Map<String, String> hashWrite(String key, String command, boolean internal) {
        KeyEntry e = internal ? tx.internalEntry(participant, key) : tx.entry(participant, key);
        if (e.write == KeyEntry.WriteKind.STRING) {
            throw wrongType(key, "a string", command);
        }
        return e.hashWrite();
    }

    /** @param writer the writing operation that buffers a write after this view, or null for a pure read */
    private Mono<Optional<String>> fieldView(String key, String field, String command, String writer) {
        return Mono.defer(() -> {
            checkField(key, field);
            KeyEntry e;
            synchronized (tx) {
                e = tx.entry(participant, key);
                Optional<Optional<String>> local = localField(e, field, command);
                if (local != null) {
                    return Mono.just(local.get());
                }
            }
            return read(e, "hget", field, writer).map(reply -> {
                String seen = reply.valueOrNull();
                synchronized (tx) {
                    tx.checkActive();
                    e.recordField(field, seen);
                    Optional<Optional<String>> local = localField(e, field, command);
                    return local == null ? Optional.ofNullable(seen) : local.get();
                }
            });
        });
    }

    /** The field in this transaction's view, or null if only the server knows. */
    private Optional<Optional<String>> localField(KeyEntry e, String field, String command) {
        switch (e.write) {
            case STRING -> throw wrongType(e.key, "a string", command);
            case DELETE -> {
                return Optional.of(Optional.empty());
            }
            case HASH -> {
                if (e.hashOverlay.containsKey(field)) {
                    return Optional.of(Optional.ofNullable(e.hashOverlay.get(field)));
                }
                if (e.hashReplace) {
                    return Optional.of(Optional.empty());
                }
            }
            default -> {}
        }
        if (e.hashSeen != null) {
            return Optional.of(Optional.ofNullable(e.hashSeen.get(field)));
        }
        if (e.fieldsSeen != null && e.fieldsSeen.containsKey(field)) {
            return Optional.of(Optional.ofNullable(e.fieldsSeen.get(field)));
        }
        return null;
    }

    // ---- conditions ----

    @Override
    public Mono<Void> expect(String key, String value) {
        return Mono.fromRunnable(() -> {
            tx.checkValue(() -> "expected value of '" + key + "'", value);
            synchronized (tx) {
                KeyEntry e = tx.entry(participant, key);
                e.conditions.add("c");
                e.conditions.add(value);
            }
        });
    }

    @Override
    public Mono<Void> expectAbsent(String key) {
        return Mono.fromRunnable(() -> {
            synchronized (tx) {
                tx.entry(participant, key).conditions.add("a");
            }
        });
    }

    // ---- outbox ----

    @Override
    public Mono<Void> publish(String stream, Map<String, String> fields, StreamTrim trim) {
        return tx.writing("publish", stream, participant.name(), Mono.fromRunnable(() -> {
            if (fields == null || fields.isEmpty()) {
                throw new RedtxArgumentException(
                        tx.id(), "message for stream '" + stream + "' must have at least one field");
            }
            if (trim == null) {
                throw new RedtxArgumentException(tx.id(), "trim of stream '" + stream + "' must not be null");
            }
            List<String> append = new ArrayList<>(4 + 2 * (fields.size() + 1));
            append.add(trim.strategy());
            append.add(trim.approximate() ? "~" : "=");
            append.add(trim.threshold());
            append.add(Integer.toString(fields.size() + 1));
            append.add(KeyCommands.TRANSACTION_FIELD);
            append.add(tx.id());
            fields.forEach((field, value) -> {
                if (field == null || field.isEmpty() || field.equals(KeyCommands.TRANSACTION_FIELD)) {
                    throw new RedtxArgumentException(
                            tx.id(),
                            "message for stream '" + stream + "' has field "
                                    + (field == null ? "null" : "'" + field + "'")
                                    + ": fields must be non-empty and not '" + KeyCommands.TRANSACTION_FIELD + "'");
                }
                if (value == null) {
                    throw new RedtxArgumentException(
                            tx.id(), "field '" + field + "' of the message for stream '" + stream + "' is null");
                }
                append.add(field);
                append.add(value);
            });
            tx.checkValues(() -> "message for stream '" + stream + "' (its fields and values)", fields);
            synchronized (tx) {
                tx.streamEntry(participant, stream).streamAppends.add(append);
            }
        }));
    }

    // ---- fencing ----

    @Override
    public Mono<Void> fence(String resource, long token) {
        return tx.writing("fence", resource, participant.name(), Mono.defer(() -> {
            if (resource == null || resource.isEmpty()) {
                return Mono.error(new RedtxArgumentException(
                        tx.id(),
                        "fenced resource must not be null or empty (participant '" + participant.name() + "')"));
            }
            if (token < 1) {
                return Mono.error(new RedtxArgumentException(
                        tx.id(), "fencing token for '" + resource + "' must be positive, was " + token));
            }
            String key = tx.ctx.keys.fenceKey(resource);
            return stringView(key, "FENCE", "fence", true).flatMap(current -> {
                long seen = current.map(Long::parseLong).orElse(0L);
                if (seen > token) {
                    return Mono.error(new StaleTokenException(tx.id(), resource, token, seen));
                }
                if (token > seen) {
                    synchronized (tx) {
                        tx.checkActive();
                        tx.internalEntry(participant, key).setString(Long.toString(token));
                    }
                }
                return Mono.empty();
            });
        }));
    }

    // ---- consumers ----

    Mono<Boolean> processOnce(String marker, Duration retention, String stream, String group, String id) {
        return stringView(marker, "GET", "processed marker", true).map(seen -> {
            synchronized (tx) {
                tx.checkActive();
                KeyEntry e = tx.internalEntry(participant, marker);
                if (seen.isEmpty()) {
                    e.setString(tx.id(), retention.toMillis());
                }
                KeyEntry s = tx.streamEntry(participant, stream);
                s.streamAcks.add(group);
                s.streamAcks.add(id);
            }
            return seen.isEmpty();
        });
    }

    // ---- helpers ----

    /**
     * A read from the server, counted as an operation of the handle while it runs (a commit waits for it). Its
     * subscriber's work on the value (recording it, buffering {@code writer}'s write) runs before it counts as done.
     *
     * @param writer the writing operation that buffers a write with what this reads, or null for a pure read: cancelled
     *     before its value, that write is lost, and the handle refuses to commit
     */
    private Mono<ReadReply> read(KeyEntry e, String op, String field, String writer) {
        Duration timeout = tx.ctx.options.timeouts().read();
        // A future, not a MonoSink: a batch's reply (or error) may come after this read's subscriber left, and must
        // then be dropped quietly, not handed to Reactor's onErrorDropped.
        Mono<ReadReply> once = Mono.defer(() -> {
                    CompletableFuture<ReadReply> reply = new CompletableFuture<>();
                    ReadBatch now;
                    synchronized (tx) {
                        now = ReadBatch.add(tx, e, op, field, reply);
                    }
                    if (now != null) {
                        now.send();
                    }
                    return tx.delivered(reply);
                })
                .onErrorMap(err -> Errors.map(err, tx.id(), participant.name(), TransactionPhase.READ, timeout));
        Duration intentWait = tx.ctx.options.timeouts().intentWait();
        Mono<ReadReply> read = Mono.defer(() -> settledRead(once, e, System.nanoTime() + intentWait.toNanos(), 0))
                .flatMap(reply -> {
                    if (reply instanceof ReadReply.WrongType wrong) {
                        return Mono.error(new ParticipantErrorException(
                                tx.id(),
                                participant.name(),
                                "WRONGTYPE key '" + e.key + "' holds a " + wrong.type() + " (" + op + ")",
                                null));
                    }
                    return Mono.just(reply);
                });
        return tx.operation(read, writer != null, () -> described(writer, e.key));
    }

    /**
     * {@code once}, read again after each foreign write intent it meets has settled ({@link IntentWait}), at most
     * {@link #INTENT_WAITS} times and until {@code deadlineNanos} ({@code timeouts.intentWait} after the first
     * attempt); then the intent is a conflict, as a writer's would be. An owner whose lease expired is settled by the resolver first.
     */
    private Mono<ReadReply> settledRead(Mono<ReadReply> once, KeyEntry e, long deadlineNanos, int waits) {
        return once.flatMap(reply -> {
            if (!(reply instanceof ReadReply.Locked locked)) {
                return Mono.just(reply);
            }
            String owner = locked.owner();
            Mono<?> resolved = tx.ctx.resolver.resolve(e.shard, owner);
            if (waits >= INTENT_WAITS || System.nanoTime() >= deadlineNanos) {
                return resolved.then(tx.delivered(
                        CompletableFuture.<ReadReply>failedFuture(tx.foreignIntent(participant, e.key, owner))));
            }
            return resolved.then(IntentWait.settled(tx.ctx, e.shard, e.lockKey, owner, deadlineNanos))
                    .then(Mono.defer(() -> settledRead(once, e, deadlineNanos, waits + 1)));
        });
    }

    /** Names an operation for an error message: {@code incrBy of 'k' on 'a'}. */
    private String described(String operation, String key) {
        return operation + " of '" + key + "' on '" + participant.name() + "'";
    }

    private void checkField(String key, String field) {
        if (field == null || field.isEmpty()) {
            throw new RedtxArgumentException(tx.id(), "hash field of '" + key + "' must not be null or empty");
        }
    }

    private RedtxArgumentException wrongType(String key, String holds, String command) {
        return new RedtxArgumentException(
                tx.id(), "key '" + key + "' holds " + holds + " in this transaction; " + command + " does not apply");
    }

    private long add(String key, String field, String current, long delta) {
        String what = field == null ? "value of '" + key + "'" : "field '" + field + "' of '" + key + "'";
        long base;
        try {
            base = current == null ? 0 : Long.parseLong(current);
        } catch (NumberFormatException notInteger) {
            throw new RedtxArgumentException(tx.id(), what + " is not an integer: '" + current + "'");
        }
        try {
            return Math.addExact(base, delta);
        } catch (ArithmeticException overflow) {
            throw new RedtxArgumentException(tx.id(), what + " + " + delta + " overflows a 64-bit integer");
        }
    }
}
