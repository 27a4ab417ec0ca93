package io.redtx.test.redis;

import java.io.IOException;
import java.io.InputStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A runnable {@code redis-server} executable: where it is, how it was found, and which Redis version it reports.
 *
 * <p>Instances are immutable. Obtain one with {@link #resolve()}, which looks in this order and takes the first
 * source that yields a binary for which {@code <binary> --version} exits with status 0 within 10 seconds:
 *
 * <ol>
 *   <li>{@link Source#ENVIRONMENT}: the path in the environment variable {@code REDTX_REDIS_SERVER}. When the
 *       variable is set (non-blank) it must work: a broken value fails resolution rather than silently testing
 *       against another Redis;
 *   <li>{@link Source#PATH}: the first runnable {@code redis-server} in a directory of the {@code PATH} environment
 *       variable;
 *   <li>{@link Source#EMBEDDED}: the static Redis 7.0.15 binary shipped as a resource of the
 *       {@code org.signal:embedded-redis} jar for this OS ({@code linux}, {@code darwin}) and architecture
 *       ({@code amd64}, {@code arm64}), extracted once per machine into
 *       {@code ${java.io.tmpdir}/redtx-redis/<resource>-<sha256 prefix>/redis-server}.
 * </ol>
 */
public final class RedisServerBinary {

    /** Where a {@link RedisServerBinary} was found. */
    public enum Source {
        /** The path named by the environment variable {@code REDTX_REDIS_SERVER}. */
        ENVIRONMENT,
        /** A {@code redis-server} found in a directory of the {@code PATH} environment variable. */
        PATH,
        /** The static binary extracted from the {@code org.signal:embedded-redis} jar. */
        EMBEDDED
    }

    /** Name of the environment variable that overrides binary resolution. */
    public static final String ENV_VAR = "REDTX_REDIS_SERVER";

    /** Resource name prefix of the binaries inside the embedded-redis jar; the suffix is {@code <os>-<arch>}. */
    static final String EMBEDDED_RESOURCE_PREFIX = "redis-server-7.0.15-";

    static final Duration VERSION_TIMEOUT = Duration.ofSeconds(10);

    private static final String EXECUTABLE_NAME = "redis-server";
    private static final Pattern VERSION = Pattern.compile("\\bv=([0-9][^\\s]*)");
    private static final int MAX_OUTPUT_IN_MESSAGE = 200;

    private static final Object RESOLVE_LOCK = new Object();
    private static RedisServerBinary resolved;
    private static String resolveFailure;

    private final Path path;
    private final Source source;
    private final String version;

    private RedisServerBinary(Path path, Source source, String version) {
        this.path = path;
        this.source = source;
        this.version = version;
    }

    /**
     * Finds a runnable {@code redis-server} in the order described in the class documentation. The first call does
     * the work (and may extract the embedded binary); the outcome, success or failure, is cached for the life of the
     * JVM, so later calls return the same instance immediately.
     *
     * @return the binary to run
     * @throws IllegalStateException if {@code REDTX_REDIS_SERVER} is set but cannot run, or if no source yields a
     *     runnable binary; the message names every source and why it failed
     */
    public static RedisServerBinary resolve() {
        synchronized (RESOLVE_LOCK) {
            if (resolved != null) {
                return resolved;
            }
            if (resolveFailure != null) {
                // A fresh exception so that the stack trace points at the caller, not at the first failed attempt.
                throw new IllegalStateException(resolveFailure);
            }
            try {
                resolved = resolve(
                        System.getenv(),
                        EMBEDDED_RESOURCE_PREFIX,
                        RedisServerBinary.class.getClassLoader(),
                        defaultCacheRoot());
                return resolved;
            } catch (IllegalStateException e) {
                resolveFailure = e.getMessage();
                throw e;
            }
        }
    }

    /**
     * The resolution itself, without caching, so that tests can feed it a fake environment and a resource prefix
     * that does not exist.
     */
    static RedisServerBinary resolve(
            Map<String, String> env, String resourcePrefix, ClassLoader loader, Path cacheRoot) {
        String fromEnv = env.get(ENV_VAR);
        if (fromEnv != null && !fromEnv.isBlank()) {
            Path candidate;
            try {
                candidate = Path.of(fromEnv).toAbsolutePath();
            } catch (InvalidPathException e) {
                throw new IllegalStateException(ENV_VAR + "=" + fromEnv + " is not a valid path: " + e.getMessage());
            }
            Probe probe = probe(candidate);
            if (probe.failure != null) {
                throw new IllegalStateException(ENV_VAR + "=" + fromEnv + " cannot be used: " + probe.failure
                        + " (unset " + ENV_VAR + " to fall back to PATH and embedded-redis)");
            }
            return new RedisServerBinary(candidate, Source.ENVIRONMENT, probe.version);
        }

        List<String> reasons = new ArrayList<>();
        reasons.add(ENV_VAR + ": not set");

        String pathVar = env.get("PATH");
        if (pathVar == null || pathVar.isBlank()) {
            reasons.add("PATH: not set");
        } else {
            List<String> dirs = new ArrayList<>();
            List<String> failures = new ArrayList<>();
            for (String dir : pathVar.split(Pattern.quote(java.io.File.pathSeparator))) {
                if (dir.isEmpty()) {
                    continue;
                }
                dirs.add(dir);
                Path candidate;
                try {
                    candidate = Path.of(dir, EXECUTABLE_NAME).toAbsolutePath();
                } catch (InvalidPathException e) {
                    continue;
                }
                if (!Files.isRegularFile(candidate)) {
                    continue;
                }
                Probe probe = probe(candidate);
                if (probe.failure == null) {
                    return new RedisServerBinary(candidate, Source.PATH, probe.version);
                }
                failures.add(candidate + " " + probe.failure);
            }
            reasons.add(
                    failures.isEmpty()
                            ? "PATH: no " + EXECUTABLE_NAME + " in " + dirs
                            : "PATH: " + String.join(", ", failures));
        }

        String osName = System.getProperty("os.name", "");
        String osArch = System.getProperty("os.arch", "");
        Optional<String> resource = embeddedResourceName(resourcePrefix, osName, osArch);
        if (resource.isEmpty()) {
            reasons.add("embedded-redis: no binary for os=" + osName + ", arch=" + osArch);
        } else {
            String name = resource.get();
            try {
                Path extracted = extract(name, loader, cacheRoot);
                if (extracted == null) {
                    reasons.add("embedded-redis: no binary for os=" + osName + ", arch=" + osArch + " (resource " + name
                            + " is not on the classpath)");
                } else {
                    Probe probe = probe(extracted);
                    if (probe.failure == null) {
                        return new RedisServerBinary(extracted, Source.EMBEDDED, probe.version);
                    }
                    reasons.add("embedded-redis: " + extracted + " " + probe.failure);
                }
            } catch (IOException | RuntimeException e) {
                reasons.add("embedded-redis: extracting " + name + " into " + cacheRoot + " failed: " + e);
            }
        }

        throw new IllegalStateException("No runnable redis-server: " + String.join("; ", reasons)
                + ". Install redis-server, put it on the PATH or point " + ENV_VAR + " at it.");
    }

    /**
     * Maps the JVM's {@code os.name} / {@code os.arch} to the embedded-redis resource naming; empty when the jar ships
     * no binary for that platform.
     */
    static Optional<String> embeddedResourceName(String prefix, String osName, String osArch) {
        String os = osName.toLowerCase(Locale.ROOT);
        String arch = osArch.toLowerCase(Locale.ROOT);
        String osPart;
        if (os.startsWith("linux")) {
            osPart = "linux";
        } else if (os.contains("mac") || os.contains("darwin")) {
            osPart = "darwin";
        } else {
            return Optional.empty();
        }
        String archPart;
        if (arch.equals("amd64") || arch.equals("x86_64")) {
            archPart = "amd64";
        } else if (arch.equals("aarch64") || arch.equals("arm64")) {
            archPart = "arm64";
        } else {
            return Optional.empty();
        }
        return Optional.of(prefix + osPart + "-" + archPart);
    }

    static Path defaultCacheRoot() {
        return Path.of(System.getProperty("java.io.tmpdir"), "redtx-redis");
    }

    /**
     * Copies a classpath resource to {@code <cacheRoot>/<resource>-<sha256 prefix>/redis-server} unless an identical
     * copy is already there. The content hash in the directory name means a different binary never reuses a stale
     * copy; the write goes to a temporary file that is atomically renamed, so concurrent JVMs never execute a
     * half-written file.
     *
     * @return the executable, or {@code null} when the resource does not exist
     */
    static Path extract(String resourceName, ClassLoader loader, Path cacheRoot) throws IOException {
        byte[] bytes;
        try (InputStream in = loader.getResourceAsStream(resourceName)) {
            if (in == null) {
                return null;
            }
            bytes = in.readAllBytes();
        }
        String sha = sha256Hex(bytes).substring(0, 12);
        Path dir = cacheRoot.resolve(resourceName + "-" + sha);
        Path target = dir.resolve(EXECUTABLE_NAME);
        if (Files.isRegularFile(target) && Files.size(target) == bytes.length && Files.isExecutable(target)) {
            return target;
        }
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, EXECUTABLE_NAME + "-", ".tmp");
        try {
            Files.write(tmp, bytes);
            makeExecutable(tmp);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        return target;
    }

    private static void makeExecutable(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (UnsupportedOperationException e) {
            if (!file.toFile().setExecutable(true, false)) {
                throw new IOException("cannot make " + file + " executable", e);
            }
        }
    }

    private static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }

    /** Outcome of {@code <binary> --version}: exactly one of the fields is non-null. */
    static final class Probe {
        final String version;
        final String failure;

        private Probe(String version, String failure) {
            this.version = version;
            this.failure = failure;
        }
    }

    /** Runs {@code <binary> --version} bounded by {@link #VERSION_TIMEOUT} and parses the {@code v=} field. */
    static Probe probe(Path binary) {
        Path output = null;
        try {
            // Output goes to a file, not a pipe, so a chatty or hung binary can never block this thread.
            output = Files.createTempFile("redtx-redis-version-", ".txt");
            for (int attempt = 1; ; attempt++) {
                Process process;
                try {
                    process = new ProcessBuilder(binary.toString(), "--version")
                            .redirectErrorStream(true)
                            .redirectOutput(output.toFile())
                            .redirectInput(Redirect.from(nullFile()))
                            .start();
                } catch (IOException e) {
                    // ETXTBSY: a process forked by another thread may briefly hold a write handle on a freshly
                    // extracted binary; it goes away as soon as that child execs.
                    if (attempt < 3 && String.valueOf(e.getMessage()).contains("Text file busy")) {
                        Thread.sleep(50L * attempt);
                        continue;
                    }
                    return new Probe(null, "cannot run: " + e.getMessage());
                }
                if (!process.waitFor(VERSION_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(VERSION_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                    return new Probe(null, "--version did not exit within " + VERSION_TIMEOUT.toSeconds() + " s");
                }
                String text = new String(Files.readAllBytes(output), StandardCharsets.ISO_8859_1).trim();
                if (process.exitValue() != 0) {
                    return new Probe(
                            null, "--version exited with status " + process.exitValue() + ": " + abbreviate(text));
                }
                Matcher m = VERSION.matcher(text);
                if (!m.find()) {
                    return new Probe(null, "--version printed no version (v=...): " + abbreviate(text));
                }
                return new Probe(m.group(1), null);
            }
        } catch (IOException e) {
            return new Probe(null, "cannot run: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Probe(null, "interrupted while running --version");
        } finally {
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException ignored) {
                    // A leftover temp file is harmless; the probe result is what matters.
                }
            }
        }
    }

    static java.io.File nullFile() {
        return new java.io.File(System.getProperty("os.name", "").startsWith("Windows") ? "NUL" : "/dev/null");
    }

    private static String abbreviate(String text) {
        String oneLine = text.replaceAll("\\s+", " ");
        return oneLine.length() <= MAX_OUTPUT_IN_MESSAGE
                ? "'" + oneLine + "'"
                : "'" + oneLine.substring(0, MAX_OUTPUT_IN_MESSAGE) + "...'";
    }

    /**
     * The absolute path of the executable.
     *
     * @return the path passed to {@link ProcessBuilder} when a server starts
     */
    public Path path() {
        return path;
    }

    /**
     * How the executable was found.
     *
     * @return the resolution source
     */
    public Source source() {
        return source;
    }

    /**
     * The version the executable reported via {@code redis-server --version} (the {@code v=} field).
     *
     * @return for example {@code "7.0.15"}
     */
    public String version() {
        return version;
    }

    /**
     * Equal when path, source and version are equal.
     *
     * @param o the other object
     * @return whether both describe the same binary found the same way
     */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof RedisServerBinary)) {
            return false;
        }
        RedisServerBinary other = (RedisServerBinary) o;
        return path.equals(other.path) && source == other.source && version.equals(other.version);
    }

    /**
     * Hash of path, source and version.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return Objects.hash(path, source, version);
    }

    /**
     * A description for logs and assertion messages.
     *
     * @return path, source and version
     */
    @Override
    public String toString() {
        return "RedisServerBinary[path=" + path + ", source=" + source + ", version=" + version + "]";
    }
}
