package io.redtx.test.redis;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.UnaryOperator;

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
 * <p>With replicas ({@link #start(int, int, Persistence)}), each master has its own replicas
 * ({@code CLUSTER REPLICATE}); {@link #killAndAwaitPromotion(RedisServer, Duration)} kills a master and waits until
 * a replica serves its slots, {@link #manualFailover(RedisServer, Duration)} promotes a replica while its master runs
 * ({@code CLUSTER FAILOVER}), and {@link #masters()} and {@link #masterFor(String)} ask a running node, so they follow
 * every promotion.
 *
 * <p>Resharding: {@link #migrateSlot(int, RedisServer)} moves one slot and its keys to another master while the
 * cluster keeps serving, with the same commands as {@code redis-cli --cluster reshard} ({@code CLUSTER SETSLOT
 * IMPORTING / MIGRATING}, {@code CLUSTER GETKEYSINSLOT} + {@code MIGRATE}, {@code CLUSTER SETSLOT NODE});
 * {@link #startMigration(int, RedisServer)} does the same in steps, so a test can act while the slot is half moved
 * (the source then answers {@code -ASK} for moved keys and {@code -TRYAGAIN} for multi-key commands over moved and
 * unmoved keys). {@link #masterFor(String)} follows the migrations made through this object.
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

    /** Keys per {@code CLUSTER GETKEYSINSLOT} + {@code MIGRATE} round, as {@code redis-cli --cluster reshard}. */
    private static final int KEYS_PER_ROUND = 100;

    /** {@code MIGRATE}'s own timeout; below {@link RedisServer#COMMAND_TIMEOUT} so its error reply arrives first. */
    private static final Duration MIGRATE_TIMEOUT = Duration.ofSeconds(2);

    /** Bound on one {@link Migration#moveKeys(int)} call, however many rounds it takes. */
    private static final Duration KEY_MOVE_TIMEOUT = Duration.ofSeconds(60);

    /** The masters at formation, in order. */
    private final List<RedisServer> masters;

    /** Every node: {@link #masters}, then the replicas (for master {@code i}, those at {@code i * perMaster}...). */
    private final List<RedisServer> nodes;

    /** How many replicas each master was given at formation. */
    private final int replicasPerMaster;

    /** Each node's id ({@code CLUSTER MYID}), by index in {@link #nodes}; ids never change. */
    private final List<String> ids;

    /** Slot → index in {@link #masters}: the formation ranges, then updated by every finished migration. */
    private final AtomicIntegerArray owners = new AtomicIntegerArray(SLOTS);

    /** Slots with a started, unfinished {@link Migration}, and when each started; guarded by itself. */
    private final Map<Integer, Long> openMigrations = new HashMap<>();

    /** The finished migrations that moved a slot, in order; guarded by {@link #openMigrations}. */
    private final List<MigrationWindow> finishedMigrations = new ArrayList<>();

    /** The same, by slot; guarded by {@link #openMigrations}. */
    private final Map<Integer, List<MigrationWindow>> finishedBySlot = new HashMap<>();

    private RedisCluster(List<RedisServer> masters, List<RedisServer> replicas, int replicasPerMaster) {
        this.masters = List.copyOf(masters);
        List<RedisServer> all = new ArrayList<>(masters);
        all.addAll(replicas);
        this.nodes = List.copyOf(all);
        this.replicasPerMaster = replicasPerMaster;
        this.ids =
                nodes.stream().map(n -> (String) n.command("CLUSTER", "MYID")).toList();
        for (int i = 0; i < this.masters.size(); i++) {
            for (int slot = firstSlot(i, this.masters.size()); slot < firstSlot(i + 1, this.masters.size()); slot++) {
                owners.set(slot, i);
            }
        }
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
        return start(masters, 0, persistence, UnaryOperator.identity());
    }

    /**
     * Starts {@code masters} masters and {@code replicasPerMaster} replicas of each, and forms a cluster of them: the
     * masters get the slots as in {@link #start(int, Persistence)}, every node joins with {@code CLUSTER MEET}, then
     * each replica follows its master ({@code CLUSTER REPLICATE <master-id>}). Returns once every node agrees on the
     * slot map and every replica's replication link is up. With {@code cluster-node-timeout} 1000 ms a killed master
     * is replaced by one of its replicas within a few seconds ({@link #killAndAwaitPromotion(RedisServer,
     * Duration)}); {@link #manualFailover(RedisServer, Duration)} swaps a master and its replica while both run.
     * Replication is asynchronous: a write acknowledged by a master just before it was killed may be missing on the
     * replica promoted in its place.
     *
     * @param masters how many masters, 1 to 16
     * @param replicasPerMaster how many replicas of each master, 0 to 4; 0 is {@link #start(int, Persistence)}
     * @param persistence how every node keeps its data
     * @return the healthy cluster; the caller must {@link #close()} it
     * @throws IllegalArgumentException if a count is out of range
     * @throws IllegalStateException if a node does not start or the cluster does not agree within 30 s; every node
     *     started is closed then
     */
    public static RedisCluster start(int masters, int replicasPerMaster, Persistence persistence) {
        return start(masters, replicasPerMaster, persistence, UnaryOperator.identity());
    }

    /**
     * Like {@link #start(int, Persistence)}, with more settings for every node: for example
     * {@code node -> node.tls(cert, key, ca).config("tls-cluster yes")} for a cluster whose clients and bus use TLS
     * (the harness still forms and checks it through the plain ports).
     *
     * @param masters how many masters, 1 to 16
     * @param persistence how every master keeps its data
     * @param eachNode adds settings to each node's builder, after the harness's own
     * @return the healthy cluster; the caller must {@link #close()} it
     */
    public static RedisCluster start(
            int masters, Persistence persistence, UnaryOperator<RedisServer.Builder> eachNode) {
        return start(masters, 0, persistence, eachNode);
    }

    private static RedisCluster start(
            int masters, int replicasPerMaster, Persistence persistence, UnaryOperator<RedisServer.Builder> eachNode) {
        Objects.requireNonNull(persistence, "persistence");
        Objects.requireNonNull(eachNode, "eachNode");
        if (masters < 1 || masters > 16) {
            throw new IllegalArgumentException("masters must be 1 to 16, was " + masters);
        }
        if (replicasPerMaster < 0 || replicasPerMaster > 4) {
            throw new IllegalArgumentException("replicasPerMaster must be 0 to 4, was " + replicasPerMaster);
        }
        List<RedisServer> nodes = new ArrayList<>();
        List<RedisServer> replicas = new ArrayList<>();
        boolean ok = false;
        try {
            for (int i = 0; i < masters; i++) {
                nodes.add(eachNode.apply(node(persistence)).start());
            }
            for (int i = 0; i < masters * replicasPerMaster; i++) {
                replicas.add(eachNode.apply(node(persistence)
                                // A replica syncs as soon as it connects, not after the default 5 s wait for more.
                                .config("repl-diskless-sync-delay 0"))
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
            List<RedisServer> others = new ArrayList<>(nodes.subList(1, masters));
            others.addAll(replicas);
            for (RedisServer node : others) {
                first.command(
                        "CLUSTER",
                        "MEET",
                        RedisServer.HOST,
                        Integer.toString(node.port()),
                        Integer.toString(node.clusterBusPort()));
            }
            RedisCluster cluster = new RedisCluster(nodes, replicas, replicasPerMaster);
            if (replicasPerMaster > 0) {
                cluster.attachReplicas(DEFAULT_FORMATION_TIMEOUT);
            }
            cluster.awaitHealthy(DEFAULT_FORMATION_TIMEOUT);
            ok = true;
            return cluster;
        } finally {
            if (!ok) {
                replicas.forEach(RedisServer::close);
                nodes.forEach(RedisServer::close);
            }
        }
    }

    private static RedisServer.Builder node(Persistence persistence) {
        return RedisServer.builder()
                .persistence(persistence)
                .clusterEnabled()
                // A killed master is marked failed after 1 s, so tests of a dead master (and failovers) end quickly.
                .config("cluster-node-timeout 1000");
    }

    /**
     * {@code CLUSTER REPLICATE <master-id>} on each replica, once it has learned of its master through the bus (before
     * that it answers {@code -ERR Unknown node}).
     */
    private void attachReplicas(Duration timeout) {
        for (int r = masters.size(); r < nodes.size(); r++) {
            RedisServer replica = nodes.get(r);
            String masterId = ids.get((r - masters.size()) / replicasPerMaster);
            Polling.await(timeout, replica + " to replicate " + masterId, () -> {
                try {
                    replica.command("CLUSTER", "REPLICATE", masterId);
                    return null;
                } catch (RuntimeException e) {
                    return e.getMessage();
                }
            });
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

    /**
     * The masters. Of a cluster without replicas: the masters in formation order, master {@code i} given the
     * {@code i}-th equal share of the slots (migrations may have moved some since, see {@link #masterFor(String)}),
     * also while one is down. Of a cluster with replicas: the nodes that serve slots now, as a running node's
     * {@code CLUSTER SLOTS} says, in {@link #nodes()} order, so that a replica promoted by a failover is one and a
     * demoted or failed master is not.
     *
     * @return the masters
     */
    public List<RedisServer> masters() {
        if (replicasPerMaster == 0) {
            return masters;
        }
        Map<Integer, RedisServer> byPort = new HashMap<>();
        List<?> slots = clusterSlotsOfARunningNode();
        for (Object range : slots) {
            int port = (int) (long) (Long) ((List<?>) ((List<?>) range).get(2)).get(1);
            byPort.put(port, nodeOnPort(port));
        }
        return nodes.stream().filter(n -> byPort.containsKey(n.port())).toList();
    }

    /**
     * @return every node: the masters in formation order, then the replicas (those of master {@code i} first when
     *     formed), whatever their role is now
     */
    public List<RedisServer> nodes() {
        return nodes;
    }

    /**
     * The running nodes that replicate {@code master} now ({@code ROLE} of each running node).
     *
     * @param master a node of this cluster
     * @return its replicas, in {@link #nodes()} order; empty if it has none or is not a master
     */
    public List<RedisServer> replicasOf(RedisServer master) {
        Objects.requireNonNull(master, "master");
        List<RedisServer> replicas = new ArrayList<>();
        for (RedisServer node : nodes) {
            if (node == master || !node.isAlive() || node.isPaused()) {
                continue;
            }
            try {
                List<?> role = (List<?>) node.command("ROLE");
                if ("slave".equals(role.get(0)) && ((Long) role.get(2)) == master.port()) {
                    replicas.add(node);
                }
            } catch (RuntimeException e) {
                // Not answering now: not a replica anyone can rely on.
            }
        }
        return replicas;
    }

    /**
     * Kills {@code master} with SIGKILL ({@code kill -9}) and waits until one of its replicas has been promoted in its
     * place: every running node reports {@code cluster_state:ok}, agrees on a slot map in which the killed master
     * serves nothing, and every running replica's link to its master is up. With {@code cluster-node-timeout} 1000 ms
     * that takes a few seconds. The killed master keeps its data directory; {@link RedisServer#restart()} brings it
     * back as a replica of the promoted node.
     *
     * @param master a master of this cluster with at least one running replica
     * @param timeout how long to wait for the promotion (allow 30 s on a loaded machine)
     * @return the promoted replica, now the master of the killed master's slots
     * @throws IllegalArgumentException if {@code master} is not a node of this cluster or serves no slot
     * @throws IllegalStateException if the cluster was formed without replicas or no replica is promoted in time
     */
    public RedisServer killAndAwaitPromotion(RedisServer master, Duration timeout) {
        return awaitPromotion(master, killMaster(master), timeout);
    }

    /**
     * Kills {@code master} with SIGKILL ({@code kill -9}) without waiting: for a test that does something between the
     * kill and the promotion (resumes the replicas it paused, say), then calls {@link #awaitPromotion}.
     *
     * @param master a master of this cluster with at least one replica
     * @return a slot it served, for {@link #awaitPromotion}
     * @throws IllegalArgumentException if {@code master} is not a node of this cluster or serves no slot
     * @throws IllegalStateException if the cluster was formed without replicas
     */
    public int killMaster(RedisServer master) {
        requireReplicas();
        int slot = aSlotOf(master);
        master.kill();
        return slot;
    }

    /**
     * Waits, as {@link #killAndAwaitPromotion}, until a replica of the killed {@code master} serves its slots.
     *
     * @param master the master {@link #killMaster} killed
     * @param slot what {@link #killMaster} returned
     * @param timeout how long to wait
     * @return the promoted replica
     * @throws IllegalStateException if no replica is promoted in time
     */
    public RedisServer awaitPromotion(RedisServer master, int slot, Duration timeout) {
        RedisServer[] promoted = new RedisServer[1];
        Polling.await(timeout, "a replica of " + master + " to be promoted", () -> {
            RedisServer owner = masterOf(slot);
            if (owner == master) {
                return "slot " + slot + " is still mapped to the killed " + master;
            }
            String why = disagreement(-1, -1);
            if (why != null) {
                return why;
            }
            promoted[0] = owner;
            return null;
        });
        return promoted[0];
    }

    /**
     * A manual failover: sends {@code CLUSTER FAILOVER} to {@code replica}, which waits until it has every write of
     * its master (the master stops taking writes meanwhile), then takes over its slots; the old master becomes its
     * replica. No acknowledged write is lost. Returns once every running node agrees on the new slot map and every
     * replica's link is up.
     *
     * @param replica a running replica of this cluster
     * @param timeout how long to wait
     * @return the former master, now a replica of {@code replica}
     * @throws IllegalArgumentException if {@code replica} is not a node of this cluster or not a replica
     * @throws IllegalStateException if the cluster was formed without replicas or the failover does not complete in
     *     time
     */
    public RedisServer manualFailover(RedisServer replica, Duration timeout) {
        requireReplicas();
        if (!nodes.contains(replica)) {
            throw new IllegalArgumentException(replica + " is not a node of " + this);
        }
        List<?> role = (List<?>) replica.command("ROLE");
        if (!"slave".equals(role.get(0))) {
            throw new IllegalArgumentException(replica + " is not a replica: ROLE " + role);
        }
        RedisServer old = nodeOnPort((int) (long) (Long) role.get(2));
        replica.command("CLUSTER", "FAILOVER");
        Polling.await(timeout, "a manual failover from " + old + " to " + replica, () -> {
            List<?> now = (List<?>) replica.command("ROLE");
            if (!"master".equals(now.get(0))) {
                return replica + " answers ROLE " + now;
            }
            List<?> former = (List<?>) old.command("ROLE");
            if (!"slave".equals(former.get(0))) {
                return old + " answers ROLE " + former;
            }
            return disagreement(-1, -1);
        });
        return old;
    }

    private void requireReplicas() {
        if (replicasPerMaster == 0) {
            throw new IllegalStateException(
                    this + " has no replicas; start it with start(masters, replicasPerMaster, " + "persistence)");
        }
    }

    /** @return a slot that {@code master} serves, as its own {@code CLUSTER SLOTS} says */
    private int aSlotOf(RedisServer master) {
        if (!nodes.contains(master)) {
            throw new IllegalArgumentException(master + " is not a node of " + this);
        }
        for (Object range : (List<?>) master.command("CLUSTER", "SLOTS")) {
            List<?> r = (List<?>) range;
            if ((Long) ((List<?>) r.get(2)).get(1) == master.port()) {
                return (int) (long) (Long) r.get(0);
            }
        }
        throw new IllegalArgumentException(master + " serves no slot");
    }

    /** {@code CLUSTER SLOTS} of the first running node that answers. */
    private List<?> clusterSlotsOfARunningNode() {
        List<String> failures = new ArrayList<>();
        for (RedisServer node : nodes) {
            if (!node.isAlive() || node.isPaused()) {
                continue;
            }
            try {
                return (List<?>) node.command("CLUSTER", "SLOTS");
            } catch (RuntimeException e) {
                failures.add(node + ": " + e.getMessage());
            }
        }
        throw new IllegalStateException("no node of " + this + " answers CLUSTER SLOTS: " + failures);
    }

    private RedisServer nodeOnPort(int port) {
        for (RedisServer node : nodes) {
            if (node.port() == port) {
                return node;
            }
        }
        throw new IllegalStateException("port " + port + " is not a node of " + this);
    }

    /**
     * The master that serves a key's slot. Without replicas: from the slot ranges this cluster was formed with,
     * updated by every migration this object finished ({@link #migrateSlot(int, RedisServer)},
     * {@link Migration#finish()}); while a migration is in progress that is still the source; asks no node, so it also
     * answers while masters are down. With replicas, where failovers move slots without this object: as the
     * {@code CLUSTER SLOTS} of a running node says now (a killed master until a replica is promoted in its place).
     *
     * @param key a key
     * @return its master
     */
    public RedisServer masterFor(String key) {
        return masterOf(slot(key));
    }

    /**
     * The master that serves a slot, as {@link #masterFor(String)} for its keys.
     *
     * @param slot a slot, 0 to 16383
     * @return its master
     */
    public RedisServer masterOf(int slot) {
        if (replicasPerMaster > 0) {
            for (Object range : clusterSlotsOfARunningNode()) {
                List<?> r = (List<?>) range;
                if ((Long) r.get(0) <= slot && slot <= (Long) r.get(1)) {
                    return nodeOnPort((int) (long) (Long) ((List<?>) r.get(2)).get(1));
                }
            }
            throw new IllegalStateException("no node of " + this + " maps slot " + slot);
        }
        return masters.get(owners.get(slot));
    }

    /**
     * Moves one slot and every key in it from its current master to {@code target}, as
     * {@code redis-cli --cluster reshard} does, while the cluster keeps serving: {@link #startMigration(int,
     * RedisServer)} followed by {@link Migration#finish()}. Returns once every master maps the slot to
     * {@code target}. Does nothing if {@code target} already serves the slot. Every master must be running.
     *
     * @param slot the slot, 0 to 16383
     * @param target the master that is to serve it, one of {@link #masters()}
     * @throws IllegalArgumentException if the slot is out of range or {@code target} is not a master of this cluster
     * @throws IllegalStateException if a migration of the slot is already in progress, the keys are not moved within
     *     60 s, or the masters do not agree on the new owner within 30 s
     * @throws RuntimeException carrying the server's message when a command fails (for example {@code MIGRATE}
     *     answering {@code -BUSYKEY} because {@code target} already holds one of the keys)
     */
    public void migrateSlot(int slot, RedisServer target) {
        startMigration(slot, target).finish();
    }

    /**
     * Starts moving one slot to {@code target}, for a test that acts while the slot is half moved: looks up the
     * slot's current master (the source) in {@code target}'s {@code CLUSTER SLOTS}, then sends
     * {@code CLUSTER SETSLOT <slot> IMPORTING <source-id>} to {@code target} and
     * {@code CLUSTER SETSLOT <slot> MIGRATING <target-id>} to the source. No key has moved yet; move them with
     * {@link Migration#moveKeys(int)} and complete with {@link Migration#finish()}. If {@code target} already serves
     * the slot, nothing is sent and the migration is already finished.
     *
     * @param slot the slot, 0 to 16383
     * @param target the master that is to serve it, one of {@link #masters()}
     * @return the migration; not thread-safe
     * @throws IllegalArgumentException if the slot is out of range or {@code target} is not a master of this cluster
     * @throws IllegalStateException if a migration of the slot is already in progress or the slot's owner is not a
     *     master of this cluster
     */
    public Migration startMigration(int slot, RedisServer target) {
        Objects.requireNonNull(target, "target");
        if (slot < 0 || slot >= SLOTS) {
            throw new IllegalArgumentException("slot must be 0 to " + (SLOTS - 1) + ", was " + slot);
        }
        int targetIndex = masters.indexOf(target);
        if (targetIndex < 0) {
            throw new IllegalArgumentException(target + " is not a master of " + this);
        }
        synchronized (openMigrations) {
            if (openMigrations.putIfAbsent(slot, System.nanoTime()) != null) {
                throw new IllegalStateException("slot " + slot + " is already being migrated");
            }
        }
        boolean open = false;
        try {
            int sourceIndex = ownerInClusterSlots(target, slot);
            owners.set(slot, sourceIndex);
            if (sourceIndex == targetIndex) {
                return new Migration(slot, target, target, null, null);
            }
            RedisServer source = masters.get(sourceIndex);
            String sourceId = (String) source.command("CLUSTER", "MYID");
            String targetId = (String) target.command("CLUSTER", "MYID");
            String slotText = Integer.toString(slot);
            target.command("CLUSTER", "SETSLOT", slotText, "IMPORTING", sourceId);
            source.command("CLUSTER", "SETSLOT", slotText, "MIGRATING", targetId);
            open = true;
            return new Migration(slot, source, target, sourceId, targetId);
        } finally {
            if (!open) {
                closeMigration(slot, false);
            }
        }
    }

    /**
     * One slot on its way from one master (the source) to another (the target), started by
     * {@link #startMigration(int, RedisServer)}. Until {@link #finish()} the source still serves the slot: it answers
     * {@code -ASK <slot> 127.0.0.1:<target-port>} for a key already moved and {@code -TRYAGAIN} for a multi-key
     * command over moved and unmoved keys, and the target answers moved keys only after {@code ASKING}. Keys are
     * listed and moved as UTF-8 text, so key names must be valid UTF-8. Not thread-safe.
     */
    public final class Migration {
        private final int slot;
        private final RedisServer source;
        private final RedisServer target;
        private final String sourceId;
        private final String targetId;
        private boolean finished;

        private Migration(int slot, RedisServer source, RedisServer target, String sourceId, String targetId) {
            this.slot = slot;
            this.source = source;
            this.target = target;
            this.sourceId = sourceId;
            this.targetId = targetId;
            this.finished = source == target;
        }

        /** @return the master that served the slot when the migration started */
        public RedisServer source() {
            return source;
        }

        /** @return the master that is to serve the slot */
        public RedisServer target() {
            return target;
        }

        /**
         * Moves up to {@code max} keys of the slot from the source to the target: rounds of
         * {@code CLUSTER GETKEYSINSLOT <slot> <n>} on the source and
         * {@code MIGRATE 127.0.0.1 <target-port> "" 0 <timeout> KEYS ...} (at most 100 keys a round) until
         * {@code max} keys moved or none is left.
         *
         * @param max the most keys to move, at least 1
         * @return how many keys moved; 0 when none was left, after {@link #finish()}, and for a migration that had
         *     nothing to do
         * @throws IllegalArgumentException if {@code max} is below 1
         * @throws IllegalStateException if keys are still left to move after 60 s
         * @throws RuntimeException carrying the server's message when {@code MIGRATE} fails
         */
        public int moveKeys(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("max must be at least 1, was " + max);
            }
            if (finished) {
                return 0;
            }
            long deadline = System.nanoTime() + KEY_MOVE_TIMEOUT.toNanos();
            int moved = 0;
            while (moved < max) {
                List<?> keys = (List<?>) source.command(
                        "CLUSTER",
                        "GETKEYSINSLOT",
                        Integer.toString(slot),
                        Integer.toString(Math.min(KEYS_PER_ROUND, max - moved)));
                if (keys.isEmpty()) {
                    break;
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException(this + ": keys still left after " + KEY_MOVE_TIMEOUT.toSeconds()
                            + " s, " + moved + " moved by this call");
                }
                List<String> round = new ArrayList<>();
                keys.forEach(key -> round.add((String) key));
                if (migrate(round)) {
                    moved += keys.size();
                }
            }
            return moved;
        }

        /**
         * Moves exactly the named keys from the source to the target, in one {@code MIGRATE}, leaving every other key
         * of the slot where it is: for a test that needs one order of a migration that {@link #moveKeys(int)} (in
         * {@code GETKEYSINSLOT} order) may not give, such as a record moved before the lock it guards.
         *
         * @param keys keys of this slot, at least one
         * @return whether they moved; false when none of them was on the source ({@code NOKEY})
         * @throws IllegalArgumentException if no key is given or a key is not in this slot
         * @throws IllegalStateException after {@link #finish()}
         * @throws RuntimeException carrying the server's message when {@code MIGRATE} fails
         */
        public boolean move(String... keys) {
            if (keys.length == 0) {
                throw new IllegalArgumentException("no key to move");
            }
            for (String key : keys) {
                if (slot(key) != slot) {
                    throw new IllegalArgumentException(key + " is in slot " + slot(key) + ", not " + slot);
                }
            }
            if (finished) {
                throw new IllegalStateException(this + " is finished");
            }
            return migrate(List.of(keys));
        }

        /**
         * Sends one command to the target after {@code ASKING}, on a connection of its own (ASKING applies to the next
         * command of its connection, which the server's shared one cannot promise), as a client that follows an
         * {@code ASK} redirection does. The target then serves keys of the slot that it holds, and answers a
         * single-key command for a key it does not hold (perhaps still on the source) as if the key did not exist.
         *
         * @param command the command name and its arguments
         * @return the decoded reply, as {@link RedisServer#command(String...)}
         * @throws UncheckedIOException on connection errors and timeouts
         * @throws RuntimeException carrying the server's message when Redis answers with an error reply
         */
        public Object askTarget(String... command) {
            try (CommandConnection connection =
                    CommandConnection.open(target.port(), RedisServer.COMMAND_TIMEOUT, RedisServer.COMMAND_TIMEOUT)) {
                connection.command("ASKING");
                return connection.command(command);
            }
        }

        /** {@code MIGRATE ... KEYS <keys>} on the source; false on {@code NOKEY} (none of them was there). */
        private boolean migrate(List<String> keys) {
            List<String> migrate = new ArrayList<>(List.of(
                    "MIGRATE",
                    RedisServer.HOST,
                    Integer.toString(target.port()),
                    "",
                    "0",
                    Long.toString(MIGRATE_TIMEOUT.toMillis()),
                    "KEYS"));
            migrate.addAll(keys);
            return "OK".equals(source.command(migrate.toArray(String[]::new)));
        }

        /**
         * Completes the migration: {@link #moveKeys(int) moves} the keys still on the source, assigns the slot with
         * {@code CLUSTER SETSLOT <slot> NODE <target-id>} on the target, then the source, then every other master,
         * and waits until every master maps the slot to the target; {@link RedisCluster#masterFor(String)} then
         * answers the target. Does nothing when already finished.
         *
         * @throws IllegalStateException if the keys are not moved within 60 s or the masters do not agree within 30 s
         * @throws RuntimeException carrying the server's message when a command fails
         */
        public void finish() {
            if (finished) {
                return;
            }
            if (source != target) {
                moveKeys(Integer.MAX_VALUE);
                String slotText = Integer.toString(slot);
                target.command("CLUSTER", "SETSLOT", slotText, "NODE", targetId);
                source.command("CLUSTER", "SETSLOT", slotText, "NODE", targetId);
                for (RedisServer other : masters) {
                    if (other != source && other != target) {
                        other.command("CLUSTER", "SETSLOT", slotText, "NODE", targetId);
                    }
                }
                // From here on neither master refuses a command for the migration: the window ends.
                closeMigration(slot, true);
                int targetIndex = masters.indexOf(target);
                owners.set(slot, targetIndex);
                awaitAgreement(DEFAULT_FORMATION_TIMEOUT, slot, targetIndex);
            }
            finished = true;
        }

        @Override
        public String toString() {
            return "Migration[slot " + slot + " from " + source + " (" + sourceId + ") to " + target + " (" + targetId
                    + ")" + (finished ? ", finished" : "") + "]";
        }
    }

    /** Ends the open migration of {@code slot}; with {@code moved}, records its window. */
    private void closeMigration(int slot, boolean moved) {
        long now = System.nanoTime();
        synchronized (openMigrations) {
            Long started = openMigrations.remove(slot);
            if (moved && started != null) {
                MigrationWindow w = new MigrationWindow(slot, started, now);
                finishedMigrations.add(w);
                finishedBySlot.computeIfAbsent(slot, s -> new ArrayList<>()).add(w);
            }
        }
    }

    /**
     * The time one migration made through this object was in progress: from just before its
     * {@code CLUSTER SETSLOT ... IMPORTING} to just after the last {@code CLUSTER SETSLOT ... NODE} of
     * {@link Migration#finish()}, while the two masters may refuse commands over the slot's keys.
     *
     * @param slot the slot migrated
     * @param startNanos {@link System#nanoTime()} at its start
     * @param endNanos {@link System#nanoTime()} at its end
     */
    public record MigrationWindow(int slot, long startNanos, long endNanos) {}

    /** @return the migrations that moved a slot and finished, in the order they finished */
    public List<MigrationWindow> finishedMigrations() {
        synchronized (openMigrations) {
            return List.copyOf(finishedMigrations);
        }
    }

    /**
     * Whether a migration of {@code slot} made through this object was in progress at some moment between
     * {@code fromNanos} and {@code toNanos} ({@link System#nanoTime()} values): a finished one whose window overlaps
     * that time, or one still in progress that started before {@code toNanos}. For example, whether a transaction that
     * ran in that time met the slot being resharded.
     *
     * @param slot a slot
     * @param fromNanos the start of the time
     * @param toNanos its end, not before {@code fromNanos}
     * @return whether the slot was migrating then
     */
    public boolean migrating(int slot, long fromNanos, long toNanos) {
        synchronized (openMigrations) {
            Long open = openMigrations.get(slot);
            if (open != null && open - toNanos <= 0) {
                return true;
            }
            for (MigrationWindow w : finishedBySlot.getOrDefault(slot, List.of())) {
                if (w.startNanos() - toNanos <= 0 && fromNanos - w.endNanos() <= 0) {
                    return true;
                }
            }
            return false;
        }
    }

    /** @return the index in {@link #masters} of the master that {@code node}'s {@code CLUSTER SLOTS} gives the slot */
    private int ownerInClusterSlots(RedisServer node, int slot) {
        for (Object range : (List<?>) node.command("CLUSTER", "SLOTS")) {
            List<?> r = (List<?>) range;
            if ((Long) r.get(0) <= slot && slot <= (Long) r.get(1)) {
                long port = (Long) ((List<?>) r.get(2)).get(1);
                for (int i = 0; i < masters.size(); i++) {
                    if (masters.get(i).port() == port) {
                        return i;
                    }
                }
                throw new IllegalStateException(
                        node + " maps slot " + slot + " to port " + port + ", not a master of " + this);
            }
        }
        throw new IllegalStateException(node + " maps slot " + slot + " to no node");
    }

    /**
     * The URIs of every node (the masters, then any replicas), for a cluster client's seed list.
     *
     * @return {@code redis://127.0.0.1:<port>} per node
     */
    public List<String> uris() {
        return nodes.stream().map(RedisServer::uri).toList();
    }

    /**
     * The URI of a redtx Cluster participant on this cluster, with every node (the masters, then any replicas) as a
     * seed, so that a client can still learn the topology while a master is down.
     *
     * @return {@code redis-cluster://127.0.0.1:<port>,127.0.0.1:<port>,...}
     */
    public String participantUri() {
        return "redis-cluster://"
                + String.join(
                        ",",
                        nodes.stream()
                                .map(m -> RedisServer.HOST + ":" + m.port())
                                .toList());
    }

    /**
     * The URI of a redtx Cluster participant on this cluster over TLS, with every master's TLS port as a seed; the
     * nodes need {@code RedisServer.Builder#tls} and {@code tls-cluster yes} (see
     * {@link #start(int, Persistence, UnaryOperator)}).
     *
     * @return {@code rediss-cluster://127.0.0.1:<tlsPort>,127.0.0.1:<tlsPort>,...}
     */
    public String tlsParticipantUri() {
        return "rediss-cluster://"
                + String.join(
                        ",",
                        nodes.stream()
                                .map(m -> RedisServer.HOST + ":" + m.tlsPort())
                                .toList());
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
        awaitAgreement(timeout, -1, -1);
    }

    /**
     * {@link #awaitHealthy(Duration)}; with {@code slot} not negative, every master must also map it to the master
     * at {@code ownerIndex}.
     */
    private void awaitAgreement(Duration timeout, int slot, int ownerIndex) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last;
        while (true) {
            last = disagreement(slot, ownerIndex);
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

    /**
     * @return why the cluster is not healthy yet (or, with {@code slot} not negative, does not map it to the master
     *     at {@code ownerIndex}), or null
     */
    private String disagreement(int slot, int ownerIndex) {
        String expected = null;
        // With replicas a failover replaces a killed node, so the running ones must agree; without, every master must
        // be back.
        List<RedisServer> asked = replicasPerMaster == 0
                ? masters
                : nodes.stream().filter(n -> n.isAlive() && !n.isPaused()).toList();
        for (RedisServer node : asked) {
            String info;
            String slots;
            int owner;
            try {
                info = (String) node.command("CLUSTER", "INFO");
                slots = slotMap(node);
                owner = slot < 0 ? ownerIndex : ownerInClusterSlots(node, slot);
            } catch (RuntimeException e) {
                return node + ": " + e.getMessage();
            }
            for (String field : List.of(
                    "cluster_state:ok",
                    "cluster_slots_assigned:" + SLOTS,
                    "cluster_slots_ok:" + SLOTS,
                    "cluster_known_nodes:" + nodes.size())) {
                if (!info.contains(field + "\r\n")) {
                    return node + " lacks " + field;
                }
            }
            if (owner != ownerIndex) {
                return node + " maps slot " + slot + " to " + nodes.get(owner) + ", not " + nodes.get(ownerIndex);
            }
            if (expected == null) {
                expected = slots;
            } else if (!expected.equals(slots)) {
                return node + " maps slots as " + slots + ", " + asked.get(0) + " as " + expected;
            }
            if (replicasPerMaster > 0) {
                String why = roleProblem(node, slots);
                if (why != null) {
                    return why;
                }
            }
        }
        return null;
    }

    /**
     * @return why {@code node} is neither a master in {@code slots} (a {@link #slotMap} text) nor a replica whose link
     *     to a running master is up, or null
     */
    private String roleProblem(RedisServer node, String slots) {
        List<?> role = (List<?>) node.command("ROLE");
        if ("master".equals(role.get(0))) {
            return endsWithPort(slots, node.port()) ? null : node + " is a master that serves no slot";
        }
        int masterPort = (int) (long) (Long) role.get(2);
        if (!"connected".equals(role.get(3)) || !nodeOnPort(masterPort).isAlive()) {
            return node + " answers ROLE " + role + ": its replication link is not up";
        }
        return null;
    }

    /** @return whether some "first-last:port" range of {@code slots} ends with exactly {@code port} */
    private static boolean endsWithPort(String slots, int port) {
        for (String range : slots.split(",")) {
            if (range.endsWith(":" + port)) {
                return true;
            }
        }
        return false;
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

    /** Closes every node: the processes are stopped by PID and the data directories deleted. Idempotent. */
    @Override
    public void close() {
        nodes.forEach(RedisServer::close);
    }

    @Override
    public String toString() {
        return "RedisCluster" + masters;
    }
}
