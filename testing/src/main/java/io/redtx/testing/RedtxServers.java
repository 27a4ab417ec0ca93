package io.redtx.testing;

import io.redtx.api.RuntimeOptions;
import io.redtx.api.TimeoutOptions;
import io.redtx.api.TransactionRuntime;
import io.redtx.runtime.RedisTransactionRuntime;
import io.redtx.test.redis.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The embedded participants of a {@link RedtxTest} class, as seen from one test: their names and URIs, runtimes over
 * them that the extension closes, reactive assertions, and the servers themselves for fault injection.
 *
 * <p>Injected by {@link RedtxExtension} into parameters of this type. The instance belongs to the JUnit context that
 * asked for it: a test method's (also for {@code @BeforeEach}, {@code @AfterEach} and constructor parameters), or the
 * class's (for {@code @BeforeAll} / {@code @AfterAll} parameters, and constructor parameters with
 * {@code @TestInstance(PER_CLASS)}). Runtimes made through it are closed gracefully when that context ends, whether
 * the test passed or not. The servers are shared by every test of the class and emptied before each test.
 *
 * <p>Methods are thread-safe. Blocking is stated per method; the reactive ones never block the subscribing thread.
 */
public final class RedtxServers {

    /** How much longer than its {@link TimeoutOptions#transaction()} closing a runtime may take. */
    static final Duration CLOSE_MARGIN = Duration.ofSeconds(10);

    private final ServerGroup group;
    private final String owner;
    private final List<Created> runtimes = new ArrayList<>();
    private TransactionRuntime defaultRuntime;
    private boolean closed;

    private record Created(TransactionRuntime runtime, Duration closeBound) {}

    RedtxServers(ServerGroup group, String owner) {
        this.group = group;
        this.owner = owner;
    }

    /**
     * The participant names, in the order of {@link RedtxTest#participants()}.
     *
     * @return an unmodifiable list
     */
    public List<String> participants() {
        return List.copyOf(group.uris().keySet());
    }

    /**
     * Every participant's URI.
     *
     * @return participant name → {@code redis://127.0.0.1:<port>}, unmodifiable, in participant order
     */
    public Map<String, String> uris() {
        return group.uris();
    }

    /**
     * One participant's URI. It stays the same for the whole class, also across {@link RedisServer#restart()}.
     *
     * @param participant a name of {@link #participants()}
     * @return {@code redis://127.0.0.1:<port>}
     * @throws IllegalArgumentException if there is no participant of that name
     */
    public String uri(String participant) {
        return server(participant).uri();
    }

    /**
     * One participant's server, for advanced tests: {@link RedisServer#kill()}, {@link RedisServer#restart()},
     * {@link RedisServer#pause()} / {@link RedisServer#resume()}, {@link RedisServer#command(String...)}. Before the
     * next test the extension resumes a paused server and restarts a killed or stopped one; do not
     * {@link RedisServer#close()} it (the extension does, after the class).
     *
     * @param participant a name of {@link #participants()}
     * @return the running server
     * @throws IllegalArgumentException if there is no participant of that name
     */
    public RedisServer server(String participant) {
        RedisServer server = group.servers().get(participant);
        if (server == null) {
            throw new IllegalArgumentException(
                    "no participant named " + quote(participant) + "; the participants are " + participants());
        }
        return server;
    }

    /**
     * Whether the servers run AOF with {@code appendfsync always} ({@link RedtxTest#durable()}).
     *
     * @return {@code true} if every acknowledged write survives {@code kill -9}
     */
    public boolean durable() {
        return group.durable();
    }

    /**
     * A new options builder with every participant added (name → URI) and every other option at its default; add to
     * it or change it before {@code build()}.
     *
     * @return a new builder on each call
     */
    public RuntimeOptions.Builder options() {
        RuntimeOptions.Builder builder = RuntimeOptions.builder();
        group.uris().forEach(builder::participant);
        return builder;
    }

    /**
     * Creates a runtime over every participant with default options. Same as {@code runtime(o -> o)}.
     *
     * @return a new runtime, closed by the extension when this instance's test (or class) ends
     * @throws IllegalStateException if the test or class this instance belongs to has ended
     */
    public TransactionRuntime runtime() {
        return runtime(UnaryOperator.identity());
    }

    /**
     * Creates a runtime with options customised from {@link #options()}, for example
     * {@code servers.runtime(o -> o.recovery(r -> r.lease(Duration.ofMillis(500)).interval(Duration.ZERO)))}. Each call
     * makes a new runtime (connections are made lazily, on first use).
     *
     * <p>When this instance's test (or class) ends, the extension closes it with {@link
     * TransactionRuntime#closeGracefully()}, waiting at most its {@link TimeoutOptions#transaction()} plus 10 s
     * (then it closes it at once and fails the test). Closing it earlier yourself is harmless.
     *
     * @param customize changes to the pre-wired builder; returns the builder to build
     * @return a new runtime
     * @throws IllegalArgumentException if the customised options are invalid
     * @throws IllegalStateException if the test or class this instance belongs to has ended
     */
    public TransactionRuntime runtime(UnaryOperator<RuntimeOptions.Builder> customize) {
        if (customize == null) {
            throw new NullPointerException("customize");
        }
        RuntimeOptions options = customize.apply(options()).build();
        synchronized (this) {
            ensureOpen();
            TransactionRuntime runtime = RedisTransactionRuntime.create(options);
            runtimes.add(new Created(runtime, options.timeouts().transaction().plus(CLOSE_MARGIN)));
            return runtime;
        }
    }

