package io.redtx.runtime.internal.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.runtime.internal.redis.Keys;
import io.redtx.runtime.internal.redis.LuaScript;
import io.redtx.runtime.internal.redis.ParticipantLink;
import io.redtx.runtime.internal.redis.ReadReply;
import io.redtx.runtime.internal.redis.Shard;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.publisher.TestPublisher;

/**
 * A standalone participant for tests of the protocol without Redis: each script call is recorded with what was sent,
 * and waits for the reply (or error) the test gives it through its {@link Call}.
 */
final class ScriptedLink implements ParticipantLink {

    /** One script call: what was sent, and the reply the test gives it. */
    record Call(LuaScript script, String[] keys, String[] args, TestPublisher<List<Object>> reply) {
        void reply(Object... values) {
            reply.emit(List.of(values));
        }

        void error(Throwable e) {
            reply.error(e);
        }
    }

    private final String name;
    private final Shard whole;
    private final List<Call> calls = new CopyOnWriteArrayList<>();

    ScriptedLink(String name, Keys keys) {
        this.name = name;
        this.whole = new Shard(this, -1, keys);
    }

    /** @return the calls of {@code script}, in the order they were subscribed */
    List<Call> calls(LuaScript script) {
        return calls.stream().filter(c -> c.script == script).toList();
    }

    /** @return the one call of {@code script}; fails the test if there is none or more */
    Call only(LuaScript script) {
        List<Call> of = calls(script);
        assertThat(of).as("%s calls on %s", script, name).hasSize(1);
        return of.get(0);
    }

    /** @return every call of every script */
    List<Call> calls() {
        return List.copyOf(calls);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Shard shardOf(String key) {
        return whole;
    }

    @Override
    public Shard shard(int slot) {
        return slot < 0 ? whole : null;
    }

    @Override
    public Flux<Shard> shardsWithKey(Function<Keys, String> pattern, Duration timeout) {
        return Flux.just(whole);
    }

    @Override
    public Flux<String> lockKeysToSweep(int scans, Duration timeout) {
        return Flux.empty();
    }

    @Override
    public Flux<String> messages(String channel) {
        return Flux.never();
    }

    @Override
    public Mono<List<Object>> eval(
            LuaScript script, Duration timeout, Consumer<CompletableFuture<?>> sent, String[] keys, String... args) {
        return Mono.defer(() -> {
            // Cold: a reply sent while the subscription is still being made is kept for it.
            TestPublisher<List<Object>> reply = TestPublisher.createCold();
            calls.add(new Call(script, keys, args, reply));
            return reply.mono();
        });
    }

    @Override
    public Mono<List<Object>> evalOnce(
            LuaScript script, Duration timeout, Consumer<CompletableFuture<?>> sent, String[] keys, String... args) {
        return eval(script, timeout, sent, keys, args);
    }

    @Override
    public Mono<ReadReply> readAlone(
            String key,
            String lockKey,
            String op,
            String field,
            String txid,
            Duration timeout,
            Consumer<CompletableFuture<?>> sent) {
        return Mono.error(new UnsupportedOperationException("the protocol's tests do not read"));
    }

    @Override
    public String toString() {
        return name;
    }
}
