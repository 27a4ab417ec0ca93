package io.redtx.runtime.internal.redis;

import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.ThreadExecutorMap;
import io.redtx.runtime.internal.Deadlines;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The {@code WAIT}s of a participant's connections, shared by the scripts sent on each. {@code WAIT} blocks its
 * connection on the server until the replicas answer, so the commands of every transaction multiplexed behind it wait
 * too; one {@code WAIT} per script made that wait the connection's rhythm. A {@code WAIT} (with the barrier write
 * before it) counts everything its connection wrote before it, so each connection has at most one in flight: scripts
 * sent meanwhile share the next one, sent when it returns. With one script at a time nothing changes: the script,
 * the barrier and {@code WAIT} still go out together.
 */
final class ReplicaWaits {

    private final int replicas;
    private final long millis;
    /** How long a {@code WAIT} may take before its batch is failed: its own timeout, and time to reach the server. */
    private final Duration bound;

    private final Deadlines deadlines;
    private final Map<RedisClusterAsyncCommands<String, String>, Batch> byConnection = new ConcurrentHashMap<>();

    ReplicaWaits(int replicas, Duration timeout, Duration slack, Deadlines deadlines) {
        this.replicas = replicas;
        this.millis = timeout.toMillis();
        this.bound = timeout.plus(slack);
        this.deadlines = deadlines;
    }

    /**
     * @param c the connection a script was just sent on
     * @param barrier sends the write that the {@code WAIT} covering the script waits for
     * @return how many replicas acknowledged a {@code WAIT} sent after the script on {@code c}; a future of the
     *     caller's own, which it may fail (a time limit) without touching the other scripts'
     */
    CompletableFuture<Long> after(
            RedisClusterAsyncCommands<String, String> c, Supplier<? extends CompletionStage<?>> barrier) {
        return byConnection.computeIfAbsent(c, Batch::new).join(barrier).thenApply(n -> n);
    }

    /** Drops what is kept for a connection that closed. */
    void forget(RedisClusterAsyncCommands<String, String> c) {
        byConnection.remove(c);
    }

    /** One connection's {@code WAIT}s. */
    private final class Batch {
        private final RedisClusterAsyncCommands<String, String> c;
        /** What the scripts sent since the {@code WAIT} in flight wait for; null when none was. Guarded by this. */
        private CompletableFuture<Long> next;
        /** The barrier the next {@code WAIT} writes first. Guarded by this. */
        private Supplier<? extends CompletionStage<?>> nextBarrier;
        /** Whether a {@code WAIT} is in flight. Guarded by this. */
        private boolean waiting;

        Batch(RedisClusterAsyncCommands<String, String> c) {
            this.c = c;
        }

        CompletableFuture<Long> join(Supplier<? extends CompletionStage<?>> barrier) {
            CompletableFuture<Long> mine;
            synchronized (this) {
                if (waiting) {
                    if (next == null) {
                        next = new CompletableFuture<>();
                    }
                    nextBarrier = barrier;
                    return next;
                }
                waiting = true;
                mine = new CompletableFuture<>();
            }
            // On the thread that just sent the script: commands one thread sends reach the connection in order.
            send(mine, barrier);
            return mine;
        }

        /**
         * Sends the barrier and {@code WAIT} for {@code batch}; when {@code WAIT} returns, sends the next one for the
         * scripts gathered meanwhile ({@link #sendNext}).
         */
        private void send(CompletableFuture<Long> batch, Supplier<? extends CompletionStage<?>> barrier) {
            CompletableFuture<?> written;
            CompletableFuture<Long> acks;
            try {
                written = barrier.get().toCompletableFuture();
                acks = deadlines.bound(c.waitForReplication(replicas, millis).toCompletableFuture(), bound);
            } catch (RuntimeException refused) {
                batch.completeExceptionally(refused);
                sendNext();
                return;
            }
            acks.whenComplete((n, failed) -> {
                if (failed != null) {
                    batch.completeExceptionally(failed);
                } else {
                    // The barrier's reply came before WAIT's: a refused barrier (an ACL without it) fails the batch.
                    written.whenComplete((ok, refused) -> {
                        if (refused != null) {
                            batch.completeExceptionally(refused);
                        } else {
                            batch.complete(n);
                        }
                    });
                }
                sendNext();
            });
        }

        /**
         * Sends the {@code WAIT} the scripts gathered while the last one was in flight share, if any. The scripts are
         * taken now; the {@code WAIT} is written after them. On an event loop (where {@code WAIT}'s reply completes)
         * a write goes out at once, ahead of writes that other threads asked for earlier and that the loop has not
         * run yet, which could be those very scripts: so there the barrier and {@code WAIT} are sent from a task
         * queued behind them.
         */
        private void sendNext() {
            CompletableFuture<Long> batch;
            Supplier<? extends CompletionStage<?>> barrier;
            synchronized (this) {
                batch = next;
                barrier = nextBarrier;
                next = null;
                nextBarrier = null;
                if (batch == null) {
                    waiting = false;
                    return;
                }
            }
            EventExecutor loop = ThreadExecutorMap.currentExecutor();
            if (loop == null) {
                send(batch, barrier);
            } else {
                loop.execute(() -> send(batch, barrier));
            }
        }
    }
}
