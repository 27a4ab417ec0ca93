package io.redtx.samples;

import io.redtx.test.redis.Persistence;
import io.redtx.test.redis.RedisServer;

/**
 * Placeholder main job until the bank demo lands: starts an embedded (or PATH / {@code REDTX_REDIS_SERVER}) Redis
 * server on a free loopback port, prints its version, and stops it.
 */
public final class HelloRedis {

    private HelloRedis() {}

    /** Starts a server, returns the line printed by {@link #main}, stops the server. */
    static String run() {
        try (RedisServer server = RedisServer.start(Persistence.IN_MEMORY)) {
            return "redis-server " + server.version() + " (" + server.binary().source() + ": "
                    + server.binary().path() + ") answered on " + server.uri();
        }
    }

    /**
     * Entry point.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        System.out.println(run());
    }
}
