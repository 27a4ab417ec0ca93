package io.redtx.testing;

import io.redtx.api.RuntimeOptions;
import io.redtx.test.redis.Persistence;
import io.redtx.test.redis.RedisServer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The embedded servers of one {@link RedtxTest} class, one per participant. Closed by JUnit when the class ends
 * (stored as an {@link AutoCloseable}): first the runtimes of every scope still open, then every server (stopped by
 * pid, data directory deleted).
 */
final class ServerGroup implements AutoCloseable {

    private final Map<String, RedisServer> servers;
    private final Map<String, String> uris;
    private final boolean durable;
    private final Set<RuntimeScope> openScopes = ConcurrentHashMap.newKeySet();

    private ServerGroup(Map<String, RedisServer> servers, boolean durable) {
        this.servers = Collections.unmodifiableMap(servers);
        Map<String, String> u = new LinkedHashMap<>();
        servers.forEach((name, server) -> u.put(name, server.uri()));
        this.uris = Collections.unmodifiableMap(u);
        this.durable = durable;
    }

    /**
     * Starts one server per name, in order; if one cannot start, closes those already started and rethrows.
     *
     * @throws IllegalArgumentException if a name is invalid or repeated, or there is none
     */
    static ServerGroup start(List<String> names, boolean durable) {
        validate(names);
        Map<String, RedisServer> started = new LinkedHashMap<>();
        boolean ok = false;
        try {
            for (String name : names) {
                started.put(name, RedisServer.start(durable ? Persistence.DURABLE : Persistence.IN_MEMORY));
            }
            ok = true;
            return new ServerGroup(started, durable);
        } finally {
            if (!ok) {
                started.values().forEach(RedisServer::close);
            }
        }
    }

    private static void validate(List<String> names) {
        if (names.isEmpty()) {
            throw new IllegalArgumentException("@RedtxTest needs at least one participant");
        }
        // The runtime's own validation, so that a bad name fails here, before any server starts.
        RuntimeOptions.Builder probe = RuntimeOptions.builder();
        for (int i = 0; i < names.size(); i++) {
            // A distinct database each: the builder refuses one URI under two names.
            probe.participant(names.get(i), "redis://127.0.0.1:6379/" + i);
        }
    }

    Map<String, RedisServer> servers() {
        return servers;
    }

    Map<String, String> uris() {
        return uris;
    }

    boolean durable() {
        return durable;
    }

    /**
     * Makes every server ready for the next test: continues a paused one, restarts one a test killed or stopped (same
     * port, so runtimes of the class reconnect), then deletes every key ({@code FLUSHALL}). Blocking; test thread.
     */
    void prepareForTest() {
        for (RedisServer server : servers.values()) {
            if (server.isPaused()) {
                server.resume();
            }
            if (!server.isAlive()) {
                server.restart();
            }
            server.flushAll();
        }
    }

    void opened(RuntimeScope scope) {
        openScopes.add(scope);
    }

    void closed(RuntimeScope scope) {
        openScopes.remove(scope);
    }

    /** Closes the runtimes of the scopes still open (their servers are about to go), then stops every server. */
    @Override
    public void close() {
        List<Throwable> failures = new ArrayList<>();
        for (RuntimeScope scope : new ArrayList<>(openScopes)) {
            try {
                scope.close();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        for (RedisServer server : servers.values()) {
            try {
                server.close();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        if (!failures.isEmpty()) {
            IllegalStateException error = new IllegalStateException(
                    "closing the @RedtxTest servers failed: " + failures.get(0), failures.get(0));
            failures.subList(1, failures.size()).forEach(error::addSuppressed);
            throw error;
        }
    }
}