    /** The runtime injected into {@code TransactionRuntime} parameters of this instance's context: one per context. */
    synchronized TransactionRuntime defaultRuntime() {
        if (defaultRuntime == null) {
            defaultRuntime = runtime();
        }
        return defaultRuntime;
    }

    /**
     * Checks once that no participant holds a redtx intent under the default namespace
     * {@value RuntimeOptions#DEFAULT_NAMESPACE}: {@link RedtxAssertions#noIntentsLeft(Map, String)} on {@link #uris()}.
     *
     * @return completes empty when nothing is left; errors with an {@link AssertionError} listing what was found
     */
    public Mono<Void> noIntentsLeft() {
        return RedtxAssertions.noIntentsLeft(uris());
    }

    /**
     * Checks once that no participant holds a redtx intent under {@code namespace}: {@link
     * RedtxAssertions#noIntentsLeft(Map, String)} on {@link #uris()}.
     *
     * @param namespace the runtime's {@link RuntimeOptions#namespace()}
     * @return completes empty when nothing is left; errors with an {@link AssertionError} listing what was found
     */
    public Mono<Void> noIntentsLeft(String namespace) {
        return RedtxAssertions.noIntentsLeft(uris(), namespace);
    }

    /**
     * Waits, polling, until no participant holds a redtx intent under the default namespace: {@link
     * RedtxAssertions#awaitNoIntents(Map, String, Duration)} on {@link #uris()}. The form most tests want, since
     * runtimes settle roll-forwards and rollbacks after cancel in the background:
     * {@code StepVerifier.create(servers.awaitNoIntents(Duration.ofSeconds(5))).verifyComplete();}
     *
     * @param timeout how long to wait, positive
     * @return completes empty once nothing is left; errors with an {@link AssertionError} after {@code timeout}
     */
    public Mono<Void> awaitNoIntents(Duration timeout) {
        return RedtxAssertions.awaitNoIntents(uris(), timeout);
    }

    /**
     * Waits, polling, until no participant holds a redtx intent under {@code namespace}: {@link
     * RedtxAssertions#awaitNoIntents(Map, String, Duration)} on {@link #uris()}.
     *
     * @param timeout how long to wait, positive
     * @param namespace the runtime's {@link RuntimeOptions#namespace()}
     * @return completes empty once nothing is left; errors with an {@link AssertionError} after {@code timeout}
     */
    public Mono<Void> awaitNoIntents(Duration timeout, String namespace) {
        return RedtxAssertions.awaitNoIntents(uris(), namespace, timeout);
    }

    /**
     * Reads a string value straight from a participant ({@code GET}, outside any transaction), for assertions. Lazy and
     * non-blocking for the subscriber: the read runs on {@link Schedulers#boundedElastic()} at each subscription, with
     * {@link RedisServer#command(String...)} (5 s timeout). Use {@code .block()} on a test thread for a plain value.
     *
     * @param participant a name of {@link #participants()}
     * @param key the key
     * @return the value; empty if the key does not exist; an error if the key holds another type or the server does not
     *     answer
     * @throws IllegalArgumentException at once, if there is no participant of that name
     */
    public Mono<String> get(String participant, String key) {
        RedisServer server = server(participant);
        if (key == null) {
            throw new NullPointerException("key");
        }
        return Mono.fromCallable(() -> (String) server.command("GET", key)).subscribeOn(Schedulers.boundedElastic());
    }

    /**
     * A description for assertion messages.
     *
     * @return the participants and URIs, and the test or class this instance belongs to
     */
    @Override
    public String toString() {
        return "RedtxServers" + uris() + " of " + owner;
    }

    /**
     * Closes every runtime made through this instance, newest first, each gracefully within its bound (then at once).
     * Blocking; called by the extension on the test thread when the owning context ends.
     *
     * @throws IllegalStateException if a runtime did not close gracefully within its bound (it was then closed at once)
     */
    void closeRuntimes() {
        List<Created> toClose;
        synchronized (this) {
            closed = true;
            toClose = new ArrayList<>(runtimes);
            runtimes.clear();
        }
        List<Throwable> failures = new ArrayList<>();
        for (int i = toClose.size() - 1; i >= 0; i--) {
            Created created = toClose.get(i);
            try {
                created.runtime()
                        .closeGracefully()
                        .timeout(
                                created.closeBound(),
                                Mono.error(() -> new TimeoutException("closeGracefully() did not complete within "
                                        + created.closeBound().toMillis() + " ms")))
                        .block();
            } catch (RuntimeException e) {
                created.runtime().close();
                failures.add(e);
            }
        }
        if (!failures.isEmpty()) {
            IllegalStateException error = new IllegalStateException(
                    "a runtime made for " + owner + " did not close gracefully: "
                            + failures.get(0).getMessage(),
                    failures.get(0));
            failures.subList(1, failures.size()).forEach(error::addSuppressed);
            throw error;
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(owner + " has ended, and so has this RedtxServers: declare a RedtxServers"
                    + " parameter on the current test (or a @BeforeAll method) to make runtimes");
        }
    }

    private static String quote(String text) {
        return text == null ? "null" : "'" + text + "'";
    }
}
