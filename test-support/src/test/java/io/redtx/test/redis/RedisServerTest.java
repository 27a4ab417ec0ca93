package io.redtx.test.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RedisServerTest {

    @Test
    void startedServerAnswersPingAndCloseKillsItAndDeletesItsDataDir() throws Exception {
        RedisServer server = RedisServer.start(Persistence.IN_MEMORY);
        long pid;
        Path dataDir;
        try {
            pid = server.pid();
            dataDir = server.dataDir();
            assertThat(server.isAlive()).isTrue();
            assertThat(ProcessRegistry.isRunning(pid)).isTrue();
            assertThat(server.ping()).isEqualTo("PONG");
            assertThat(server.version()).isEqualTo(server.binary().version());
            assertThat(server.host()).isEqualTo("127.0.0.1");
            assertThat(server.uri()).isEqualTo("redis://127.0.0.1:" + server.port());
            assertThat(dataDir.resolve("redis.conf")).isRegularFile();
            assertThat(dataDir.resolve("redis.log")).isRegularFile();
        } finally {
            server.close();
        }
        assertThat(ProcessRegistry.isRunning(pid)).isFalse();
        assertThat(server.isAlive()).isFalse();
        assertThat(dataDir).doesNotExist();
        server.close(); // idempotent
        assertThatThrownBy(server::restart).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void stopEndsTheProcessButKeepsTheDataDirForRestart() {
        try (RedisServer server = RedisServer.start(Persistence.IN_MEMORY)) {
            long pid = server.pid();
            server.stop();
            server.stop(); // idempotent
            assertThat(ProcessRegistry.isRunning(pid)).isFalse();
            assertThat(server.dataDir()).isDirectory();

            server.restart();
            assertThat(server.ping()).isEqualTo("PONG");
        }
    }

    @Test
    void inMemoryServerRunsWithoutAof() {
        try (RedisServer server = RedisServer.start(Persistence.IN_MEMORY)) {
            assertThat(server.info("persistence")).contains("aof_enabled:0");
            assertThat(server.command("CONFIG", "GET", "save")).isEqualTo(List.of("save", ""));
        }
    }

    @Test
    void durableServerRunsAofWithFsyncOnEveryWrite() {
        try (RedisServer server = RedisServer.start(Persistence.DURABLE)) {
            assertThat(server.persistence()).isEqualTo(Persistence.DURABLE);
            assertThat(server.info("persistence")).contains("aof_enabled:1");
            assertThat(server.command("CONFIG", "GET", "appendfsync")).isEqualTo(List.of("appendfsync", "always"));
            assertThat(server.command("CONFIG", "GET", "save")).isEqualTo(List.of("save", ""));
        }
    }

    @Test
    void durableServerKeepsAnAcknowledgedWriteAcrossKillAndRestartOnTheSamePort() {
        try (RedisServer server = RedisServer.start(Persistence.DURABLE)) {
            int port = server.port();
            long pidBefore = server.pid();
            assertThat(server.command("SET", "balance", "100")).isEqualTo("OK");

            server.kill();
            assertThat(server.isAlive()).isFalse();
            assertThat(ProcessRegistry.isRunning(pidBefore)).isFalse();

            server.restart();
            assertThat(server.pid()).isNotEqualTo(pidBefore);
            assertThat(server.port()).isEqualTo(port);
            assertThat(server.command("GET", "balance")).isEqualTo("100");
        }
    }

    @Test
    void inMemoryServerLosesItsDataOnKillAndRestart() {
        try (RedisServer server = RedisServer.start(Persistence.IN_MEMORY)) {
            int port = server.port();
            long pidBefore = server.pid();
            server.command("SET", "balance", "100");

            server.kill();
            server.kill(); // idempotent
            server.restart();

            assertThat(server.pid()).isNotEqualTo(pidBefore);
            assertThat(server.port()).isEqualTo(port);
            assertThat(server.command("GET", "balance")).isNull();
        }
    }

    @Test
    void restartOfARunningServerIsRejected() {
        try (RedisServer server = RedisServer.start(Persistence.IN_MEMORY)) {
            assertThatThrownBy(server::restart)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("still running");
        }
    }

    @Test
    void pausedServerTimesOutUntilResumed() throws Exception {
        try (RedisServer server = RedisServer.start(Persistence.IN_MEMORY)) {
            server.pause();
            assertThat(server.isPaused()).isTrue();
            assertThat(server.isAlive()).isTrue();
            try (RespClient client =
                    new RespClient(server.host(), server.port(), Duration.ofSeconds(1), Duration.ofMillis(300))) {
                assertThatThrownBy(() -> client.command("PING")).isInstanceOf(SocketTimeoutException.class);
            }

            server.resume();
            assertThat(server.isPaused()).isFalse();
            assertThat(server.ping()).isEqualTo("PONG");
        }
    }

    @Test
    void closeEndsAPausedServer() {
        RedisServer server = RedisServer.start(Persistence.DURABLE);
        long pid = server.pid();
        server.pause();
        server.close();
        assertThat(ProcessRegistry.isRunning(pid)).isFalse();
        assertThat(server.dataDir()).doesNotExist();
    }

    @Test
    void commandAgainstAPausedServerFailsWithATimeout() {
        try (RedisServer server = RedisServer.builder().build().start()) {
            server.pause();
            assertThatThrownBy(server::ping)
                    .isInstanceOf(UncheckedIOException.class)
                    .hasCauseInstanceOf(SocketTimeoutException.class);
        }
    }

    @Test
    void flushAllEmptiesTheDatabase() {
        try (RedisServer server = RedisServer.start(Persistence.IN_MEMORY)) {
            server.command("SET", "a", "1");
            server.command("SET", "b", "2");
            assertThat(server.command("DBSIZE")).isEqualTo(2L);

            server.flushAll();

            assertThat(server.command("DBSIZE")).isEqualTo(0L);
        }
    }

    @Test
    void errorReplyIsThrownWithTheServerMessage() {
        try (RedisServer server = RedisServer.start(Persistence.IN_MEMORY)) {
            assertThatThrownBy(() -> server.command("NOSUCHCOMMAND"))
                    .isInstanceOf(RuntimeException.class)
                    .hasMessageContaining("unknown command");
        }
    }

    @Test
    void rawConfigLinesOverrideTheDefaults() {
        try (RedisServer server = RedisServer.builder()
                .config("maxmemory 12mb")
                .config("appendonly yes")
                .start()) {
            assertThat(server.command("CONFIG", "GET", "maxmemory")).isEqualTo(List.of("maxmemory", "12582912"));
            assertThat(server.info("persistence")).contains("aof_enabled:1");
        }
    }

    @Test
    void serversGetDistinctPortsAndDataDirs() {
        try (RedisServer a = RedisServer.start(Persistence.IN_MEMORY);
                RedisServer b = RedisServer.start(Persistence.IN_MEMORY)) {
            assertThat(a.port()).isNotEqualTo(b.port());
            assertThat(a.dataDir()).isNotEqualTo(b.dataDir());
            a.command("SET", "only-in-a", "1");
            assertThat(b.command("EXISTS", "only-in-a")).isEqualTo(0L);
        }
    }

    @Test
    void startFailureReportsTheServerOutput() {
        RedisServer.Builder builder = RedisServer.builder().config("no-such-directive yes");
        assertThatThrownBy(builder::start)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("exited before becoming ready")
                .hasMessageContaining("no-such-directive");
    }

    @Test
    void ownerFileFollowsTheCurrentPidAndIsRemovedOnClose() throws Exception {
        RedisServer server = RedisServer.start(Persistence.DURABLE);
        Path first = ProcessRegistry.ownersDir().resolve(Long.toString(server.pid()));
        try {
            assertThat(first).isRegularFile();
            assertThat(Files.readAllLines(first, StandardCharsets.UTF_8))
                    .first()
                    .isEqualTo(Long.toString(ProcessHandle.current().pid()));

            server.kill();
            assertThat(first).as("kept across kill() for the restart").isRegularFile();
            server.restart();

            Path second = ProcessRegistry.ownersDir().resolve(Long.toString(server.pid()));
            assertThat(second).isRegularFile();
            assertThat(first).doesNotExist();
        } finally {
            server.close();
        }
        assertThat(ProcessRegistry.ownersDir().resolve(Long.toString(server.pid())))
                .doesNotExist();
    }

    @Test
    void builderRejectsInvalidSettingsNamingTheValue() {
        assertThatThrownBy(() -> RedisServer.builder().startupTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("startupTimeout")
                .hasMessageContaining("PT0S");
        assertThatThrownBy(() -> RedisServer.builder().config("a\nb"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("config line");
    }
}
