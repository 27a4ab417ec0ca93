package io.redtx.test.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RedisServerBinaryTest {

    private static final String NO_SUCH_PREFIX = "no-such-redis-server-";

    @TempDir
    Path tmp;

    @Test
    void resolveFindsARunnableBinaryOnceForTheJvm() {
        RedisServerBinary binary = RedisServerBinary.resolve();

        assertThat(binary.version()).matches("\\d+\\.\\d+\\.\\d+.*");
        assertThat(binary.path()).isAbsolute().isExecutable();
        assertThat(RedisServerBinary.resolve()).isSameAs(binary);
    }

    @Test
    void failureMessageNamesAllThreeSourcesAndWhyEachFailed() throws IOException {
        Path emptyDir = Files.createDirectory(tmp.resolve("bin"));
        Map<String, String> env = Map.of("PATH", emptyDir.toString());

        assertThatThrownBy(() -> RedisServerBinary.resolve(env, NO_SUCH_PREFIX, loader(), tmp.resolve("cache")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("REDTX_REDIS_SERVER: not set")
                .hasMessageContaining("PATH: no redis-server in [" + emptyDir + "]")
                .hasMessageContaining("embedded-redis: no binary for os=" + System.getProperty("os.name") + ", arch="
                        + System.getProperty("os.arch"));
    }

    @Test
    void failureMessageSaysWhenPathIsNotSet() {
        assertThatThrownBy(() -> RedisServerBinary.resolve(Map.of(), NO_SUCH_PREFIX, loader(), tmp))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("PATH: not set");
    }

    @Test
    void environmentVariableTakesPrecedenceOverPath() throws IOException {
        Path fromEnv = fakeRedisServer(Files.createDirectory(tmp.resolve("env")), "9.9.9", 0);
        Path pathDir = Files.createDirectory(tmp.resolve("bin"));
        fakeRedisServer(pathDir, "1.1.1", 0);
        Map<String, String> env = Map.of("REDTX_REDIS_SERVER", fromEnv.toString(), "PATH", pathDir.toString());

        RedisServerBinary binary = RedisServerBinary.resolve(env, NO_SUCH_PREFIX, loader(), tmp);

        assertThat(binary.source()).isEqualTo(RedisServerBinary.Source.ENVIRONMENT);
        assertThat(binary.version()).isEqualTo("9.9.9");
        assertThat(binary.path()).isEqualTo(fromEnv.toAbsolutePath());
    }

    @Test
    void brokenEnvironmentVariableFailsInsteadOfFallingBackToPath() throws IOException {
        Path notExecutable = Files.writeString(tmp.resolve("redis-server-copy"), "not a program");
        Path pathDir = Files.createDirectory(tmp.resolve("bin"));
        fakeRedisServer(pathDir, "1.1.1", 0);
        Map<String, String> env = Map.of("REDTX_REDIS_SERVER", notExecutable.toString(), "PATH", pathDir.toString());

        assertThatThrownBy(() -> RedisServerBinary.resolve(env, NO_SUCH_PREFIX, loader(), tmp))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("REDTX_REDIS_SERVER=" + notExecutable)
                .hasMessageContaining("cannot run");
    }

    @Test
    void environmentVariableNamingAFailingBinaryReportsItsExitStatus() throws IOException {
        Path failing = fakeRedisServer(Files.createDirectory(tmp.resolve("env")), "9.9.9", 3);
        Map<String, String> env = Map.of("REDTX_REDIS_SERVER", failing.toString());

        assertThatThrownBy(() -> RedisServerBinary.resolve(env, NO_SUCH_PREFIX, loader(), tmp))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("REDTX_REDIS_SERVER=")
                .hasMessageContaining("exited with status 3");
    }

    @Test
    void pathIsUsedWhenTheEnvironmentVariableIsNotSet() throws IOException {
        Path emptyDir = Files.createDirectory(tmp.resolve("empty"));
        Path pathDir = Files.createDirectory(tmp.resolve("bin"));
        Path onPath = fakeRedisServer(pathDir, "1.2.3", 0);
        Map<String, String> env = Map.of("PATH", emptyDir + java.io.File.pathSeparator + pathDir);

        RedisServerBinary binary = RedisServerBinary.resolve(env, NO_SUCH_PREFIX, loader(), tmp);

        assertThat(binary.source()).isEqualTo(RedisServerBinary.Source.PATH);
        assertThat(binary.version()).isEqualTo("1.2.3");
        assertThat(binary.path()).isEqualTo(onPath.toAbsolutePath());
    }

    @Test
    void embeddedBinaryIsExtractedOnceIntoAContentAddressedCacheDir() throws IOException {
        Path cacheRoot = tmp.resolve("cache");
        Map<String, String> env =
                Map.of("PATH", Files.createDirectory(tmp.resolve("empty")).toString());
        String resource = RedisServerBinary.embeddedResourceName(
                        RedisServerBinary.EMBEDDED_RESOURCE_PREFIX,
                        System.getProperty("os.name"),
                        System.getProperty("os.arch"))
                .orElseThrow();

        RedisServerBinary first =
                RedisServerBinary.resolve(env, RedisServerBinary.EMBEDDED_RESOURCE_PREFIX, loader(), cacheRoot);
        FileTime written = Files.getLastModifiedTime(first.path());
        RedisServerBinary second =
                RedisServerBinary.resolve(env, RedisServerBinary.EMBEDDED_RESOURCE_PREFIX, loader(), cacheRoot);

        assertThat(first.source()).isEqualTo(RedisServerBinary.Source.EMBEDDED);
        assertThat(first.version()).isEqualTo("7.0.15");
        assertThat(first.path().getFileName()).hasToString("redis-server");
        assertThat(first.path().getParent().getFileName().toString()).matches(resource + "-[0-9a-f]{12}");
        assertThat(second.path()).isEqualTo(first.path());
        assertThat(Files.getLastModifiedTime(second.path())).isEqualTo(written);
        try (var files = Files.list(first.path().getParent())) {
            assertThat(files).as("no temporary file left behind").containsExactly(first.path());
        }
    }

    @Test
    void embeddedResourceNameFollowsTheJarNaming() {
        String prefix = RedisServerBinary.EMBEDDED_RESOURCE_PREFIX;
        assertThat(RedisServerBinary.embeddedResourceName(prefix, "Linux", "amd64"))
                .contains("redis-server-7.0.15-linux-amd64");
        assertThat(RedisServerBinary.embeddedResourceName(prefix, "Linux", "aarch64"))
                .contains("redis-server-7.0.15-linux-arm64");
        assertThat(RedisServerBinary.embeddedResourceName(prefix, "Mac OS X", "x86_64"))
                .contains("redis-server-7.0.15-darwin-amd64");
        assertThat(RedisServerBinary.embeddedResourceName(prefix, "Mac OS X", "aarch64"))
                .contains("redis-server-7.0.15-darwin-arm64");
        assertThat(RedisServerBinary.embeddedResourceName(prefix, "Windows 11", "amd64"))
                .isEmpty();
        assertThat(RedisServerBinary.embeddedResourceName(prefix, "Linux", "ppc64le"))
                .isEmpty();
    }

    private static ClassLoader loader() {
        return RedisServerBinaryTest.class.getClassLoader();
    }

    /** A shell script that answers {@code --version} like redis-server does, with the given version and status. */
    private static Path fakeRedisServer(Path dir, String version, int exitStatus) throws IOException {
        Path script = dir.resolve("redis-server");
        Files.writeString(
                script,
                "#!/bin/sh\necho \"Redis server v=" + version + " sha=00000000:0 malloc=libc bits=64 build=fake\"\n"
                        + "exit " + exitStatus + "\n",
                StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }
}
