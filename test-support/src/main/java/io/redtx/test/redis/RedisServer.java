package io.redtx.test.redis;

import io.lettuce.core.RedisCommandExecutionException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One real {@code redis-server} process on {@code 127.0.0.1}, with fault controls for tests.
 *
 * <p>Create with {@link #builder()} or {@link #start(Persistence)}. Every server gets a fresh temporary data
 * directory holding its {@code redis.conf} (written once, reused by {@link #restart()}), {@code redis.log}, the
 * process's own output ({@code redis.out}) and, for {@link Persistence#DURABLE}, the append-only files. The port is
 * a free loopback port picked at the first start and kept for the server's whole life, so clients can reconnect
 * after a {@link #kill()} + {@link #restart()}.
 *
 * <p>Life cycle: {@link #start()} → any sequence of {@link #kill()}, {@link #stop()}, {@link #restart()},
 * {@link #pause()}, {@link #resume()} → {@link #close()}. {@code close()} stops the process and deletes the data
 * directory; every stop operation is idempotent. A server that is never closed is still killed when the JVM exits
 * (shutdown hook) or, if the JVM is killed with {@code kill -9}, by {@link #reapOrphans()} in the next JVM.
 *
 * <p>The life-cycle methods are thread-safe. The command methods ({@link #command(String...)}, {@link #ping()}, ...)
 * share one connection per server, made on first use, made anew when it was lost, and closed whenever the process
 * stops; they do not take the server's lock, so a command blocked on a paused server never prevents {@link #resume()}
 * or {@link #close()}.
 */
public final class RedisServer implements AutoCloseable {

    /** The only address servers bind to. */
    public static final String HOST = "127.0.0.1";

    /** Default bound on how long {@link #start()} and {@link #restart()} wait for {@code PING} to succeed. */
    public static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofSeconds(10);

    /** Prefix of the temporary data directories; the orphan reaper deletes only directories named like this. */
    static final String DATA_DIR_PREFIX = "redtx-redis-";

    /** How many ports the first start tries before giving up (the first port plus three retries). */
    static final int MAX_PORT_ATTEMPTS = 4;

    static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);
    static final Duration STOP_GRACE = Duration.ofSeconds(5);
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration PROBE_CONNECT_TIMEOUT = Duration.ofMillis(250);
    private static final Duration PROBE_READ_TIMEOUT = Duration.ofSeconds(1);
    private static final long POLL_MILLIS = 10;
    private static final int LOG_TAIL_LINES = 20;

    private final RedisServerBinary binary;
    private final Persistence persistence;
    private final List<String> extraConfig;
    private final Duration startupTimeout;
    private final boolean cluster;
    /** Runs {@code redis-server <conf> --sentinel}: a Sentinel, not a data node. */
    private final boolean sentinel;
    /** TLS files ({@code tls-cert-file}, {@code tls-key-file}, {@code tls-ca-cert-file}), or null: no TLS port. */
    private final List<Path> tlsFiles;

    // Volatile so that accessors and the shutdown hook can read them without the lock, which a thread waiting for
    // readiness may hold for up to the startup timeout.
    private volatile Path dataDir;
    private volatile int port = -1;
    private volatile int clusterBusPort = -1;
    private volatile int tlsPort = -1;
    private volatile Process process;
    private volatile Path ownerFile;
    private volatile boolean paused;
    private volatile boolean started;
    private volatile boolean closed;

    /** The connection of the command methods; null until the first command and after each stop of the process. */
    private final AtomicReference<CommandConnection> connection = new AtomicReference<>();

    private RedisServer(Builder builder, RedisServerBinary binary) {
        this.binary = binary;
        this.persistence = builder.persistence;
        this.extraConfig = List.copyOf(builder.config);
        this.startupTimeout = builder.startupTimeout;
        this.cluster = builder.cluster;
        this.sentinel = builder.sentinel;
        this.tlsFiles = builder.tlsFiles;
    }

    /**
     * A builder with the defaults: {@link Persistence#IN_MEMORY}, no extra configuration,
     * {@link RedisServerBinary#resolve()}, {@link #DEFAULT_STARTUP_TIMEOUT}.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds and starts a server with the given persistence and otherwise default settings.
     *
     * @param persistence how the server keeps its data
     * @return the running server; the caller must {@link #close()} it
     * @throws IllegalStateException if no binary can be resolved or the server does not become ready
     */
    public static RedisServer start(Persistence persistence) {
        return builder().persistence(persistence).start();
    }

    /**
     * Kills every {@code redis-server} that a JVM killed with {@code kill -9} left behind: each server started by
     * this harness leaves an owner file in {@code ${java.io.tmpdir}/redtx-redis/owners/}; servers whose owner JVM is
     * no longer alive are SIGKILLed and their files and data directories removed. This runs automatically before the
     * first server of each JVM starts; call it directly to reap at another moment.
     *
     * @return how many orphaned processes were killed
     */
    public static int reapOrphans() {
        return ProcessRegistry.reapOrphans(ProcessRegistry.ownersDir());
    }

    /**
     * Starts the process: creates the data directory and {@code redis.conf}, picks a free loopback port and waits
     * until the server answers {@code PING} with {@code PONG}. If the process exits before becoming ready (typically
     * because another process took the port between the check and the bind), it retries on a new port, up to three
     * times. A server whose start fails is closed (process killed, data directory deleted).
     *
     * @return this server, running
     * @throws IllegalStateException if already started or closed, or if the server is not ready within the startup
     *     timeout (the message holds the tail of {@code redis.log})
     * @throws UncheckedIOException if the data directory or configuration cannot be written
     */
    public synchronized RedisServer start() {
        ensureOpen();
        if (started) {
            throw new IllegalStateException(this + " is already started; use restart() after kill() or stop()");
        }
        ProcessRegistry.reapOrphansAtFirstStart();
        boolean ok = false;
        try {
            dataDir = Files.createTempDirectory(DATA_DIR_PREFIX).toAbsolutePath();
            ProcessRegistry.register(this);
            List<String> failures = new ArrayList<>();
            for (int attempt = 1; attempt <= MAX_PORT_ATTEMPTS; attempt++) {
                int candidate = freeLoopbackPort();
                int bus = -1;
                while (cluster && (bus < 0 || bus == candidate)) {
                    bus = freeLoopbackPort();
                }
                int tls = -1;
                while (tlsFiles != null && (tls < 0 || tls == candidate || tls == bus)) {
                    tls = freeLoopbackPort();
                }
                Files.writeString(configFile(), configText(candidate, bus, tls), StandardCharsets.UTF_8);
                // Each attempt starts with an empty log so the tail in an error message belongs to that attempt.
                Files.deleteIfExists(logFile());
                Files.deleteIfExists(outputFile());
                port = candidate;
                clusterBusPort = bus;
                tlsPort = tls;
                try {
                    launchAndAwaitReady();
                    started = true;
                    ok = true;
                    return this;
                } catch (ExitedEarly e) {
                    failures.add("port " + candidate + ": " + e.getMessage());
                }
            }
            throw new IllegalStateException("redis-server exited before becoming ready on " + MAX_PORT_ATTEMPTS
                    + " ports: " + String.join("; ", failures) + "\nredis output tail:\n" + logTail());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the data directory of a redis-server", e);
        } finally {
            if (!ok) {
                closeAfterFailedStart();
            }
        }
    }

    /**
     * Starts the process again on the same port with the same data directory and configuration, after
     * {@link #kill()} or {@link #stop()} (or a crash), and waits until it answers {@code PING} (a
     * {@link Persistence#DURABLE} server first replays its append-only file and answers {@code -LOADING} until it is
     * done). {@link #pid()} changes; {@link #port()} and {@link #uri()} do not.
     *
     * @return this server, running
     * @throws IllegalStateException if the server was never started, is closed, is still running, or does not become
     *     ready within the startup timeout (for example because another process took the port meanwhile); the
     *     message holds the tail of {@code redis.log}. The server stays open: call {@link #close()}
     */
    public synchronized RedisServer restart() {
        ensureOpen();
        if (!started) {
            throw new IllegalStateException(this + " was never started; call start()");
        }
        if (isAlive()) {
            throw new IllegalStateException(this + " is still running; call kill() or stop() before restart()");
        }
        paused = false;
        // A process that died by itself may have left a connection that does not know yet.
        disconnect();
        try {
            launchAndAwaitReady();
        } catch (ExitedEarly e) {
            throw new IllegalStateException("redis-server could not restart on " + HOST + ":" + port + ": "
                    + e.getMessage() + "\nredis output tail:\n" + logTail());
        }
        return this;
    }

    /**
     * Kills the process with SIGKILL ({@code kill -9}: no AOF flush, no clean shutdown; also works on a paused
     * process) and waits up to 10 seconds for it to exit. The data directory stays, so {@link #restart()} can bring
     * the server back. Does nothing when the process is not running.
     *
     * @throws IllegalStateException if the process is still alive after the wait
     */
    public synchronized void kill() {
        disconnect();
        Process p = process;
        if (p != null && p.isAlive()) {
            p.destroyForcibly();
            if (!awaitExit(p, KILL_TIMEOUT)) {
                throw new IllegalStateException("redis-server pid " + p.pid() + " still alive "
                        + KILL_TIMEOUT.toSeconds() + " s after SIGKILL");
            }
        }
        paused = false;
    }

    /**
     * Stops the process gracefully: SIGTERM (after SIGCONT if paused, since a stopped process acts on SIGTERM only
     * once continued), then SIGKILL if it has not exited after 5 seconds; waits for the exit. The data directory
     * stays, so {@link #restart()} is possible. Does nothing when the process is not running.
     *
     * @throws IllegalStateException if the process is still alive even after SIGKILL
     */
    public synchronized void stop() {
        disconnect();
        Process p = process;
        if (p != null && p.isAlive()) {
            if (paused) {
                try {
                    signal(p.pid(), "CONT");
                } catch (RuntimeException e) {
                    // Cannot continue it: SIGKILL below still ends a stopped process.
                }
            }
            p.destroy();
            if (!awaitExit(p, STOP_GRACE)) {
                p.destroyForcibly();
                if (!awaitExit(p, KILL_TIMEOUT)) {
                    throw new IllegalStateException("redis-server pid " + p.pid() + " survived SIGTERM and SIGKILL");
                }
            }
        }
        paused = false;
        Path owner = ownerFile;
        ownerFile = null;
        ProcessRegistry.deleteQuietly(owner);
    }

    /**
     * Freezes the process with SIGSTOP ({@code kill -STOP <pid>}): it keeps its port and its connections, but answers
     * nothing until {@link #resume()}; clients see timeouts, not connection errors. Does nothing if already paused.
     *
     * @throws IllegalStateException if the server is closed, not running, or the {@code kill} command fails
     */
    public synchronized void pause() {
        ensureOpen();
        Process p = process;
        if (p == null || !p.isAlive()) {
            throw new IllegalStateException(this + " is not running; cannot pause it");
        }
        if (!paused) {
            signal(p.pid(), "STOP");
            paused = true;
        }
    }

    /**
     * Continues a process frozen by {@link #pause()} with SIGCONT ({@code kill -CONT <pid>}). Does nothing if not
     * paused.
     *
     * @throws IllegalStateException if the {@code kill} command fails
     */
    public synchronized void resume() {
        if (!paused) {
            return;
        }
        Process p = process;
        if (p != null && p.isAlive()) {
            signal(p.pid(), "CONT");
        }
        paused = false;
    }

    /**
     * {@link #stop() Stops} the process and deletes the data directory with everything in it. Idempotent; the
     * server cannot be restarted afterwards.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        try {
            stop();
        } finally {
            closed = true;
            // A process that survived even SIGKILL stays registered, so the shutdown hook tries again at JVM exit.
            if (!isAlive()) {
                ProcessRegistry.unregister(this);
            }
            Path dir = dataDir;
            if (dir != null) {
                ProcessRegistry.deleteRecursively(dir);
            }
        }
    }

    /**
     * Sends one command on the server's connection (connect and reply timeout 5 s; a new connection when there is none
     * or it was lost) and returns the reply: simple and bulk strings as {@link String}, integers as {@link Long},
     * arrays as {@link List}, nil as {@code null}. The connection is shared by every thread's commands, so commands
     * that change the state of a connection ({@code MULTI}, {@code ASKING}, {@code SELECT}, ...) do not belong here.
     *
     * @param args the command name and its arguments, e.g. {@code "SET", "k", "v"}
     * @return the decoded reply
     * @throws IllegalStateException if the server was never started or is closed
     * @throws UncheckedIOException on connection errors and timeouts (for example while the server is paused; a
     *     timeout has a {@link java.net.SocketTimeoutException} cause); the connection is closed then, and the next
     *     command makes a new one
     * @throws RuntimeException carrying the server's message when Redis answers with an error reply (Lettuce's
     *     {@link RedisCommandExecutionException}; an error inside an array reply is an element of the list instead)
     */
    public Object command(String... args) {
        requireStarted();
        ensureOpen();
        return connection().command(args);
    }

    /**
     * Sends {@code PING}.
     *
     * @return the reply, {@code "PONG"}
     * @throws UncheckedIOException if the server does not answer within 5 s
     */
    public String ping() {
        return (String) command("PING");
    }

    /** Deletes every key of every database ({@code FLUSHALL}, synchronous). */
    public void flushAll() {
        command("FLUSHALL");
    }

    /**
     * The raw text of {@code INFO <section>}.
     *
     * @param section for example {@code "server"}, {@code "persistence"}, {@code "all"}
     * @return lines of {@code field:value}, separated by CRLF, with {@code # Section} headers
     */
    public String info(String section) {
        return (String) command("INFO", Objects.requireNonNull(section, "section"));
    }

    /**
     * The version the running server reports ({@code redis_version} of {@code INFO server}).
     *
     * @return for example {@code "7.0.15"}
     * @throws IllegalStateException if the field is missing
     */
    public String version() {
        for (String line : info("server").split("\r?\n")) {
            if (line.startsWith("redis_version:")) {
                return line.substring("redis_version:".length()).trim();
            }
        }
        throw new IllegalStateException("INFO server of " + this + " has no redis_version");
    }

    /**
     * The address the server binds to.
     *
     * @return always {@value #HOST}
     */
    public String host() {
        return HOST;
    }

    /**
     * The TCP port, fixed at the first start and kept across restarts.
     *
     * @return the port
     * @throws IllegalStateException if the server was never started
     */
    public int port() {
        requireStarted();
        return port;
    }

    /**
     * The URI a Redis client connects to.
     *
     * @return {@code redis://127.0.0.1:<port>}
     * @throws IllegalStateException if the server was never started
     */
    public String uri() {
        return "redis://" + HOST + ":" + port();
    }

    /**
     * The TLS port of a server built with {@link Builder#tls}, fixed at the first start like {@link #port()}.
     *
     * @return the TLS port
     * @throws IllegalStateException if the server was never started or has no TLS port
     */
    public int tlsPort() {
        requireStarted();
        if (tlsFiles == null) {
            throw new IllegalStateException(this + " has no TLS port");
        }
        return tlsPort;
    }

    /**
     * The URI a Redis client connects to over TLS.
     *
     * @return {@code rediss://127.0.0.1:<tlsPort>}
     * @throws IllegalStateException if the server was never started or has no TLS port
     */
    public String tlsUri() {
        return "rediss://" + HOST + ":" + tlsPort();
    }

    /**
     * Whether this process is a Sentinel ({@link Builder#sentinel()}).
     *
     * @return true for a Sentinel, false for a data node
     */
    public boolean isSentinel() {
        return sentinel;
    }

    /**
     * The cluster bus port of a server built with {@link Builder#clusterEnabled()}, fixed at the first start like
     * {@link #port()}.
     *
     * @return the bus port
     * @throws IllegalStateException if the server was never started or is not in cluster mode
     */
    public int clusterBusPort() {
        requireStarted();
        if (!cluster) {
            throw new IllegalStateException(this + " is not in cluster mode");
        }
        return clusterBusPort;
    }

    /**
     * The pid of the current (or, after {@link #kill()} / {@link #stop()}, the last) process; changes on every
     * {@link #restart()}.
     *
     * @return the operating-system process id
     * @throws IllegalStateException if the server was never started
     */
    public long pid() {
        requireStarted();
        return process.pid();
    }

    /**
     * The data directory holding {@code redis.conf}, {@code redis.log} and persistence files. Still returned after
     * {@link #close()}, when it no longer exists.
     *
     * @return the absolute path
     * @throws IllegalStateException if the server was never started
     */
    public Path dataDir() {
        Path dir = dataDir;
        if (dir == null) {
            throw new IllegalStateException(this + " was never started");
        }
        return dir;
    }

    /**
     * The persistence this server was built with.
     *
     * @return the persistence
     */
    public Persistence persistence() {
        return persistence;
    }

    /**
     * Whether the process is running (a paused process is alive).
     *
     * @return {@code false} before start, after kill, stop and close
     */
    public boolean isAlive() {
        Process p = process;
        return p != null && p.isAlive();
    }

    /**
     * Whether the process is frozen by {@link #pause()}.
     *
     * @return {@code true} between {@code pause()} and {@code resume()} / {@code kill()} / {@code stop()}
     */
    public boolean isPaused() {
        return paused;
    }

    /**
     * The executable this server runs.
     *
     * @return the binary
     */
    public RedisServerBinary binary() {
        return binary;
    }

    /**
     * A description for logs and assertion messages.
     *
     * @return address, pid and persistence (or {@code sentinel})
     */
    @Override
    public String toString() {
        Process p = process;
        return "RedisServer[" + HOST + ":" + (port < 0 ? "-" : Integer.toString(port)) + ", pid="
                + (p == null ? "-" : Long.toString(p.pid())) + ", " + (sentinel ? "sentinel" : persistence)
                + (closed ? ", closed" : "") + "]";
    }

    /**
     * The open connection of the command methods, made if there is none. Lock-free: {@link #kill()} and
     * {@link #stop()}, which hold the server's lock, must never wait for a connect to end.
     */
    private CommandConnection connection() {
        while (true) {
            CommandConnection current = connection.get();
            if (current != null && current.isOpen()) {
                return current;
            }
            CommandConnection fresh = CommandConnection.open(port, COMMAND_TIMEOUT, COMMAND_TIMEOUT);
            if (connection.compareAndSet(current, fresh)) {
                if (current != null) {
                    current.close();
                }
                return fresh;
            }
            // Another thread replaced it first (or the process stopped meanwhile): look again.
            fresh.close();
        }
    }

    /** Closes the connection of the command methods: the process behind it is stopping, or another will answer. */
    private void disconnect() {
        CommandConnection current = connection.getAndSet(null);
        if (current != null) {
            current.close();
        }
    }

    // ---- process handling -------------------------------------------------------------------------------------

    /** The process exited before it answered PING; on a first start that usually means the port was taken. */
    private static final class ExitedEarly extends Exception {
        private static final long serialVersionUID = 1L;

        ExitedEarly(String message) {
            super(message, null, false, false);
        }
    }

    private void launchAndAwaitReady() throws ExitedEarly {
        Process p;
        try {
            List<String> command = new ArrayList<>(
                    List.of(binary.path().toString(), configFile().toString()));
            if (sentinel) {
                command.add("--sentinel");
            }
            p = new ProcessBuilder(command)
                    .directory(dataDir.toFile())
                    .redirectInput(Redirect.from(RedisServerBinary.nullFile()))
                    .redirectErrorStream(true)
                    // Config errors are printed before the log file opens; a file (not a pipe) also means the
                    // child can never block on a full pipe nobody reads.
                    .redirectOutput(Redirect.appendTo(outputFile().toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + binary.path(), e);
        }
        process = p;
        if (ProcessRegistry.isShuttingDown()) {
            p.destroyForcibly();
            throw new IllegalStateException("JVM is shutting down; redis-server not started");
        }
        Path previousOwner = ownerFile;
        ownerFile = ProcessRegistry.writeOwnerFile(p.toHandle(), dataDir);
        if (previousOwner != null && !previousOwner.equals(ownerFile)) {
            ProcessRegistry.deleteQuietly(previousOwner);
        }
        awaitReady(p);
    }

    private void awaitReady(Process p) throws ExitedEarly {
        long deadline = System.nanoTime() + startupTimeout.toNanos();
        String last = "no answer";
        while (true) {
            if (!p.isAlive()) {
                throw new ExitedEarly("exited with status " + p.exitValue() + " before answering PING");
            }
            try (CommandConnection probe = CommandConnection.open(port, PROBE_CONNECT_TIMEOUT, PROBE_READ_TIMEOUT)) {
                Object reply = probe.command("PING");
                if ("PONG".equals(reply)) {
                    // Another process may own the port (ours then fails to bind and exits): only our pid counts.
                    long answering = processId((String) probe.command("INFO", "server"));
                    if (answering == p.pid()) {
                        return;
                    }
                    last = "port answered by another redis-server (pid " + answering + ")";
                } else {
                    last = "PING answered " + reply;
                }
            } catch (RedisCommandExecutionException e) {
                // -LOADING while an AOF is replayed after a restart: alive, not ready yet.
                last = e.getMessage();
            } catch (UncheckedIOException e) {
                last = e.getCause().toString();
            }
            if (System.nanoTime() - deadline > 0) {
                p.destroyForcibly();
                awaitExit(p, KILL_TIMEOUT);
                throw new IllegalStateException("redis-server pid " + p.pid() + " on " + HOST + ":" + port
                        + " was not ready within " + startupTimeout.toMillis() + " ms (last: " + last
                        + "); killed it. redis output tail:\n" + logTail());
            }
            sleepQuietly(POLL_MILLIS);
        }
    }

    private static long processId(String info) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith("process_id:")) {
                return Long.parseLong(line.substring("process_id:".length()).trim());
            }
        }
        return -1;
    }

    /** SIGKILL without the lock or a wait: called by the shutdown hook, which must never block on a busy server. */
    void killForJvmExit() {
        Process p = process;
        if (p != null) {
            p.destroyForcibly();
        }
    }

    /** Second half of the shutdown hook: reaps the process (no zombie) and removes the files it left. */
    void cleanUpAfterJvmExitKill(long deadlineNanos) {
        Process p = process;
        if (p != null) {
            long remaining = deadlineNanos - System.nanoTime();
            awaitExit(p, Duration.ofNanos(Math.max(remaining, 0)));
        }
        ProcessRegistry.deleteQuietly(ownerFile);
        Path dir = dataDir;
        if (dir != null && (p == null || !p.isAlive())) {
            try {
                ProcessRegistry.deleteRecursively(dir);
            } catch (UncheckedIOException ignored) {
                // Temp files only; the JVM is exiting.
            }
        }
    }

    private void closeAfterFailedStart() {
        Process p = process;
        if (p != null && p.isAlive()) {
            p.destroyForcibly();
            awaitExit(p, KILL_TIMEOUT);
        }
        ProcessRegistry.deleteQuietly(ownerFile);
        ownerFile = null;
        closed = true;
        ProcessRegistry.unregister(this);
        Path dir = dataDir;
        if (dir != null) {
            try {
                ProcessRegistry.deleteRecursively(dir);
            } catch (UncheckedIOException ignored) {
                // The start failure is the error worth reporting.
            }
        }
    }

    private static void signal(long pid, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid))
                    .redirectErrorStream(true)
                    .redirectInput(Redirect.from(RedisServerBinary.nullFile()))
                    .start();
            if (!kill.waitFor(KILL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                kill.destroyForcibly();
                throw new IllegalStateException("kill -" + signal + " " + pid + " did not finish");
            }
            // Safe to read after exit: the few bytes kill prints fit in the pipe buffer.
            String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (kill.exitValue() != 0) {
                throw new IllegalStateException(
                        "kill -" + signal + " " + pid + " exited with status " + kill.exitValue() + ": " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run kill -" + signal + " " + pid, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running kill -" + signal + " " + pid, e);
        }
    }

    private static boolean awaitExit(Process p, Duration timeout) {
        try {
            return p.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !p.isAlive();
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for redis-server", e);
        }
    }

    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), 0));
            return socket.getLocalPort();
        }
    }

    private String configText(int port, int busPort, int tlsPort) {
        StringBuilder conf = new StringBuilder();
        conf.append("# Written by redtx test-support; reused by restart().\n");
        conf.append("bind ").append(HOST).append('\n');
        conf.append("port ").append(port).append('\n');
        conf.append("dir ").append(quote(dataDir.toString())).append('\n');
        conf.append("logfile ").append(quote(logFile().toString())).append('\n');
        conf.append("daemonize no\n");
        conf.append("protected-mode no\n");
        if (!sentinel) {
            // A Sentinel keeps no data set: its only file is this configuration, which it rewrites itself.
            for (String line : persistence.configLines()) {
                conf.append(line).append('\n');
            }
        }
        if (cluster) {
            // The bus port is chosen like the client port: the default (port + 10000) may be taken or out of range.
            conf.append("cluster-enabled yes\n");
            conf.append("cluster-port ").append(busPort).append('\n');
            conf.append("cluster-config-file nodes.conf\n");
        }
        if (tlsFiles != null) {
            conf.append("tls-port ").append(tlsPort).append('\n');
            conf.append("tls-cert-file ")
                    .append(quote(tlsFiles.get(0).toString()))
                    .append('\n');
            conf.append("tls-key-file ")
                    .append(quote(tlsFiles.get(1).toString()))
                    .append('\n');
            conf.append("tls-ca-cert-file ")
                    .append(quote(tlsFiles.get(2).toString()))
                    .append('\n');
            // Mutual TLS: a client without a certificate signed by the CA is refused in the handshake.
            conf.append("tls-auth-clients yes\n");
        }
        // Last, so that a raw line overrides any default above (Redis keeps the last value of a directive).
        for (String line : extraConfig) {
            conf.append(line).append('\n');
        }
        return conf.toString();
    }

    private static String quote(String value) {
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    private Path configFile() {
        return dataDir.resolve("redis.conf");
    }

    private Path logFile() {
        return dataDir.resolve("redis.log");
    }

    private Path outputFile() {
        return dataDir.resolve("redis.out");
    }

    private String logTail() {
        StringBuilder tail = new StringBuilder();
        appendTail(tail, logFile());
        appendTail(tail, outputFile());
        return tail.length() == 0 ? "(no output)" : tail.toString();
    }

    private static void appendTail(StringBuilder tail, Path file) {
        try {
            if (!Files.isRegularFile(file)) {
                return;
            }
            List<String> lines = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
            if (lines.isEmpty()) {
                return;
            }
            tail.append("--- ").append(file.getFileName()).append(" ---\n");
            for (String line : lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size())) {
                tail.append(line).append('\n');
            }
        } catch (IOException e) {
            tail.append("(cannot read ").append(file).append(": ").append(e).append(")\n");
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    private void requireStarted() {
        if (!started) {
            throw new IllegalStateException(this + " was never started; call start()");
        }
    }

    /**
     * Configures a {@link RedisServer}. Not thread-safe; each {@link #build()} makes an independent, unstarted
     * server.
     */
    public static final class Builder {
        private Persistence persistence = Persistence.IN_MEMORY;
        private final List<String> config = new ArrayList<>();
        private RedisServerBinary binary;
        private Duration startupTimeout = DEFAULT_STARTUP_TIMEOUT;
        private boolean cluster;
        private boolean sentinel;
        private List<Path> tlsFiles;

        private Builder() {}

        /**
         * Runs the process as a Redis Sentinel ({@code redis-server redis.conf --sentinel}) instead of a data node: the
         * same binary, answering {@code PING}, {@code INFO} and the {@code SENTINEL} commands on its
         * {@link RedisServer#port()}. Add what it monitors with {@link #config(String)} lines such as
         * {@code "sentinel monitor <name> 127.0.0.1 <port> 2"}. The persistence lines are left out (a Sentinel keeps
         * no data); the Sentinel rewrites its {@code redis.conf} in its own data directory with what it learns (other
         * Sentinels, replicas, failovers), so a {@link RedisServer#restart()} resumes from that. {@link RedisSentinels}
         * starts a whole monitored deployment.
         *
         * @return this builder
         */
        public Builder sentinel() {
            this.sentinel = true;
            return this;
        }

        /**
         * Adds a TLS port (a free loopback port, see {@link RedisServer#tlsPort()}) that requires client certificates
         * ({@code tls-auth-clients yes}). The plain {@link RedisServer#port()} stays open: the harness's readiness
         * probe and {@link RedisServer#command(String...)} use it; clients under test connect to
         * {@link RedisServer#tlsUri()}. The files must outlive the server (it reads them again on restart).
         *
         * @param certificate the server's certificate chain, PEM ({@code tls-cert-file})
         * @param key the server's unencrypted private key, PEM ({@code tls-key-file})
         * @param caCertificate the certificates that sign acceptable client certificates, PEM
         *     ({@code tls-ca-cert-file})
         * @return this builder
         */
        public Builder tls(Path certificate, Path key, Path caCertificate) {
            this.tlsFiles = List.of(
                    Objects.requireNonNull(certificate, "certificate").toAbsolutePath(),
                    Objects.requireNonNull(key, "key").toAbsolutePath(),
                    Objects.requireNonNull(caCertificate, "caCertificate").toAbsolutePath());
            return this;
        }

        /**
         * Runs the server in cluster mode ({@code cluster-enabled yes}, its own {@code nodes.conf} in the data
         * directory, and a free loopback port for the cluster bus, see {@link RedisServer#clusterBusPort()}). The
         * node starts with no slots and knows no other node; {@link RedisCluster} joins such nodes into a cluster.
         *
         * @return this builder
         */
        public Builder clusterEnabled() {
            this.cluster = true;
            return this;
        }

        /**
         * How the server keeps its data. Default {@link Persistence#IN_MEMORY}.
         *
         * @param persistence the persistence
         * @return this builder
         */
        public Builder persistence(Persistence persistence) {
            this.persistence = Objects.requireNonNull(persistence, "persistence");
            return this;
        }

        /**
         * Adds one raw {@code redis.conf} line, written after the harness's own lines so it overrides them (for
         * example {@code "cluster-enabled yes"} or {@code "maxmemory 64mb"}). Lines accumulate.
         *
         * @param line one directive, without line breaks
         * @return this builder
         * @throws IllegalArgumentException if the line is blank or contains a line break
         */
        public Builder config(String line) {
            Objects.requireNonNull(line, "line");
            if (line.isBlank() || line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0) {
                throw new IllegalArgumentException(
                        "config line must be one non-blank line, was '" + line.replace("\n", "\\n") + "'");
            }
            config.add(line);
            return this;
        }

        /**
         * The executable to run. Default {@link RedisServerBinary#resolve()}.
         *
         * @param binary the binary
         * @return this builder
         */
        public Builder binary(RedisServerBinary binary) {
            this.binary = Objects.requireNonNull(binary, "binary");
            return this;
        }

        /**
         * How long {@link RedisServer#start()} and {@link RedisServer#restart()} wait for {@code PING} to succeed
         * before killing the process and failing. Default {@link RedisServer#DEFAULT_STARTUP_TIMEOUT} (10 s).
         *
         * @param startupTimeout a positive duration
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder startupTimeout(Duration startupTimeout) {
            Objects.requireNonNull(startupTimeout, "startupTimeout");
            if (startupTimeout.isNegative() || startupTimeout.isZero()) {
                throw new IllegalArgumentException("startupTimeout must be positive, was " + startupTimeout);
            }
            this.startupTimeout = startupTimeout;
            return this;
        }

        /**
         * Creates an unstarted server; nothing runs and nothing is written until {@link RedisServer#start()}.
         * Resolves the default binary if none was set.
         *
         * @return a new server
         * @throws IllegalStateException if no binary was set and none can be resolved
         */
        public RedisServer build() {
            if (sentinel && cluster) {
                throw new IllegalStateException("a server is either a Sentinel or a cluster node, not both");
            }
            return new RedisServer(this, binary != null ? binary : RedisServerBinary.resolve());
        }

        /**
         * {@link #build()} followed by {@link RedisServer#start()}.
         *
         * @return the running server; the caller must {@link RedisServer#close()} it
         * @throws IllegalStateException if the server cannot be resolved or does not become ready
         */
        public RedisServer start() {
            return build().start();
        }
    }
}
