package io.redtx.test.redis;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Reshards a {@link RedisCluster} while a workload runs, as an operator's {@code redis-cli --cluster reshard} would: on
 * its own thread it migrates the given slots one after the other, round after round, each to the next master in
 * formation order, moving {@code keysPerMove} keys per {@code MIGRATE} ({@code redis-cli} moves 10, its
 * {@code --cluster-pipeline} default) and pausing between migrations, until {@link #close() closed}. The windows of
 * the migrations are in {@link RedisCluster#finishedMigrations()}.
 *
 * <pre>{@code
 * try (Resharder resharder = Resharder.start(cluster, slots, 10, Duration.ofMillis(20))) {
 *     ... run the workload ...
 * }
 * }</pre>
 */
public final class Resharder implements AutoCloseable {

    /** How long {@link #close()} waits for the migration in progress to finish. */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

    private final RedisCluster cluster;
    private final List<Integer> slots;
    private final int keysPerMove;
    private final Duration pause;
    private final Thread thread;
    private final AtomicInteger migrations = new AtomicInteger();
    private final AtomicLong keysMoved = new AtomicLong();
    private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
    private volatile boolean stopping;

    private Resharder(RedisCluster cluster, List<Integer> slots, int keysPerMove, Duration pause) {
        this.cluster = cluster;
        this.slots = slots;
        this.keysPerMove = keysPerMove;
        this.pause = pause;
        this.thread = new Thread(this::run, "resharder");
        thread.setDaemon(true);
    }

    /**
     * Starts resharding.
     *
     * @param cluster the cluster, every master running
     * @param slots the slots to move around, at least one, each 0 to 16383
     * @param keysPerMove keys per {@code MIGRATE}, at least 1
     * @param pause the wait between two migrations, zero or positive
     * @return the running resharder; {@link #close()} it
     * @throws IllegalArgumentException if an argument is out of range
     */
    public static Resharder start(RedisCluster cluster, List<Integer> slots, int keysPerMove, Duration pause) {
        Objects.requireNonNull(cluster, "cluster");
        if (slots.isEmpty() || slots.stream().anyMatch(s -> s < 0 || s >= RedisCluster.SLOTS)) {
            throw new IllegalArgumentException("slots must be 0 to 16383, at least one: " + slots);
        }
        if (keysPerMove < 1 || pause.isNegative()) {
            throw new IllegalArgumentException(
                    "keysPerMove must be at least 1 and pause not negative: " + keysPerMove + ", " + pause);
        }
        Resharder r = new Resharder(cluster, List.copyOf(slots), keysPerMove, pause);
        r.thread.start();
        return r;
    }

    private void run() {
        try {
            for (int i = 0; !stopping; i++) {
                int slot = slots.get(i % slots.size());
                RedisServer owner = cluster.masterOf(slot);
                List<RedisServer> masters = cluster.masters();
                RedisServer next = masters.get((masters.indexOf(owner) + 1) % masters.size());
                RedisCluster.Migration migration = cluster.startMigration(slot, next);
                for (int moved; (moved = migration.moveKeys(keysPerMove)) > 0; ) {
                    keysMoved.addAndGet(moved);
                }
                migration.finish();
                migrations.incrementAndGet();
                TimeUnit.NANOSECONDS.sleep(pause.toNanos());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            failure.set(e);
        }
    }

    /** @return migrations finished so far */
    public int migrations() {
        return migrations.get();
    }

    /** @return keys moved so far */
    public long keysMoved() {
        return keysMoved.get();
    }

    /**
     * Stops after the migration in progress has finished (a slot is never left half moved).
     *
     * @throws IllegalStateException if a migration failed (carrying the cause), or the last one did not finish within
     *     60 s
     */
    @Override
    public void close() {
        stopping = true;
        try {
            thread.join(STOP_TIMEOUT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            throw new IllegalStateException("resharder still migrating after " + STOP_TIMEOUT.toSeconds() + " s");
        }
        RuntimeException e = failure.get();
        if (e != null) {
            throw new IllegalStateException("resharding failed after " + migrations() + " migrations: " + e, e);
        }
    }
}
