package io.redtx.test.redis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Book-keeping that guarantees no {@code redis-server} outlives the JVM that started it.
 *
 * <ul>
 *   <li>Every open {@link RedisServer} is registered; one shutdown hook SIGKILLs whatever is still registered when
 *       the JVM exits without {@code close()} (test runner exit, {@code System.exit}, Ctrl-C).
 *   <li>A JVM killed with {@code kill -9} runs no hook, so each server also leaves an owner file
 *       {@code ${java.io.tmpdir}/redtx-redis/owners/<redisPid>} holding the owner JVM's pid (format: see
 *       {@link #writeOwnerFile}). The next JVM that starts a server scans that directory and kills the servers whose
 *       owner is gone.
 * </ul>
 */
final class ProcessRegistry {

    private static final Set<RedisServer> OPEN = ConcurrentHashMap.newKeySet();
    private static final AtomicBoolean HOOK_INSTALLED = new AtomicBoolean();
    private static final AtomicBoolean REAPED_AT_FIRST_START = new AtomicBoolean();
    private static final long HOOK_WAIT_MILLIS = 3_000;
    private static final long REAP_WAIT_MILLIS = 5_000;
    private static final long START_TOLERANCE_MILLIS = 1_000;
    private static volatile boolean shuttingDown;

    private ProcessRegistry() {}

    static void register(RedisServer server) {
        if (HOOK_INSTALLED.compareAndSet(false, true)) {
            Runtime.getRuntime().addShutdownHook(new Thread(ProcessRegistry::killAllOnJvmExit, "redtx-redis-reaper"));
        }
        OPEN.add(server);
    }

    static void unregister(RedisServer server) {
        OPEN.remove(server);
    }

    /** True once the shutdown hook runs; a start racing with it must not leave a process behind. */
    static boolean isShuttingDown() {
        return shuttingDown;
    }

    private static void killAllOnJvmExit() {
        shuttingDown = true;
        List<RedisServer> servers = new ArrayList<>(OPEN);
        // Signal everything first, then wait: the processes die in parallel, so JVM exit is delayed by at most one
        // wait, not one per server.
        for (RedisServer server : servers) {
            server.killForJvmExit();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(HOOK_WAIT_MILLIS);
        for (RedisServer server : servers) {
            server.cleanUpAfterJvmExitKill(deadline);
        }
    }

    static Path ownersDir() {
        return RedisServerBinary.defaultCacheRoot().resolve("owners");
    }

    /**
     * Records that this JVM owns the process. The file is named after the redis pid and holds four lines: owner JVM
     * pid, data directory, owner start time and redis start time (epoch millis, {@code -} when unknown). The start
     * times let the reaper tell a process from a later one that reused its pid. Written to a temporary name and
     * renamed, so the reaper never reads a half-written file and mistakes it for an orphan.
     */
    static Path writeOwnerFile(ProcessHandle redis, Path dataDir) {
        ProcessHandle self = ProcessHandle.current();
        String content = self.pid() + "\n" + dataDir + "\n" + startMillis(self) + "\n" + startMillis(redis) + "\n";
        try {
            Path dir = ownersDir();
            Files.createDirectories(dir);
            Path target = dir.resolve(Long.toString(redis.pid()));
            Path tmp = Files.createTempFile(dir, ".owner-", ".tmp");
            try {
                Files.writeString(tmp, content, StandardCharsets.UTF_8);
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the owner file for redis-server pid " + redis.pid(), e);
        }
    }

    private static String startMillis(ProcessHandle handle) {
        return handle.info()
                .startInstant()
                .map(i -> Long.toString(i.toEpochMilli()))
                .orElse("-");
    }

    /**
     * Whether {@code handle} is the process that was recorded with {@code recordedStart}; true when either start time
     * is unknown (then only the pid can be compared). The tolerance absorbs the clock-tick rounding of /proc.
     */
    private static boolean sameStart(ProcessHandle handle, String recordedStart) {
        long recorded = parsePid(recordedStart);
        if (recorded <= 0) {
            return true;
        }
        return handle.info()
                .startInstant()
                .map(i -> Math.abs(i.toEpochMilli() - recorded) <= START_TOLERANCE_MILLIS)
                .orElse(true);
    }

    static void deleteQuietly(Path file) {
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // The reaper deletes leftovers whose owner is gone; nothing more to do here.
        }
    }

    /** Runs the orphan scan once per JVM, before this JVM's first server starts. */
    static void reapOrphansAtFirstStart() {
        if (REAPED_AT_FIRST_START.compareAndSet(false, true)) {
            reapOrphans(ownersDir());
        }
    }

    /**
     * Kills every {@code redis-server} listed in {@code ownersDir} whose owner JVM is no longer alive, and removes
     * the owner files of dead owners.
     *
     * @return how many processes were killed
     */
    static int reapOrphans(Path ownersDir) {
        if (!Files.isDirectory(ownersDir)) {
            return 0;
        }
        long self = ProcessHandle.current().pid();
        int reaped = 0;
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(ownersDir)) {
            stream.forEach(files::add);
        } catch (IOException e) {
            return 0;
        }
        for (Path file : files) {
            long redisPid = parsePid(file.getFileName().toString());
            if (redisPid <= 0) {
                continue;
            }
            List<String> lines;
            try {
                lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            } catch (NoSuchFileException e) {
                // Another JVM reaped it, or its owner closed the server, between listing and reading.
                continue;
            } catch (IOException e) {
                continue;
            }
            long owner = lines.isEmpty() ? -1 : parsePid(lines.get(0).trim());
            String ownerStart = line(lines, 2);
            String redisStart = line(lines, 3);
            if (owner == self
                    || (owner > 0
                            && ProcessHandle.of(owner)
                                    .map(h -> h.isAlive() && sameStart(h, ownerStart))
                                    .orElse(false))) {
                continue;
            }
            Optional<ProcessHandle> redis = ProcessHandle.of(redisPid);
            // Start time and command guard against pid reuse: never kill an unrelated process that got the same pid.
            if (redis.isPresent()
                    && isRunning(redis.get())
                    && sameStart(redis.get(), redisStart)
                    && isRedisServer(redis.get())) {
                redis.get().destroyForcibly();
                awaitNotRunning(redis.get(), REAP_WAIT_MILLIS);
                reaped++;
            }
            deleteDataDirIfOurs(line(lines, 1));
            deleteQuietly(file);
        }
        return reaped;
    }

    /**
     * Polls instead of {@link ProcessHandle#onExit()}: the orphan is not our child, so after the kill it stays a
     * zombie until init collects it, and {@code onExit} would wait for that, not for the death that matters.
     */
    private static void awaitNotRunning(ProcessHandle handle, long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (isRunning(handle) && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static boolean isRedisServer(ProcessHandle handle) {
        return handle.info().command().map(c -> c.contains("redis-server")).orElse(false);
    }

    private static void deleteDataDirIfOurs(String path) {
        if (path.isEmpty()) {
            return;
        }
        Path dir = Path.of(path);
        // Only ever delete something that looks like a directory this harness created.
        if (dir.getFileName() != null
                && dir.getFileName().toString().startsWith(RedisServer.DATA_DIR_PREFIX)
                && Files.isDirectory(dir)) {
            try {
                deleteRecursively(dir);
            } catch (UncheckedIOException ignored) {
                // Left in the temp directory; the process is what had to go.
            }
        }
    }

    /**
     * Whether the process still runs. Unlike {@link ProcessHandle#isAlive()} a zombie counts as dead: it holds no
     * port and no memory, it only waits for its parent (or init) to collect its exit status.
     */
    static boolean isRunning(ProcessHandle handle) {
        if (!handle.isAlive()) {
            return false;
        }
        Path stat = Path.of("/proc", Long.toString(handle.pid()), "stat");
        try {
            String text = Files.readString(stat, StandardCharsets.ISO_8859_1);
            int end = text.lastIndexOf(')');
            return end < 0 || end + 2 >= text.length() || text.charAt(end + 2) != 'Z';
        } catch (NoSuchFileException e) {
            return !Files.isDirectory(Path.of("/proc/self"));
        } catch (IOException e) {
            return true;
        }
    }

    /** Whether a process with this pid runs (zombies count as dead). */
    static boolean isRunning(long pid) {
        return ProcessHandle.of(pid).map(ProcessRegistry::isRunning).orElse(false);
    }

    private static String line(List<String> lines, int index) {
        return index < lines.size() ? lines.get(index).trim() : "";
    }

    private static long parsePid(String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) {
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
