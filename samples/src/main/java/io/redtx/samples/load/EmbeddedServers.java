package io.redtx.samples.load;

import io.redtx.test.redis.Persistence;
import io.redtx.test.redis.RedisServer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** The {@code redis-server} processes a program started; closing stops them all (by pid) and deletes their data. */
public final class EmbeddedServers implements AutoCloseable {

    private final List<RedisServer> list = new ArrayList<>();

    private EmbeddedServers() {}

    /**
     * Starts {@code count} servers on free loopback ports; stops those already started if one fails.
     *
     * @param count servers to start
     * @param persistence their persistence
     * @return the running servers
     */
    public static EmbeddedServers start(int count, Persistence persistence) {
        EmbeddedServers servers = new EmbeddedServers();
        try {
            for (int i = 0; i < count; i++) {
                servers.list.add(RedisServer.start(persistence));
            }
            return servers;
        } catch (RuntimeException e) {
            servers.close();
            throw e;
        }
    }

    /** @return the server started {@code i}-th */
    public RedisServer get(int i) {
        return list.get(i);
    }

    /** @return the servers, in the order they started */
    public List<RedisServer> list() {
        return list;
    }

    /** @return the ports of {@code servers}, comma-separated */
    public static String ports(List<RedisServer> servers) {
        return servers.stream().map(s -> Integer.toString(s.port())).collect(Collectors.joining(", "));
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        for (RedisServer s : list) {
            try {
                s.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
