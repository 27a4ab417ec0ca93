package io.redtx.testing;

import io.lettuce.core.RedisURI;
import io.redtx.api.RuntimeOptions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * Reactive assertions on what redtx keeps in Redis, for {@code StepVerifier}: each returns a {@link Mono} that
 * completes empty when the assertion holds and errors with an {@link AssertionError} whose message lists what was
 * found otherwise.
 *
 * <pre>{@code
 * StepVerifier.create(RedtxAssertions.awaitNoIntents(uris, "redtx:", Duration.ofSeconds(5))).verifyComplete();
 * }</pre>
 *
 * <p>They connect to the participants themselves (a Lettuce client made at subscription and shut down before the
 * {@code Mono} terminates; on cancel the shutdown runs in the background), so they work against any deployment a
 * runtime can reach, not only the servers of {@link RedtxTest}: only standalone and Sentinel URIs, as the runtime
 * supports. They read with {@code SCAN}, {@code HGET}, {@code HGETALL}, {@code ZCARD} and {@code ZRANGE}, write
 * nothing, and never block the subscribing thread, so they may be subscribed from Reactor threads with BlockHound
 * installed. The terminal signal arrives on a {@link Schedulers#parallel() parallel} thread (or the subscribing one).
 *
 * <p>An <em>intent</em> here is anything a transaction leaves while it is not settled everywhere (see
 * {@code docs/protocol.md}): a lock key ({@code <namespace>lk:*}), an entry of the intent index
 * ({@code <namespace>idx}, which also holds a primary's committed record until every secondary is rolled forward), or a
 * transaction key ({@code <namespace>tx:*}) in state PREPARED ({@code st == P}). Settled markers (state {@code C} or
 * {@code A}, kept for the record retention) do not count.
 */
public final class RedtxAssertions {

    /** How long one check of every participant may take (connect and read) before it fails. */
    public static final Duration CHECK_TIMEOUT = Duration.ofSeconds(10);

    /** How long {@code awaitNoIntents} waits after a failed check before the next one. */
    public static final Duration POLL_INTERVAL = Duration.ofMillis(50);

    private RedtxAssertions() {}

    /**
     * Checks once that no participant holds a redtx intent under the default namespace
     * {@value RuntimeOptions#DEFAULT_NAMESPACE}. See {@link #noIntentsLeft(Map, String)}.
     *
     * @param participantUris participant name → Redis URI, as given to {@link RuntimeOptions.Builder#participant}
     * @return completes empty when nothing is left
     * @throws IllegalArgumentException at once, if the map is empty or a URI cannot be parsed
     * @throws NullPointerException at once, if an argument is null
     */
    public static Mono<Void> noIntentsLeft(Map<String, String> participantUris) {
        return noIntentsLeft(participantUris, RuntimeOptions.DEFAULT_NAMESPACE);
    }

    /**
     * Checks once that no participant holds a redtx intent (lock key, intent-index entry, PREPARED transaction key)
     * under {@code namespace}. Lazy: each subscription connects and checks anew, every participant concurrently.
     *
     * <p>Completes empty when nothing is left. Errors with an {@link AssertionError} naming, per participant that
     * holds something, the counts of each kind and the first 20 of each (lock keys with
     * their owners, e.g. {@code redtx:lk:{x} {tx-id=w}}; index entries with their scores; PREPARED transaction keys).
     * A participant that cannot be reached errors with Lettuce's connection exception; a check that takes longer than
     * {@link #CHECK_TIMEOUT} errors with {@link java.util.concurrent.TimeoutException}. Cancelling stops the check and
     * shuts its client down in the background.
     *
     * <p>Right after a transaction this may still see what its runtime settles in the background (roll-forwards of
     * secondaries, forgetting a committed record, rollbacks after a cancel): most tests want
     * {@link #awaitNoIntents(Map, String, Duration)}.
     *
     * @param participantUris participant name → Redis URI, as given to {@link RuntimeOptions.Builder#participant}
     * @param namespace the runtime's {@link RuntimeOptions#namespace()}
     * @return completes empty when nothing is left
     * @throws IllegalArgumentException at once, if the map or the namespace is empty or a URI cannot be parsed
     * @throws NullPointerException at once, if an argument is null
     */
    public static Mono<Void> noIntentsLeft(Map<String, String> participantUris, String namespace) {
        Map<String, RedisURI> uris = parse(participantUris);
        String ns = checkNamespace(namespace);
        return IntentProbe.using(CHECK_TIMEOUT, probe -> probe.checkAll(uris, ns, CHECK_TIMEOUT))
                .publishOn(Schedulers.parallel());
    }

    /**
     * Waits until no participant holds a redtx intent under the default namespace
     * {@value RuntimeOptions#DEFAULT_NAMESPACE}. See {@link #awaitNoIntents(Map, String, Duration)}.
     *
     * @param participantUris participant name → Redis URI
     * @param timeout how long to wait, positive
     * @return completes empty once nothing is left
     * @throws IllegalArgumentException at once, if the map is empty, a URI cannot be parsed or the timeout is not
     *     positive
     * @throws NullPointerException at once, if an argument is null
     */
    public static Mono<Void> awaitNoIntents(Map<String, String> participantUris, Duration timeout) {
        return awaitNoIntents(participantUris, RuntimeOptions.DEFAULT_NAMESPACE, timeout);
    }

    /**
     * Waits until no participant holds a redtx intent under {@code namespace}: checks as
     * {@link #noIntentsLeft(Map, String)} does at once, then again every {@link #POLL_INTERVAL} after each failed
     * check (a leftover, or a connection error, e.g. while a participant restarts), reusing one client. Lazy: each
     * subscription waits anew.
     *
     * <p>Completes empty at the first clean check. When {@code timeout} (from subscription) passes first, errors with
     * an {@link AssertionError} whose message states the timeout and what the last check found (its failure is the
     * cause). An {@link Error} other than an {@code AssertionError} (e.g. BlockHound's) ends the wait at once.
     * Cancelling stops polling and shuts the client down in the background.
     *
     * @param participantUris participant name → Redis URI, as given to {@link RuntimeOptions.Builder#participant}
     * @param namespace the runtime's {@link RuntimeOptions#namespace()}
     * @param timeout how long to wait, positive
     * @return completes empty once nothing is left
     * @throws IllegalArgumentException at once, if the map or the namespace is empty, a URI cannot be parsed or the
     *     timeout is not positive
     * @throws NullPointerException at once, if an argument is null
     */
    public static Mono<Void> awaitNoIntents(Map<String, String> participantUris, String namespace, Duration timeout) {
        Map<String, RedisURI> uris = parse(participantUris);
        String ns = checkNamespace(namespace);
        if (timeout == null) {
            throw new NullPointerException("timeout");
        }
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must be positive, was " + timeout);
        }
        return IntentProbe.using(CHECK_TIMEOUT, probe -> {
                    AtomicReference<Throwable> last = new AtomicReference<>();
                    return Mono.defer(() -> probe.checkAll(uris, ns, CHECK_TIMEOUT))
                            .doOnError(last::set)
                            .retryWhen(Retry.fixedDelay(Long.MAX_VALUE, POLL_INTERVAL)
                                    .filter(e -> e instanceof Exception || e instanceof AssertionError))
                            .timeout(timeout, Mono.error(() -> timedOut(ns, timeout, last.get())));
                })
                .publishOn(Schedulers.parallel());
    }

    private static AssertionError timedOut(String namespace, Duration timeout, Throwable last) {
        String prefix =
                "redtx intents under namespace '" + namespace + "' still left after " + timeout.toMillis() + " ms; ";
        if (last == null) {
            return new AssertionError(prefix + "no check finished in that time");
        }
        if (last instanceof AssertionError) {
            return new AssertionError(prefix + "the last check: " + last.getMessage(), last);
        }
        return new AssertionError(prefix + "the last check failed: " + last, last);
    }

    private static String checkNamespace(String namespace) {
        if (namespace == null) {
            throw new NullPointerException("namespace");
        }
        if (namespace.isEmpty()) {
            throw new IllegalArgumentException("namespace must not be empty");
        }
        return namespace;
    }

    private static Map<String, RedisURI> parse(Map<String, String> participantUris) {
        if (participantUris == null) {
            throw new NullPointerException("participantUris");
        }
        if (participantUris.isEmpty()) {
            throw new IllegalArgumentException("participantUris must name at least one participant");
        }
        Map<String, RedisURI> uris = new LinkedHashMap<>();
        participantUris.forEach((name, uri) -> {
            if (name == null || uri == null) {
                throw new NullPointerException("participantUris holds a null name or URI (participant " + name + ")");
            }
            if (uri.startsWith("redis-cluster://") || uri.startsWith("rediss-cluster://")) {
                // Its intents are spread over the masters, one index per slot: not what this probe reads yet.
                throw new IllegalArgumentException("participant '" + name
                        + "' is a Redis Cluster, which these assertions do not check yet; check its masters with"
                        + " test-support's IntentCount.on(namespace, cluster)");
            }
            try {
                uris.put(name, RedisURI.create(uri));
            } catch (RuntimeException e) {
                // Lettuce's message may quote the whole URI, password included.
                throw new IllegalArgumentException("participant '" + name + "' has an invalid Redis URI: "
                        + String.valueOf(e.getMessage()).replace(uri, "<uri>"));
            }
        });
        return uris;
    }
}
