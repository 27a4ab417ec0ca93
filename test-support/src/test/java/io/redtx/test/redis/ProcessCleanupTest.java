package io.redtx.test.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Servers must not outlive their JVM, whether it exits normally or is killed with {@code kill -9}. */
class ProcessCleanupTest {

    @TempDir
    Path tmp;

    private Process child;
    private long redisPid = -1;

    @AfterEach
    void killLeftovers() throws InterruptedException {
        if (child != null) {
            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
        }
        if (redisPid > 0) {
            ProcessHandle.of(redisPid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void shutdownHookKillsServersOfAJvmThatExitsWithoutClosingThem() throws Exception {
        child = startChildJvm("exit");
        String[] line = readPidLine(child);
        redisPid = Long.parseLong(line[1]);
        Path dataDir = Path.of(line[3]);

        assertThat(child.waitFor(20, TimeUnit.SECONDS)).as("child JVM exits").isTrue();
        assertThat(child.exitValue()).isZero();

        Await.processGone(redisPid);
        assertThat(dataDir).doesNotExist();
        assertThat(ProcessRegistry.ownersDir().resolve(Long.toString(redisPid))).doesNotExist();
    }

    @Test
    void reaperKillsServersOfAJvmThatWasKilled() throws Exception {
        child = startChildJvm("sleep");
        String[] line = readPidLine(child);
        redisPid = Long.parseLong(line[1]);
        Path dataDir = Path.of(line[3]);

        child.destroyForcibly();
        assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(ProcessRegistry.isRunning(redisPid))
                .as("no shutdown hook ran, so the server survived its JVM")
                .isTrue();

        assertThat(RedisServer.reapOrphans()).isGreaterThanOrEqualTo(1);

        Await.processGone(redisPid);
        assertThat(dataDir).doesNotExist();
        assertThat(ProcessRegistry.ownersDir().resolve(Long.toString(redisPid))).doesNotExist();
    }

    @Test
    void reaperKillsAServerWhoseOwnerIsGone() throws Exception {
        Path ownersDir = Files.createDirectory(tmp.resolve("owners"));
        try (RedisServer server = RedisServer.start(Persistence.IN_MEMORY)) {
            writeOwnerFile(ownersDir, server, deadPid(), startMillis(server.pid()));

            assertThat(ProcessRegistry.reapOrphans(ownersDir)).isEqualTo(1);

            Await.processGone(server.pid());
            assertThat(ownersDir).isEmptyDirectory();
        }
    }

    @Test
    void reaperSparesAProcessThatReusedTheRecordedPid() throws Exception {
        Path ownersDir = Files.createDirectory(tmp.resolve("owners"));
        try (RedisServer server = RedisServer.start(Persistence.IN_MEMORY)) {
            long anHourEarlier = startMillis(server.pid()) - 3_600_000;
            writeOwnerFile(ownersDir, server, deadPid(), anHourEarlier);

            assertThat(ProcessRegistry.reapOrphans(ownersDir)).isZero();

            assertThat(server.ping()).isEqualTo("PONG");
            assertThat(ownersDir).as("the stale file is removed").isEmptyDirectory();
        }
    }

    @Test
    void reaperSparesServersWhoseOwnerIsAlive() throws Exception {
        Path ownersDir = Files.createDirectory(tmp.resolve("owners"));
        Process owner = new ProcessBuilder("sleep", "30").start();
        try (RedisServer server = RedisServer.start(Persistence.IN_MEMORY)) {
            writeOwnerFile(ownersDir, server, owner.pid(), startMillis(server.pid()));

            assertThat(ProcessRegistry.reapOrphans(ownersDir)).isZero();

            assertThat(server.ping()).isEqualTo("PONG");
            assertThat(ownersDir.resolve(Long.toString(server.pid()))).exists();
        } finally {
            owner.destroyForcibly();
            owner.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** An owner file as another JVM would write it, but in a private directory so no other test is affected. */
    private static void writeOwnerFile(Path ownersDir, RedisServer server, long ownerPid, long redisStartMillis)
            throws IOException {
        // No data-dir line: the reaper must not delete the live server's directory under the test's feet.
        Files.writeString(
                ownersDir.resolve(Long.toString(server.pid())),
                ownerPid + "\n\n-\n" + redisStartMillis + "\n",
                StandardCharsets.UTF_8);
    }

    private static long startMillis(long pid) {
        return ProcessHandle.of(pid)
                .orElseThrow()
                .info()
                .startInstant()
                .orElseThrow()
                .toEpochMilli();
    }

    /** The pid of a process that has exited and been waited for. */
    private static long deadPid() throws Exception {
        Process done = new ProcessBuilder("true").start();
        assertThat(done.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return done.pid();
    }

    private Process startChildJvm(String mode) throws IOException {
        String java = ProcessHandle.current()
                .info()
                .command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // Surefire may run tests from a manifest-only jar; its real class path is published in this property.
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return new ProcessBuilder(java, "-cp", classPath, ChildJvmServer.class.getName(), mode)
                .redirectError(tmp.resolve("child-stderr.txt").toFile())
                .start();
    }

    private String[] readPidLine(Process process) throws Exception {
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                return new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))
                        .readLine();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        String text;
        try {
            text = line.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("child JVM printed no pid; stderr: " + childStderr(), e);
        }
        assertThat(text).as("child stdout; stderr: %s", childStderr()).startsWith("PID ");
        return text.split(" ", 4);
    }

    private String childStderr() {
        try {
            return Files.readString(tmp.resolve("child-stderr.txt"));
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}
