package io.redtx.testing;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanStream;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.reactive.RedisReactiveCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.redtx.api.KeyLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * One Lettuce client (with its own small client resources) that reads what redtx left on a set of participants. Made
 * and shut down around one assertion (which may poll several times), never shared: nothing outlives the assertion.
 */
final class IntentProbe {

    /** How many keys or entries of each kind a failure message lists per participant (the counts are exact). */
    static final int MAX_LISTED = 20;

    private static final int SCAN_COUNT = 500;
    private static final int HGET_CONCURRENCY = 16;

    private final ClientResources resources;
    private final RedisClient client;

    private IntentProbe(Duration commandTimeout) {
        this.resources = ClientResources.builder()
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(2)
                .build();
        this.client = RedisClient.create(resources);
        client.setOptions(ClientOptions.builder()
                // One short-lived connection per check: a broken one fails that check (a poll retries), it must not
                // queue commands while reconnecting.
                .autoReconnect(false)
                .timeoutOptions(TimeoutOptions.enabled(commandTimeout))
                .socketOptions(
                        SocketOptions.builder().connectTimeout(commandTimeout).build())
                .build());
    }

    /**
     * Runs {@code body} with a fresh probe and shuts the probe down afterwards, whatever the outcome (awaited on
     * complete and error, fire-and-forget on cancel). Lazy: the client is made at subscription.
     */
    static Mono<Void> using(Duration commandTimeout, Function<IntentProbe, Mono<Void>> body) {
        return Mono.usingWhen(
                Mono.fromSupplier(() -> new IntentProbe(commandTimeout)),
                body,
                IntentProbe::shutdown,
                (probe, error) -> probe.shutdown(),
                IntentProbe::shutdown);
    }

    private Mono<Void> shutdown() {
        return Mono.fromCompletionStage(() -> client.shutdownAsync(0, 2, TimeUnit.SECONDS))
                .onErrorResume(e -> Mono.empty())
                // Shutting the event loops down takes a lock on each; the step before completes on one of them.
                .then(Mono.<Void>create(sink ->
                                resources.shutdown(0, 2, TimeUnit.SECONDS).addListener(f -> sink.success()))
                        .subscribeOn(Schedulers.boundedElastic()));
    }

    /**
     * Checks every participant once, concurrently, and completes empty when none holds anything, or errors with an
     * {@link AssertionError} listing what was found. Connection and command failures propagate as they are; the whole
     * check is bounded by {@code timeout} ({@link TimeoutException}).
     */
    Mono<Void> checkAll(Map<String, RedisURI> participants, String namespace, Duration timeout) {
        return Flux.fromIterable(participants.entrySet())
                .flatMapSequential(e -> check(e.getKey(), e.getValue(), namespace))
                .collectList()
                .timeout(
                        timeout,
                        Mono.error(() -> new TimeoutException("the check for redtx intents on " + participants.keySet()
                                + " did not finish within " + timeout.toMillis() + " ms")))
                .flatMap(found -> {
                    List<Findings> dirty = new ArrayList<>();
                    for (Findings f : found) {
                        if (!f.isEmpty()) {
                            dirty.add(f);
                        }
                    }
                    return dirty.isEmpty()
                            ? Mono.<Void>empty()
                            : Mono.error(new AssertionError(message(namespace, dirty)));
                });
    }

    private Mono<Findings> check(String participant, RedisURI uri, String namespace) {
        return Mono.usingWhen(
                Mono.fromCompletionStage(() -> client.connectAsync(StringCodec.UTF8, uri)),
                connection -> findings(participant, connection.reactive(), namespace),
                IntentProbe::close,
                (connection, error) -> close(connection),
                // Cancelled when a check or the whole assertion times out, or the subscriber cancels: the client's
                // shutdown at the end of the assertion closes the connection; closing it here too would race with it.
                connection -> Mono.empty());
    }

    private static Mono<Void> close(StatefulRedisConnection<String, String> connection) {
        return Mono.fromCompletionStage(connection::closeAsync).onErrorResume(e -> Mono.empty());
    }

    private static Mono<Findings> findings(
            String participant, RedisReactiveCommands<String, String> redis, String namespace) {
        KeyLayout layout = KeyLayout.of(namespace);
        // The three kinds of leftovers that IntentCount (test-support) counts, as docs/protocol.md defines them.
        Mono<Listed<String>> locks = ScanStream.scan(
                        redis, ScanArgs.Builder.matches(layout.lockKeyPattern()).limit(SCAN_COUNT))
                .collectSortedList()
                .flatMap(keys -> Flux.fromIterable(keys.subList(0, Math.min(keys.size(), MAX_LISTED)))
                        .concatMap(key -> redis.hgetall(key)
                                .collectMap(KeyValue::getKey, KeyValue::getValue, LinkedHashMap::new)
                                .map(owners -> key + " " + owners))
                        .collectList()
                        .map(described -> new Listed<>(keys.size(), described)));
        String index = layout.indexKey();
        Mono<Listed<String>> indexEntries = redis.zcard(index)
                .zipWith(redis.zrangeWithScores(index, 0, MAX_LISTED - 1)
                        .map(IntentProbe::describe)
                        .collectList())
                .map(t -> new Listed<>(t.getT1(), t.getT2()));
        Mono<Listed<String>> prepared = ScanStream.scan(
                        redis,
                        ScanArgs.Builder.matches(layout.transactionKeyPattern()).limit(SCAN_COUNT))
                .flatMap(key -> redis.hget(key, "st").filter("P"::equals).map(state -> key), HGET_CONCURRENCY)
                .collectSortedList()
                .map(Listed::of);
        return Mono.zip(locks, indexEntries, prepared)
                .map(t -> new Findings(participant, t.getT1(), t.getT2(), t.getT3()));
    }

    private static String describe(ScoredValue<String> entry) {
        return entry.getValue() + " (score " + (long) entry.getScore() + ")";
    }

    private static String message(String namespace, List<Findings> dirty) {
        StringBuilder out = new StringBuilder("expected no redtx intents under namespace '")
                .append(namespace)
                .append("', but found:");
        for (Findings f : dirty) {
            out.append("\n  participant '").append(f.participant()).append("': ");
            f.locks().appendTo(out, "lock key", "lock keys");
            out.append("; ");
            f.indexEntries().appendTo(out, "index entry", "index entries");
            out.append(" in ").append(namespace).append("idx; ");
            f.prepared().appendTo(out, "PREPARED record", "PREPARED records");
        }
        return out.toString();
    }

    /** A count and the first {@link #MAX_LISTED} items. */
    private record Listed<T>(long count, List<T> items) {

        static <T> Listed<T> of(List<T> all) {
            return new Listed<>(all.size(), all.size() <= MAX_LISTED ? all : all.subList(0, MAX_LISTED));
        }

        void appendTo(StringBuilder out, String singular, String plural) {
            out.append(count).append(' ').append(count == 1 ? singular : plural);
            if (count > 0) {
                out.append(' ').append(items);
                if (count > items.size()) {
                    out.append(" and ").append(count - items.size()).append(" more");
                }
            }
        }
    }

    private record Findings(
            String participant, Listed<String> locks, Listed<String> indexEntries, Listed<String> prepared) {
        boolean isEmpty() {
            return locks.count() == 0 && indexEntries.count() == 0 && prepared.count() == 0;
        }
    }
}
