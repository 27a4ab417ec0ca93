package io.redtx.test.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A real Redis Cluster of {@code redis-server} masters on {@code 127.0.0.1}, formed through commands (no
 * {@code redis-cli} needed) and torn down by PID.
 *
 * <p>{@link #start(int, Persistence)} starts the masters in cluster mode ({@link RedisServer.Builder#clusterEnabled()}),
 * gives each a distinct config epoch and an equal contiguous share of the 16384 slots ({@code CLUSTER ADDSLOTSRANGE}),
 * joins them with {@code CLUSTER MEET}, and returns once every node reports {@code cluster_state:ok} and the same
 * slot map ({@link #awaitHealthy(Duration)}). There are no replicas: a master that is killed leaves its slots
 * unserved until it is {@link RedisServer#restart() restarted}; it keeps its node id and slots in the
 * {@code nodes.conf} of its data directory, and with {@link Persistence#DURABLE} its data.
 *
 * <p>{@link #close()} closes every master (SIGTERM, then SIGKILL by PID, data directories deleted); masters are also
 * covered by {@link RedisServer}'s shutdown hook and orphan reaper.
 */
public final class RedisCluster implements AutoCloseable {

    /** The number of hash slots of every Redis Cluster. */
    public static final int SLOTS = 16384;

    /** Default bound on how long {@link #start(int, Persistence)} waits for the cluster to agree. */
    public static final Duration DEFAULT_FORMATION_TIMEOUT = Duration.ofSeconds(30);

    private static final long POLL_MILLIS = 20;

    private final List<RedisServer> masters;

    private RedisCluster(List<RedisServer> masters) {
        this.masters = List.copyOf(masters);
    }

    /**
     * Starts {@code masters} nodes and forms a cluster of them.
     *
     * @param masters how many masters, 1 to 16
     * @param persistence how every master keeps its data
     * @return the healthy cluster; the caller must {@link #close()} it
     * @throws IllegalArgumentException if {@code masters} is out of range
     * @throws IllegalStateException if a node does not start or the cluster does not agree within 30 s; every node
     *     started is closed then
     */
    public static RedisCluster start(int masters, Persistence persistence) {
        Objects.requireNonNull(persistence, "persistence");
        if (masters < 1 || masters > 16) {
            throw new IllegalArgumentException("masters must be 1 to 16, was " + masters);
        }
        List<RedisServer> nodes = new ArrayList<>();
        boolean ok = false;
        try {
            for (int i = 0; i < masters; i++) {
                nodes.add(RedisServer.builder()
                        .persistence(persistence)
                        .clusterEnabled()
                        // A killed master is marked failed after 1 s, so tests of a dead master end quickly.
                        .config("cluster-node-timeout 1000")
                        .start());
            }
            for (int i = 0; i < masters; i++) {
                RedisServer node = nodes.get(i);
                // Distinct epochs up front: no epoch collision to resolve before the slot map settles.
                node.command("CLUSTER", "SET-CONFIG-EPOCH", Integer.toString(i + 1));
                node.command(
                        "CLUSTER",
                        "ADDSLOTSRANGE",
                        Integer.toString(firstSlot(i, masters)),
                        Integer.toString(firstSlot(i + 1, masters) - 1));
            }
            RedisServer first = nodes.get(0);
            for (RedisServer node : nodes.subList(1, masters)) {
                first.command(
                        "CLUSTER",
                        "MEET",
                        RedisServer.HOST,
                        Integer.toString(node.port()),
                        Integer.toString(node.clusterBusPort()));
            }
            RedisCluster cluster = new RedisCluster(nodes);
            cluster.awaitHealthy(DEFAULT_FORMATION_TIMEOUT);
            ok = true;
            return cluster;
        } finally {
            if (!ok) {
                nodes.forEach(RedisServer::close);
            }
        }
    }

    /**
     * The hash slot of a key, as Redis computes it: CRC16 (XMODEM) of the key's hash tag (the text between the first
     * {@code '{'} and the next {@code '}'}, when not empty) or of the whole key, modulo 16384.
     *
     * @param key a key
     * @return its slot, 0 to 16383
     */
    public static int slot(String key) {
        // '{' and '}' are ASCII, so they split the text where they split its UTF-8 bytes.
        int open = key.indexOf('{');
        int close = open < 0 ? -1 : key.indexOf('}', open + 1);
        byte[] hashed = (close > open + 1 ? key.substring(open + 1, close) : key).getBytes(StandardCharsets.UTF_8);
        int crc = 0;
        for (byte b : hashed) {
            crc ^= (b & 0xff) << 8;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
        }
        return (crc & 0xffff) % SLOTS;
    }

    /** @return the masters, in slot order: master {@code i} serves the {@code i}-th equal share of the slots */
    public List<RedisServer> masters() {
        return masters;
    }

    /**
     * The master that serves a key's slot, from the slot ranges this cluster was formed with.
     *
     * @param key a key
     * @return its master
     */
    public RedisServer masterFor(String key) {
        int slot = slot(key);
        for (int i = masters.size() - 1; i >= 0; i--) {
            if (slot >= firstSlot(i, masters.size())) {
                return masters.get(i);
            }
        }
        throw new AssertionError("slot " + slot);
    }

    /**
     * The URIs of every master, for a cluster client's seed list.
     *
     * @return {@code redis://127.0.0.1:<port>} per master
     */
    public List<String> uris() {
        return masters.stream().map(RedisServer::uri).toList();
    }

    /**
     * Waits until every master answers, reports {@code cluster_state:ok} with every node known and every slot
     * assigned, and lists the same slot ranges as every other master; for example after a killed master was
     * restarted.
     *
     * @param timeout how long to wait
     * @throws IllegalStateException if the cluster does not agree in time (the message says what was last seen)
     */
    public void awaitHealthy(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last;
        while (true) {
            last = disagreement();
            if (last == null) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException(
                        "cluster of " + masters.size() + " masters not healthy within " + timeout + ": " + last);
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the cluster", e);
            }
        }
    }

    /** @return why the cluster is not healthy yet, or null when it is */
    private String disagreement() {
        String expected = null;
        for (RedisServer node : masters) {
            String info;
            String slots;
            try {
                info = (String) node.command("CLUSTER", "INFO");
                slots = slotMap(node);
            } catch (RuntimeException e) {
                return node + ": " + e.getMessage();
            }
            for (String field : List.of(
                    "cluster_state:ok",
                    "cluster_slots_assigned:" + SLOTS,
                    "cluster_slots_ok:" + SLOTS,
                    "cluster_known_nodes:" + masters.size())) {
                if (!info.contains(field + "\r\n")) {
                    return node + " lacks " + field;
                }
            }
            if (expected == null) {
                expected = slots;
            } else if (!expected.equals(slots)) {
                return node + " maps slots as " + slots + ", " + masters.get(0) + " as " + expected;
            }
        }
        return null;
    }

    /** @return the node's {@code CLUSTER SLOTS} as sorted "first-last:port" ranges */
    private static String slotMap(RedisServer node) {
        List<String> ranges = new ArrayList<>();
        for (Object range : (List<?>) node.command("CLUSTER", "SLOTS")) {
            List<?> r = (List<?>) range;
            List<?> owner = (List<?>) r.get(2);
            ranges.add(String.format("%05d-%05d:%s", (Long) r.get(0), (Long) r.get(1), owner.get(1)));
        }
        ranges.sort(null);
        return String.join(",", ranges);
    }

    private static int firstSlot(int index, int masters) {
        return (int) ((long) SLOTS * index / masters);
    }

    /** Closes every master: the processes are stopped by PID and the data directories deleted. Idempotent. */
    @Override
    public void close() {
        masters.forEach(RedisServer::close);
    }

    @Override
    public String toString() {
        return "RedisCluster" + masters;
    }
}
