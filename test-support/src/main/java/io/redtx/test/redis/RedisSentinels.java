package io.redtx.test.redis;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * A real Sentinel-managed Redis deployment on {@code 127.0.0.1}: one master, some replicas ({@code replicaof}) and
 * three Sentinels ({@code redis-server --sentinel}) that monitor it with a quorum of two, every one a
 * {@link RedisServer} process on a free loopback port, stopped by PID.
 *
 * <p>{@link #start(int, Persistence)} starts the master, then the replicas and waits until each has synced, then the
 * Sentinels and waits until each knows every replica and the other two Sentinels, so that a failover can start
 * as soon as the master is found down. The Sentinels are tuned for tests: the master is subjectively down after
 * {@value #DOWN_AFTER_MILLIS} ms without an answer, and a failover that stalls is given up after
 * {@value #FAILOVER_TIMEOUT_MILLIS} ms (and retried after twice that), so a killed master is replaced within a few
 * seconds. Each Sentinel rewrites its own {@code redis.conf} in its own data directory.
 *
 * <p>Which data node is the master changes with failovers: {@link #master()} asks the Sentinels, never a cached
 * value. Fault controls: {@link #killMaster()} ({@code kill -9} of the current master), {@link #failover(Duration)}
 * ({@code SENTINEL FAILOVER}: a replica is promoted while the old master still runs and is demoted), and the
 * {@link RedisServer} methods of each node ({@link RedisServer#restart()} brings a killed master back; the Sentinels
 * then turn it into a replica of the new master). Replication is asynchronous: a write the master acknowledged just
 * before it was killed may be missing on the replica promoted in its place.
 *
 * <p>{@link #close()} stops the Sentinels first (so that none starts a failover while the data nodes stop), then the
 * data nodes; every process is also covered by {@link RedisServer}'s shutdown hook and orphan reaper.
 */
public final class RedisSentinels implements AutoCloseable {

    /**
     * The name the Sentinels monitor the master under, unless {@link #start(int, Persistence, String, UnaryOperator)}
     * says otherwise.
     */
    public static final String DEFAULT_MASTER_NAME = "redtx-master";

    /** How many Sentinels monitor the master. */
    public static final int SENTINELS = 3;

    /** How many Sentinels must agree that the master is down before a failover starts. */
    public static final int QUORUM = 2;

    /** The Sentinels' {@code down-after-milliseconds}: how long a master may not answer before it is suspected. */
    public static final long DOWN_AFTER_MILLIS = 1000;

    /** The Sentinels' {@code failover-timeout}. */
    public static final long FAILOVER_TIMEOUT_MILLIS = 5000;

    /** Default bound on how long {@link #start(int, Persistence)} waits for replication and the Sentinels to settle. */
    public static final Duration DEFAULT_FORMATION_TIMEOUT = Duration.ofSeconds(30);

    private final String masterName;
    private final List<RedisServer> dataNodes;
    private final List<RedisServer> sentinels;
    /** Whether the Sentinels and replicas use the data nodes' TLS ports. */
    private final boolean tls;

    private RedisSentinels(String masterName, List<RedisServer> dataNodes, List<RedisServer> sentinels, boolean tls) {
        this.tls = tls;
        this.masterName = masterName;
        this.dataNodes = List.copyOf(dataNodes);
        this.sentinels = List.copyOf(sentinels);
    }

    /**
     * Starts a master with {@code replicas} replicas, monitored as {@value #DEFAULT_MASTER_NAME} by three Sentinels.
     *
     * @param replicas how many replicas, 1 to 8 (a failover needs one to promote)
     * @param persistence how every data node keeps its data
     * @return the running deployment; the caller must {@link #close()} it
     * @throws IllegalArgumentException if {@code replicas} is out of range
     * @throws IllegalStateException if a process does not start, or replication or the Sentinels do not settle within
     *     30 s; every process started is stopped then
     */
    public static RedisSentinels start(int replicas, Persistence persistence) {
        return start(replicas, persistence, DEFAULT_MASTER_NAME, UnaryOperator.identity());
    }

    /**
     * Like {@link #start(int, Persistence)}, with the master's name and more settings for every data node (not the
     * Sentinels).
     *
     * @param replicas how many replicas, 1 to 8
     * @param persistence how every data node keeps its data
     * @param masterName the name the Sentinels monitor the master under: letters, digits, '-', '_' and '.'
     * @param eachDataNode adds settings to each data node's builder, after the harness's own
     * @return the running deployment; the caller must {@link #close()} it
     * @throws IllegalArgumentException if {@code replicas} is out of range or the name is not valid
     * @throws IllegalStateException as {@link #start(int, Persistence)}
     */
    public static RedisSentinels start(
            int replicas, Persistence persistence, String masterName, UnaryOperator<RedisServer.Builder> eachDataNode) {
        return start(replicas, persistence, masterName, eachDataNode, null);
    }

    /**
     * Like {@link #start(int, Persistence)}, with TLS between everyone: every process (data node and Sentinel) gets
     * a TLS port requiring client certificates ({@link RedisServer.Builder#tls}) and {@code tls-replication yes}, so
     * that replicas sync from the master, and Sentinels talk to the data nodes and to each other, over TLS with the
     * server certificate as their client certificate. The Sentinels monitor, and name, the data nodes' TLS ports;
     * clients connect with {@link #tlsParticipantUri()}. The harness's own commands still use the plain ports.
     *
     * @param replicas how many replicas, 1 to 8
     * @param persistence how every data node keeps its data
     * @param certificate the certificate chain of every process, PEM, valid for {@code 127.0.0.1} and for client
     *     authentication too
     * @param key its unencrypted private key, PEM
     * @param caCertificate the CA that signs every certificate, PEM
     * @return the running deployment; the caller must {@link #close()} it
     * @throws IllegalStateException as {@link #start(int, Persistence)}
     */
    public static RedisSentinels startTls(
            int replicas, Persistence persistence, Path certificate, Path key, Path caCertificate) {
        List<Path> files = List.of(
                Objects.requireNonNull(certificate, "certificate"),
                Objects.requireNonNull(key, "key"),
                Objects.requireNonNull(caCertificate, "caCertificate"));
        return start(replicas, persistence, DEFAULT_MASTER_NAME, UnaryOperator.identity(), files);
    }

    private static RedisSentinels start(
            int replicas,
            Persistence persistence,
            String masterName,
            UnaryOperator<RedisServer.Builder> eachDataNode,
            List<Path> tlsFiles) {
        Objects.requireNonNull(persistence, "persistence");
        Objects.requireNonNull(masterName, "masterName");
        Objects.requireNonNull(eachDataNode, "eachDataNode");
        if (replicas < 1 || replicas > 8) {
            throw new IllegalArgumentException("replicas must be 1 to 8, was " + replicas);
        }
        if (!masterName.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException(
                    "masterName must be letters, digits, '-', '_' and '.', was '" + masterName + "'");
        }
        List<RedisServer> data = new ArrayList<>();
        List<RedisServer> watchers = new ArrayList<>();
        boolean ok = false;
        try {
            boolean tls = tlsFiles != null;
            RedisServer master = dataNode(persistence, eachDataNode, tlsFiles).start();
            data.add(master);
            for (int i = 0; i < replicas; i++) {
                data.add(dataNode(persistence, eachDataNode, tlsFiles)
                        .config("replicaof " + RedisServer.HOST + " " + dataPort(master, tls))
                        .start());
            }
            Polling.await(DEFAULT_FORMATION_TIMEOUT, "the replicas to sync with " + master, () -> {
                for (RedisServer replica : data.subList(1, data.size())) {
                    String why = followProblem(replica, dataPort(master, tls));
                    if (why != null) {
                        return why;
                    }
                }
                return null;
            });
            for (int i = 0; i < SENTINELS; i++) {
                RedisServer.Builder sentinel = RedisServer.builder().sentinel();
                if (tls) {
                    sentinel.tls(tlsFiles.get(0), tlsFiles.get(1), tlsFiles.get(2))
                            .config("tls-replication yes");
                }
                watchers.add(sentinel.config("sentinel monitor " + masterName + " " + RedisServer.HOST + " "
                                + dataPort(master, tls) + " " + QUORUM)
                        .config("sentinel down-after-milliseconds " + masterName + " " + DOWN_AFTER_MILLIS)
                        .config("sentinel failover-timeout " + masterName + " " + FAILOVER_TIMEOUT_MILLIS)
                        // Every replica re-syncs with the new master at once, not one after another.
                        .config("sentinel parallel-syncs " + masterName + " " + replicas)
                        .start());
            }
            RedisSentinels deployment = new RedisSentinels(masterName, data, watchers, tls);
            Polling.await(DEFAULT_FORMATION_TIMEOUT, "the Sentinels to know each other and every replica", () -> {
                for (RedisServer sentinel : watchers) {
                    String why = deployment.sentinelProblem(sentinel, replicas);
                    if (why != null) {
                        return why;
                    }
                }
                return null;
            });
            ok = true;
            return deployment;
        } finally {
            if (!ok) {
                watchers.forEach(RedisServer::close);
                data.forEach(RedisServer::close);
            }
        }
    }

    /** @return the port the Sentinels and replicas use for {@code node}: its TLS port when everyone speaks TLS */
    private static int dataPort(RedisServer node, boolean tls) {
        return tls ? node.tlsPort() : node.port();
    }

    private static RedisServer.Builder dataNode(
            Persistence persistence, UnaryOperator<RedisServer.Builder> eachDataNode, List<Path> tlsFiles) {
        RedisServer.Builder builder = RedisServer.builder();
        if (tlsFiles != null) {
            // The replica's link to its master, and the port it announces to the Sentinels, are TLS.
            builder.tls(tlsFiles.get(0), tlsFiles.get(1), tlsFiles.get(2)).config("tls-replication yes");
        }
        return eachDataNode.apply(builder.persistence(persistence)
                // A replica syncs as soon as it connects, not after the default 5 s wait for more replicas.
                .config("repl-diskless-sync-delay 0"));
    }

    /** @return why {@code sentinel} is not ready for a failover yet, or null */
    private String sentinelProblem(RedisServer sentinel, int replicas) {
        try {
            List<?> known = (List<?>) sentinel.command("SENTINEL", "REPLICAS", masterName);
            if (known.size() < replicas) {
                return sentinel + " knows " + known.size() + " of " + replicas + " replicas";
            }
            List<?> others = (List<?>) sentinel.command("SENTINEL", "SENTINELS", masterName);
            if (others.size() < SENTINELS - 1) {
                return sentinel + " knows " + others.size() + " of " + (SENTINELS - 1) + " other Sentinels";
            }
            Object quorum = sentinel.command("SENTINEL", "CKQUORUM", masterName);
            return String.valueOf(quorum).startsWith("OK") ? null : sentinel + ": " + quorum;
        } catch (RuntimeException e) {
            return sentinel + ": " + e.getMessage();
        }
    }

    /**
     * @return the name the Sentinels monitor the master under
     */
    public String masterName() {
        return masterName;
    }

    /**
     * The URI of a redtx participant on this deployment, with every Sentinel as a seed: the client asks a Sentinel
     * for the current master on every connect.
     *
     * @return {@code redis-sentinel://127.0.0.1:<port>,127.0.0.1:<port>,127.0.0.1:<port>#<masterName>}
     */
    public String participantUri() {
        return "redis-sentinel://"
                + String.join(
                        ",",
                        sentinels.stream()
                                .map(s -> RedisServer.HOST + ":" + s.port())
                                .toList())
                + "#" + masterName;
    }

    /**
     * The URI of a redtx participant on a deployment started with {@link #startTls}: TLS to the Sentinels' TLS ports,
     * and to the master they name.
     *
     * @return {@code rediss-sentinel://127.0.0.1:<tlsPort>,127.0.0.1:<tlsPort>,127.0.0.1:<tlsPort>#<masterName>}
     * @throws IllegalStateException if the deployment was started without TLS
     */
    public String tlsParticipantUri() {
        if (!tls) {
            throw new IllegalStateException(this + " was started without TLS; use startTls");
        }
        return "rediss-sentinel://"
                + String.join(
                        ",",
                        sentinels.stream()
                                .map(s -> RedisServer.HOST + ":" + s.tlsPort())
                                .toList())
                + "#" + masterName;
    }

    /**
     * @return the data nodes, in start order: the first was the master at the start, the others its replicas
     */
    public List<RedisServer> dataNodes() {
        return dataNodes;
    }

    /**
     * @return the three Sentinels
     */
    public List<RedisServer> sentinels() {
        return sentinels;
    }

    /**
     * The data node that the Sentinels name as the master now ({@code SENTINEL GET-MASTER-ADDR-BY-NAME}, asked of each
     * running Sentinel in turn until one answers). During a failover that may still be a master that was killed.
     *
     * @return the master
     * @throws IllegalStateException if no Sentinel answers or one names a node that is not a data node of this
     *     deployment
     */
    public RedisServer master() {
        List<String> failures = new ArrayList<>();
        for (RedisServer sentinel : sentinels) {
            if (!sentinel.isAlive() || sentinel.isPaused()) {
                continue;
            }
            try {
                return node(masterPort(sentinel), sentinel);
            } catch (UncheckedIOException e) {
                failures.add(sentinel + ": " + e.getMessage());
            }
        }
        throw new IllegalStateException("no Sentinel of " + this + " names the master: " + failures);
    }

    /**
     * The data nodes other than {@link #master()}, running or not.
     *
     * @return the replicas (and killed former masters), in start order
     */
    public List<RedisServer> replicas() {
        RedisServer master = master();
        return dataNodes.stream().filter(n -> n != master).toList();
    }

    /**
     * Kills the current {@link #master()} with SIGKILL ({@code kill -9}); the Sentinels notice within
     * {@value #DOWN_AFTER_MILLIS} ms and promote a replica; wait for that with {@link #awaitFailover(Duration)}.
     *
     * @return the master that was killed; {@link RedisServer#restart()} brings it back (as a replica, once the
     *     Sentinels have reconfigured it)
     */
    public RedisServer killMaster() {
        RedisServer master = master();
        master.kill();
        return master;
    }

    /**
     * Asks a Sentinel for a failover while the master runs ({@code SENTINEL FAILOVER}): a replica is promoted and the
     * old master is turned into its replica (the Sentinel also closes the old master's client connections, so that
     * clients reconnect and ask again). Returns when {@link #awaitFailover(Duration)} holds for a master other than the
     * old one.
     *
     * @param timeout how long to wait for the new master
     * @return the new master
     * @throws IllegalStateException if the Sentinel refuses (for example while another failover is in progress) or
     *     the failover does not complete in time
     */
    public RedisServer failover(Duration timeout) {
        RedisServer old = master();
        RedisServer sentinel = sentinels.stream()
                .filter(RedisServer::isAlive)
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no Sentinel of " + this + " runs"));
        sentinel.command("SENTINEL", "FAILOVER", masterName);
        return awaitMaster(timeout, old);
    }

    /**
     * Waits until the deployment has settled on a master: every running Sentinel names the same data node, that node
     * runs and answers {@code ROLE} as master, and every other running data node answers {@code ROLE} as its replica
     * with the link up. After {@link #killMaster()} that is the promoted replica; if nothing failed it is the current
     * master, at once.
     *
     * @param timeout how long to wait (a failover after a kill takes a few seconds; allow 30 s on a loaded machine)
     * @return the master
     * @throws IllegalStateException if the deployment does not settle in time; the message says what was last seen
     */
    public RedisServer awaitFailover(Duration timeout) {
        return awaitMaster(timeout, null);
    }

    private RedisServer awaitMaster(Duration timeout, RedisServer not) {
        RedisServer[] settled = new RedisServer[1];
        Polling.await(timeout, "a failover to complete", () -> {
            Integer agreed = null;
            for (RedisServer sentinel : sentinels) {
                if (!sentinel.isAlive() || sentinel.isPaused()) {
                    continue;
                }
                int port;
                try {
                    port = masterPort(sentinel);
                } catch (RuntimeException e) {
                    return sentinel + ": " + e.getMessage();
                }
                if (agreed != null && agreed != port) {
                    return "the Sentinels name different masters (" + agreed + ", " + port + ")";
                }
                agreed = port;
            }
            if (agreed == null) {
                return "no Sentinel runs";
            }
            RedisServer master = node(agreed, null);
            if (master == not) {
                return "the Sentinels still name " + master;
            }
            if (!master.isAlive()) {
                return "the Sentinels still name " + master + ", which is not running";
            }
            try {
                List<?> role = (List<?>) master.command("ROLE");
                if (!"master".equals(role.get(0))) {
                    return master + " named by the Sentinels answers ROLE " + role;
                }
            } catch (RuntimeException e) {
                return master + ": " + e.getMessage();
            }
            for (RedisServer node : dataNodes) {
                if (node != master && node.isAlive() && !node.isPaused()) {
                    String why = followProblem(node, dataPort(master, tls));
                    if (why != null) {
                        return why;
                    }
                }
            }
            settled[0] = master;
            return null;
        });
        return settled[0];
    }

    /**
     * {@link #awaitReplicasInSync(Duration)} with a bound of 30 s.
     *
     * @throws IllegalStateException if a replica does not catch up in time
     */
    public void awaitReplicasInSync() {
        awaitReplicasInSync(DEFAULT_FORMATION_TIMEOUT);
    }

    /**
     * Waits until every running replica has received everything the master had written when the wait began or later:
     * its replication offset ({@code ROLE}) is at least the master's offset read first. Sentinels publish to the
     * master every few seconds, so the offsets rarely stay equal for long; this is the stable condition.
     *
     * @param timeout how long to wait
     * @throws IllegalStateException if a replica does not catch up in time
     */
    public void awaitReplicasInSync(Duration timeout) {
        Polling.await(timeout, "the replicas to catch up with the master", () -> {
            RedisServer master = master();
            long masterOffset;
            try {
                List<?> role = (List<?>) master.command("ROLE");
                if (!"master".equals(role.get(0))) {
                    return master + " answers ROLE " + role;
                }
                masterOffset = (Long) role.get(1);
            } catch (RuntimeException e) {
                return master + ": " + e.getMessage();
            }
            for (RedisServer node : dataNodes) {
                if (node == master || !node.isAlive() || node.isPaused()) {
                    continue;
                }
                String why = followProblem(node, dataPort(master, tls));
                if (why != null) {
                    return why;
                }
                long offset = (Long) ((List<?>) node.command("ROLE")).get(4);
                if (offset < masterOffset) {
                    return node + " is at offset " + offset + ", the master at " + masterOffset;
                }
            }
            return null;
        });
    }

    /**
     * @return why {@code node} does not follow the master on {@code masterPort} with its link up (its {@code ROLE}),
     *     or null
     */
    private static String followProblem(RedisServer node, int masterPort) {
        try {
            List<?> role = (List<?>) node.command("ROLE");
            if (!"slave".equals(role.get(0))
                    || ((Long) role.get(2)) != masterPort
                    || !"connected".equals(role.get(3))) {
                return node + " answers ROLE " + role + ", not a connected replica of port " + masterPort;
            }
            return null;
        } catch (RuntimeException e) {
            return node + ": " + e.getMessage();
        }
    }

    private int masterPort(RedisServer sentinel) {
        List<?> address = (List<?>) sentinel.command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName);
        if (address == null) {
            throw new IllegalStateException(sentinel + " does not monitor " + masterName);
        }
        return Integer.parseInt((String) address.get(1));
    }

    private RedisServer node(int port, RedisServer askedOf) {
        for (RedisServer node : dataNodes) {
            if (dataPort(node, tls) == port) {
                return node;
            }
        }
        throw new IllegalStateException((askedOf == null ? "the Sentinels name" : askedOf + " names") + " port " + port
                + " as the master, not a data node of " + this);
    }

    /**
     * Stops the Sentinels, then the data nodes (SIGTERM, then SIGKILL by PID; data directories deleted). Idempotent.
     */
    @Override
    public void close() {
        RuntimeException first = null;
        for (RedisServer server : concat()) {
            try {
                server.close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private List<RedisServer> concat() {
        List<RedisServer> all = new ArrayList<>(sentinels);
        all.addAll(dataNodes);
        return all;
    }

    @Override
    public String toString() {
        return "RedisSentinels[" + masterName + ", data " + dataNodes + ", sentinels " + sentinels + "]";
    }
}
