package io.redtx.benchmarks;

import io.redtx.api.AdmissionOptions;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.lock.DistributedLock;
import io.redtx.api.lock.LockLease;
import io.redtx.api.lock.LockOptions;
import io.redtx.runtime.RedisTransactionRuntime;
import io.redtx.samples.load.Format;
import io.redtx.test.redis.RedisServer;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.redisson.Redisson;
import org.redisson.RedissonFencedLock;
import org.redisson.api.RLockReactive;
import org.redisson.api.RedissonClient;
import org.redisson.api.RedissonReactiveClient;
import org.redisson.config.Config;
import org.redisson.config.SingleServerConfig;
import reactor.core.publisher.Mono;

/**
 * The ways the lock benchmark takes and gives back a lock, each on its own client over the same embedded server. Lock
 * objects are made once per name when the engine opens, so that the measured path is the acquisition and the release
 * only.
 */
enum LockWorkload {
    /** redtx's exclusive lock: {@code acquire()}, then {@code release()}. */
    REDTX_LOCK("redtx-lock", "redtx DistributedLock: acquire(), then lease.release()"),
    /** redtx's lock, plus one transaction per hold that requires the lease and increments a counter. */
    REDTX_LOCK_GUARDED(
            "redtx-lock-guarded",
            "redtx DistributedLock plus, per hold, one transaction: requireLock(lease), then incrBy(counter, 1)"),
    /** Redisson's reentrant lock, reactive API, one thread id per worker. */
    REDISSON_RLOCK(
            "redisson-rlock", "Redisson RLockReactive: lock(leaseTime, MILLISECONDS, threadId), then unlock(threadId)"),
    /** Redisson's fenced lock (a token per grant, as redtx's), async API: its reactive one takes no thread id. */
    REDISSON_FENCEDLOCK(
            "redisson-fencedlock",
            "Redisson RFencedLock: tryLockAndGetTokenAsync(waitTime, leaseTime, MILLISECONDS, threadId), then"
                    + " unlockAsync(threadId)");

    /** The participant name of the one server in redtx's runtime. */
    static final String PARTICIPANT = "s0";

    /** How long a redtx runtime may take to close gracefully. */
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(60);

    private final String id;
    private final String description;

    LockWorkload(String id, String description) {
        this.id = id;
        this.description = description;
    }

    /** @return the name on the command line, in the table and in the JSON */
    String id() {
        return id;
    }

    /** @return one line on what a pair does */
    String description() {
        return description;
    }

    /** @return whether it is a Redisson baseline */
    boolean redisson() {
        return this == REDISSON_RLOCK || this == REDISSON_FENCEDLOCK;
    }

    /** @return the workload named {@code id} */
    static Optional<LockWorkload> byId(String id) {
        for (LockWorkload w : values()) {
            if (w.id.equals(id)) {
                return Optional.of(w);
            }
        }
        return Optional.empty();
    }

    /**
     * What every workload is given.
     *
     * @param server the one server
     * @param locks how many lock names the engine prepares ({@code lock:0 .. lock:locks-1})
     * @param concurrency holders at once (sizes Redisson's pools, redtx's admission)
     * @param lease the lease of every grant
     * @param waitTime the longest wait of an acquisition (redtx, Redisson's fenced lock)
     * @param redissonWatchdog Redisson with no lease time (its watchdog renews), instead of a fixed lease
     */
    record Settings(
            RedisServer server,
            int locks,
            int concurrency,
            Duration lease,
            Duration waitTime,
            boolean redissonWatchdog) {}

    /**
     * Connects and makes the lock objects (blocking: call it from the main thread).
     *
     * @param s the settings
     * @return the engine; close it when the load is over
     */
    Engine open(Settings s) {
        return switch (this) {
            case REDTX_LOCK -> new RedtxLocks(s, false);
            case REDTX_LOCK_GUARDED -> new RedtxLocks(s, true);
            case REDISSON_RLOCK, REDISSON_FENCEDLOCK -> new RedissonLocks(s, this == REDISSON_FENCEDLOCK);
        };
    }

    /** The key of the redtx workload's lock {@code i}, and a prefix Redisson's keys do not share. */
    static String lockName(LockWorkload w, int i) {
        return w.id + ":lock:" + i;
    }

