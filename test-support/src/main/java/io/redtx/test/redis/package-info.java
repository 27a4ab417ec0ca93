/**
 * Real-Redis test harness: starts, kills, restarts, pauses and stops {@code redis-server} processes on free
 * loopback ports, and a JUnit 5 extension that injects them into tests.
 *
 * <h2>Servers</h2>
 *
 * <p>{@link io.redtx.test.redis.RedisServer} owns one {@code redis-server} process bound to {@code 127.0.0.1}, with
 * its own temporary data directory and {@code redis.conf}. {@link io.redtx.test.redis.Persistence#IN_MEMORY} keeps
 * nothing on disk; {@link io.redtx.test.redis.Persistence#DURABLE} runs AOF with {@code appendfsync always}, so an
 * acknowledged write survives {@link io.redtx.test.redis.RedisServer#kill() kill -9} followed by
 * {@link io.redtx.test.redis.RedisServer#restart() restart()} on the same port. Faults are injected with
 * {@code kill()} (SIGKILL), {@code pause()} / {@code resume()} (SIGSTOP / SIGCONT) and {@code stop()} (SIGTERM).
 *
 * <h2>Clusters</h2>
 *
 * <p>{@link io.redtx.test.redis.RedisCluster#start(int, io.redtx.test.redis.Persistence)} forms a real Redis Cluster
 * of masters (each a {@code RedisServer} in cluster mode with its own bus port) through {@code CLUSTER} commands,
 * with no {@code redis-cli}, and waits until every node agrees on the slot map.
 * {@link io.redtx.test.redis.RedisCluster#slot(String)} computes a key's slot as Redis does.
 * {@link io.redtx.test.redis.RedisCluster#migrateSlot(int, io.redtx.test.redis.RedisServer)} reshards a slot with its
 * keys to another master while the cluster runs, and
 * {@link io.redtx.test.redis.RedisCluster#startMigration(int, io.redtx.test.redis.RedisServer)} stops half-way, where
 * the source answers {@code ASK} and {@code TRYAGAIN}.
 * {@link io.redtx.test.redis.RedisCluster#start(int, int, io.redtx.test.redis.Persistence)} adds replicas to each
 * master ({@code CLUSTER REPLICATE}); a master can then be killed and replaced by its replica
 * ({@link io.redtx.test.redis.RedisCluster#killAndAwaitPromotion(io.redtx.test.redis.RedisServer,
 * java.time.Duration)}) or swapped with it while both run
 * ({@link io.redtx.test.redis.RedisCluster#manualFailover(io.redtx.test.redis.RedisServer, java.time.Duration)}).
 *
 * <h2>Sentinel</h2>
 *
 * <p>{@link io.redtx.test.redis.RedisSentinels} starts a master, its replicas and three Sentinels (the same binary run
 * with {@code --sentinel}, see {@link io.redtx.test.redis.RedisServer.Builder#sentinel()}), tuned so that a killed
 * master is replaced within a few seconds; it asks the Sentinels for the master, kills it, asks for a failover, and
 * waits until the deployment settles or the replicas catch up;
 * {@link io.redtx.test.redis.RedisSentinels#startTls(int, io.redtx.test.redis.Persistence, java.nio.file.Path,
 * java.nio.file.Path, java.nio.file.Path)} does the same with TLS between every process and for clients.
 *
 * <h2>TLS</h2>
 *
 * <p>{@link io.redtx.test.redis.RedisServer.Builder#tls} adds a TLS port that requires client certificates, with
 * certificates from {@link io.redtx.test.tls.TestCertificates}, made when the test runs;
 * {@link io.redtx.test.redis.RedisCluster#start(int, io.redtx.test.redis.Persistence,
 * java.util.function.UnaryOperator)} can do the same for every node of a cluster.
 *
 * <h2>No leaked processes</h2>
 *
 * <p>Every process is stopped by PID: by {@code close()}, by the JUnit extension when the test (or class) that asked
 * for it ends, by a JVM shutdown hook when the JVM exits without closing it, and, when the JVM itself was killed with
 * {@code kill -9}, by the orphan reaper ({@link io.redtx.test.redis.RedisServer#reapOrphans()}) that the next JVM
 * runs before its first server starts.
 *
 * <h2>JUnit 5</h2>
 *
 * <p>Annotate a test class with {@link io.redtx.test.redis.RedisTest} and declare a parameter of type
 * {@code RedisServer} on a test method, lifecycle method or constructor; the parameter annotation
 * {@link io.redtx.test.redis.RedisConfig} chooses the server's configuration.
 *
 * <h2>Which {@code redis-server}</h2>
 *
 * <p>{@link io.redtx.test.redis.RedisServerBinary#resolve()} picks the binary once per JVM, in this order:
 *
 * <ol>
 *   <li>the environment variable {@code REDTX_REDIS_SERVER}; when set it must name a runnable binary, otherwise
 *       resolution fails instead of silently falling back;
 *   <li>the first runnable {@code redis-server} on the {@code PATH};
 *   <li>the static Redis 7.0.15 binary shipped inside the {@code org.signal:embedded-redis} jar for the current OS
 *       and architecture, extracted once per machine into {@code ${java.io.tmpdir}/redtx-redis/}.
 * </ol>
 *
 * <p>A binary is usable when {@code <binary> --version} exits with status 0 within 10 seconds. POSIX systems only
 * (Linux, macOS): pausing relies on the {@code kill} command.
 */
package io.redtx.test.redis;
