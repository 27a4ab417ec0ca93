package io.redtx.benchmarks;

import io.redtx.test.redis.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** One replica per embedded server ({@code --replicas 1}), online before the first workload; none for 0. */
final class Replicas implements AutoCloseable {

    /** How long a replica may take to receive its master's first copy. */
    private static final Duration ONLINE_LIMIT = Duration.ofSeconds(30);

    private final List<RedisServer> replicas = new ArrayList<>();

    private Replicas() {}

    /**
     * Starts {@code perServer} replicas of each master and waits until every master counts them online. Blocks.
     *
     * @param masters the servers
     * @param perServer 0 or 1
     * @return the replicas, to close once the run is over
     */
    static Replicas of(List<RedisServer> masters, int perServer) throws InterruptedException {
        Replicas r = new Replicas();
        if (perServer == 0) {
            return r;
        }
        try {
            for (RedisServer m : masters) {
                // The first copy goes at once rather than after the default 5 s delay of diskless syncs.
                m.command("CONFIG", "SET", "repl-diskless-sync-delay", "0");
                r.replicas.add(RedisServer.builder()
                        .config("replicaof " + m.host() + " " + m.port())
                        .start());
            }
            long deadline = System.nanoTime() + ONLINE_LIMIT.toNanos();
            for (RedisServer m : masters) {
                while (!m.info("replication").contains("state=online")) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the replica of " + m + " did not come online within "
                                + ONLINE_LIMIT.toSeconds() + " s");
                    }
                    Thread.sleep(10);
                }
            }
            return r;
        } catch (RuntimeException | InterruptedException e) {
            r.close();
            throw e;
        }
    }

    @Override
    public void close() {
        replicas.forEach(RedisServer::close);
    }
}