    /** Takes locks one way; {@link #acquire} is called from any thread, {@link #close()} from the main thread. */
    interface Engine extends AutoCloseable {

        /** @return how the client is configured, for the report */
        String configuration();

        /**
         * Acquires lock {@code lock} for {@code worker}. Lazy; never blocks.
         *
         * @param worker the holder (Redisson ties a lock to a thread id: one per worker)
         * @param lock the lock's index
         * @return the hold, once granted
         */
        Mono<Held> acquire(int worker, int lock);

        /** @return holds whose guarded transaction committed; -1 when the workload has none */
        default long guardedCommits() {
            return -1;
        }

        /** @return the sum of the guarded counters on the server (blocking); -1 when the workload has none */
        default long guardedCounterTotal() {
            return -1;
        }

        /** Closes the client (blocking); closing again does nothing. */
        @Override
        void close();
    }

    /** One granted lock. */
    interface Held {
        /** @return what is done while holding it (lazy): nothing, or the guarded transaction */
        default Mono<Void> work() {
            return Mono.empty();
        }

        /** @return the release (lazy) */
        Mono<Void> release();
    }

    /** redtx's runtime with one participant, the server; default options but the lease, wait time and admission. */
    private static final class RedtxLocks implements Engine {
        private final RedisServer server;
        private final TransactionRuntime runtime;
        private final DistributedLock[] locks;
        private final String[] counters;
        private final boolean guarded;
        private final LongAdder commits = new LongAdder();
        private final String configuration;
        private boolean closed;

        RedtxLocks(Settings s, boolean guarded) {
            this.server = s.server();
            this.guarded = guarded;
            // A rejected admission would be a failed hold: only the workers may cap the load.
            this.runtime = RedisTransactionRuntime.create(RuntimeOptions.builder()
                    .participant(PARTICIPANT, s.server().uri())
                    .admission(a -> a.maxInFlight(Math.max(AdmissionOptions.DEFAULT_MAX_IN_FLIGHT, s.concurrency())))
                    .build());
            LockWorkload w = guarded ? REDTX_LOCK_GUARDED : REDTX_LOCK;
            LockOptions options = LockOptions.builder()
                    .participant(PARTICIPANT)
                    .lease(s.lease())
                    .waitTime(s.waitTime())
                    .build();
            this.locks = new DistributedLock[s.locks()];
            this.counters = new String[s.locks()];
            for (int i = 0; i < locks.length; i++) {
                locks[i] = runtime.lock(lockName(w, i), options);
                counters[i] = w.id + ":count:" + i;
            }
            this.configuration = "redtx runtime, 1 participant, default options but admission.maxInFlight "
                    + Math.max(AdmissionOptions.DEFAULT_MAX_IN_FLIGHT, s.concurrency()) + "; " + options
                    + " (renewed every third of the lease)";
        }

        @Override
        public String configuration() {
            return configuration;
        }

        @Override
        public Mono<Held> acquire(int worker, int lock) {
            if (guarded) {
                return locks[lock].acquire().map(lease -> new GuardedHold(lease, counters[lock]));
            }
            return locks[lock].acquire().map(lease -> lease::release);
        }

        /** A hold whose work is one transaction that commits only while the lease is held. */
        private final class GuardedHold implements Held {
            private final LockLease lease;
            private final String counter;

            GuardedHold(LockLease lease, String counter) {
                this.lease = lease;
                this.counter = counter;
            }

            @Override
            public Mono<Void> work() {
                return runtime.inTransaction(tx ->
                                tx.requireLock(lease).then(tx.on(PARTICIPANT).incrBy(counter, 1)))
                        .doOnSuccess(v -> commits.increment())
                        .then();
            }

            @Override
            public Mono<Void> release() {
                return lease.release();
            }
        }

        @Override
        public long guardedCommits() {
            return guarded ? commits.sum() : -1;
        }

