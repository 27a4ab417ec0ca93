package io.redtx.runtime.internal.handle;

import io.redtx.api.KeyCommands;
import io.redtx.api.RedtxArgumentException;
import io.redtx.api.StreamTrim;
import io.redtx.api.TransactionCommands;
import java.util.Map;
import java.util.function.Function;
import reactor.core.publisher.Mono;

/**
 * {@link io.redtx.api.Transaction#routed()}: each command goes to the commands of the participant the runtime's key
 * router names for its key. Routing happens at subscription, like every other check, so a bad key or a failing router
 * is a {@link RedtxArgumentException} signal and nothing is buffered.
 */
final class RoutedCommands implements KeyCommands {

    private final DefaultTransaction tx;

    RoutedCommands(DefaultTransaction tx) {
        this.tx = tx;
    }

    private <T> Mono<T> on(String key, Function<TransactionCommands, Mono<T>> command) {
        return Mono.defer(() -> command.apply(tx.on(participantFor(key))));
    }

    private String participantFor(String key) {
        if (key == null || key.isEmpty()) {
            throw new RedtxArgumentException(tx.id(), "key must not be null or empty (routed)");
        }
        String name;
        try {
            name = tx.ctx.options.keyRouter().participantFor(key);
        } catch (RuntimeException e) {
            throw new RedtxArgumentException(
                    tx.id(), "keyRouter " + tx.ctx.options.keyRouter() + " failed for key '" + key + "': " + e);
        }
        if (name == null || !tx.ctx.options.participants().containsKey(name)) {
            throw new RedtxArgumentException(
                    tx.id(),
                    "keyRouter " + tx.ctx.options.keyRouter() + " named participant "
                            + (name == null ? "null" : "'" + name + "'") + " for key '" + key + "'; known: "
                            + tx.ctx.options.participants().keySet());
        }
        return name;
    }

    @Override
    public Mono<String> get(String key) {
        return on(key, c -> c.get(key));
    }

    @Override
    public Mono<Void> set(String key, String value) {
        return on(key, c -> c.set(key, value));
    }

    @Override
    public Mono<Boolean> setIfAbsent(String key, String value) {
        return on(key, c -> c.setIfAbsent(key, value));
    }

    @Override
    public Mono<Void> del(String key) {
        return on(key, c -> c.del(key));
    }

    @Override
    public Mono<Long> incrBy(String key, long delta) {
        return on(key, c -> c.incrBy(key, delta));
    }

    @Override
    public Mono<Long> decrBy(String key, long delta) {
        return on(key, c -> c.decrBy(key, delta));
    }

    @Override
    public Mono<String> hget(String key, String field) {
        return on(key, c -> c.hget(key, field));
    }

    @Override
    public Mono<Map<String, String>> hgetAll(String key) {
        return on(key, c -> c.hgetAll(key));
    }

    @Override
    public Mono<Void> hset(String key, String field, String value) {
        return on(key, c -> c.hset(key, field, value));
    }

    @Override
    public Mono<Void> hset(String key, Map<String, String> fields) {
        return on(key, c -> c.hset(key, fields));
    }

    @Override
    public Mono<Void> hdel(String key, String... fields) {
        return on(key, c -> c.hdel(key, fields));
    }

    @Override
    public Mono<Long> hincrBy(String key, String field, long delta) {
        return on(key, c -> c.hincrBy(key, field, delta));
    }

    @Override
    public Mono<Void> expect(String key, String value) {
        return on(key, c -> c.expect(key, value));
    }

    @Override
    public Mono<Void> expectAbsent(String key) {
        return on(key, c -> c.expectAbsent(key));
    }

    @Override
    public Mono<Void> fence(String resource, long token) {
        return on(resource, c -> c.fence(resource, token));
    }

    @Override
    public Mono<Void> publish(String stream, Map<String, String> fields, StreamTrim trim) {
        return on(stream, c -> c.publish(stream, fields, trim));
    }
}
