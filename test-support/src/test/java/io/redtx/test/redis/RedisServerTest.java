package io.redtx.test.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisCommandExecutionException;
import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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
            try (CommandConnection connection =
                    CommandConnection.open(server.port(), Duration.ofSeconds(1), Duration.ofMillis(300))) {
                assertThatThrownBy(() -> connection.command("PING"))
                        .isInstanceOf(UncheckedIOException.class)
                        .hasCauseInstanceOf(SocketTimeoutException.class);
                assertThat(connection.isOpen())
                        .as("closed: a late PONG must not answer a later command")
                        .isFalse();
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
    void commandAgainstAPausedServerFailsWithATimeoutAndTheLateReplyAnswersNoLaterCommand() {
        try (RedisServer server = RedisServer.builder().build().start()) {
            server.command("SET", "k", "late");
            server.pause();
            assertThatThrownBy(() -> server.command("GET", "k"))
                    .isInstanceOf(UncheckedIOException.class)
                    .hasCauseInstanceOf(SocketTimeoutException.class);

            server.resume();
            assertThat(server.command("INCR", "n")).isEqualTo(1L);
        }
    }

    @Test
    void repliesArePlainJavaValues() {
        try (RedisServer server = RedisServer.start(Persistence.IN_MEMORY)) {
            assertThat(server.command("SET", "k", "é")).isEqualTo("OK");
            assertThat(server.command("GET", "k")).isEqualTo("é");
            assertThat(server.command("GET", "missing")).isNull();
            assertThat(server.command("INCR", "n")).isEqualTo(1L);
            assertThat(server.command("EVAL", "return {1, 'two', {}, {3, {'four'}}}", "0"))
                    .isEqualTo(List.of(1L, "two", List.of(), List.of(3L, List.of("four"))));
            assertThat(server.command("BLPOP", "missing", "0.01"))
                    .as("nil array")
                    .isNull();
            List<?> withError = (List<?>) server.command("EVAL", "return {1, redis.error_reply('NESTED error')}", "0");
            assertThat(withError.get(0)).isEqualTo(1L);
            assertThat(withError.get(1))
                    .isInstanceOf(RedisCommandExecutionException.class)
                    .hasToString(RedisCommandExecutionException.class.getName() + ": NESTED error");
            assertThatThrownBy(() -> server.command("EVAL", "return redis.error_reply('TOP error')", "0"))
                    .isInstanceOf(RedisCommandExecutionException.class)
                    .hasMessage("TOP error");
        }
    }

    @Test
    void commandsFromEveryThreadShareOneConnection() throws Exception {
        try (RedisServer server = RedisServer.start(Persistence.IN_MEMORY)) {
            Object id = server.command("CLIENT", "ID");
            ExecutorService threads = Executors.newFixedThreadPool(4);
            try {
                List<Future<Object>> ids = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    ids.add(threads.submit(() -> {
                        server.command("INCR", "n");
                        return server.command("CLIENT", "ID");
                    }));
                }
                for (Future<Object> f : ids) {
                    assertThat(f.get(10, TimeUnit.SECONDS)).isEqualTo(id);
                }
            } finally {
                threads.shutdownNow();
            }
            assertThat(server.command("GET", "n")).isEqualTo("200");
            assertThat(server.info("clients")).contains("connected_clients:1\r\n");
        }
    }

    /** Nothing on connect (no HELLO, PING, CLIENT SETINFO): the harness leaves no trace in the counters tests read. */
    @Test
    void theHarnessSendsOnlyTheCommandsItIsAskedFor() {
        try (RedisServer server = RedisServer.start(Persistence.IN_MEMORY)) {
            // The readiness probe's PING and INFO server, and this INFO (counted once it ran).
            assertThat(server.info("commandstats"))
                    .containsPattern("cmdstat_ping:calls=1,")
                    .containsPattern("cmdstat_info:calls=1,")
                    .doesNotContainPattern("cmdstat_(?!ping:|info:)");
            assertThat(server.info("errorstats")).doesNotContain("errorstat_");
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