        @Override
        public long guardedCounterTotal() {
            if (!guarded) {
                return -1;
            }
            long total = 0;
            for (String counter : counters) {
                Object v = server.command("GET", counter);
                total += v == null ? 0 : Long.parseLong(v.toString());
            }
            return total;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                runtime.closeGracefully().block(CLOSE_TIMEOUT);
            }
        }
    }

    /** A Redisson client on the server: single-server mode, pools sized for the concurrency, the default codec. */
    private static final class RedissonLocks implements Engine {
        /** Thread ids of the workers: distinct per worker, whatever thread runs its pipeline. */
        private static final long THREAD_ID_BASE = 1_000_000L;

        private final RedissonClient client;
        private final RLockReactive[] locks;
        private final RedissonFencedLock[] fenced;
        private final long leaseMillis;
        private final long waitMillis;
        private final String configuration;
        private boolean closed;

        RedissonLocks(Settings s, boolean fencedLocks) {
            Config config = new Config();
            int pool = Math.max(64, s.concurrency());
            SingleServerConfig single = config.useSingleServer()
                    .setAddress(
                            "redis://" + s.server().host() + ":" + s.server().port())
                    .setConnectionPoolSize(pool)
                    .setConnectionMinimumIdleSize(pool)
                    .setSubscriptionConnectionPoolSize(pool)
                    .setSubscriptionConnectionMinimumIdleSize(1);
            this.client = Redisson.create(config);
            Config used = client.getConfig();
            RedissonReactiveClient reactive = client.reactive();
            LockWorkload w = fencedLocks ? REDISSON_FENCEDLOCK : REDISSON_RLOCK;
            this.leaseMillis = s.redissonWatchdog() ? -1 : s.lease().toMillis();
            this.waitMillis = s.waitTime().toMillis();
            this.locks = fencedLocks ? null : new RLockReactive[s.locks()];
            this.fenced = fencedLocks ? new RedissonFencedLock[s.locks()] : null;
            for (int i = 0; i < s.locks(); i++) {
                if (fencedLocks) {
                    fenced[i] = (RedissonFencedLock) client.getFencedLock(lockName(w, i));
                } else {
                    locks[i] = reactive.getLock(lockName(w, i));
                }
            }
            this.configuration = Format.f(
                    "Redisson %s single server, connection pool %d (min idle %d), subscription pool %d x %d channels,"
                            + " codec %s, %d threads, %d netty threads, checkLockSyncedSlaves %s; %s",
                    version(),
                    single.getConnectionPoolSize(),
                    single.getConnectionMinimumIdleSize(),
                    single.getSubscriptionConnectionPoolSize(),
                    single.getSubscriptionsPerConnection(),
                    used.getCodec() == null
                            ? "default"
                            : used.getCodec().getClass().getSimpleName(),
                    used.getThreads(),
                    used.getNettyThreads(),
                    used.isCheckLockSyncedSlaves(),
                    s.redissonWatchdog()
                            ? "no lease time: the watchdog renews every " + used.getLockWatchdogTimeout() / 3 + " ms"
                            : "lease time " + leaseMillis + " ms (no watchdog)");
        }

        @Override
        public String configuration() {
            return configuration;
        }

        @Override
        public Mono<Held> acquire(int worker, int lock) {
            long threadId = THREAD_ID_BASE + worker;
            if (fenced != null) {
                RedissonFencedLock l = fenced[lock];
                return Mono.fromCompletionStage(() ->
                                l.tryLockAndGetTokenAsync(waitMillis, leaseMillis, TimeUnit.MILLISECONDS, threadId))
                        .switchIfEmpty(Mono.error(() -> new IllegalStateException("Redisson fenced lock " + l.getName()
                                + " was not granted within " + waitMillis + " ms")))
                        .<Held>map(token -> () -> Mono.fromCompletionStage(() -> l.unlockAsync(threadId)));
            }
            RLockReactive l = locks[lock];
            return l.lock(leaseMillis, TimeUnit.MILLISECONDS, threadId).<Held>thenReturn(() -> l.unlock(threadId));
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                client.shutdown();
            }
        }

        /** @return Redisson's version, from the Maven properties its jar carries (kept in the shaded jar) */
        private static String version() {
            try (InputStream in =
                    Redisson.class.getResourceAsStream("/META-INF/maven/org.redisson/redisson/pom.properties")) {
                if (in == null) {
                    return "(version unknown)";
                }
                Properties p = new Properties();
                p.load(in);
                return p.getProperty("version", "(version unknown)");
            } catch (IOException e) {
                return "(version unknown)";
            }
        }
    }
}
