package io.redtx.test.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.MaintNotificationsConfig;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.metrics.CommandLatencyRecorder;
import io.lettuce.core.output.CommandOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.ProtocolKeyword;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.resource.ClientResources;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One Lettuce connection to a server on {@link RedisServer#HOST}, for the harness's own commands (readiness probes,
 * {@link RedisServer#command(String...)}, cluster set-up), with replies as plain Java values: simple and bulk strings
 * as {@link String} (UTF-8), integers as {@link Long}, arrays as {@link List}, nil as {@code null}.
 *
 * <p>Made for servers that tests kill, pause and restart: the connection never reconnects and never queues a command
 * while disconnected, so a command that meets a dead or frozen server fails with an {@link UncheckedIOException}
 * instead of running later on a new process (or on the same one after SIGCONT). Such a failure also closes the
 * connection ({@link #isOpen()} turns false): after a timeout the late reply may still arrive, and must not be read as
 * the next command's. It speaks RESP2 and sends nothing on connect (no {@code HELLO}, {@code PING},
 * {@code CLIENT SETINFO} or {@code CLIENT MAINT_NOTIFICATIONS}), so that it works while the server answers
 * {@code -LOADING}, adds nothing to {@code INFO commandstats} or {@code INFO errorstats}, and needs no reply from a
 * paused server to be made.
 *
 * <p>Every connection shares one {@link RedisClient} and its {@link ClientResources} (two I/O threads), made on first
 * use and shut down when the JVM exits. Thread-safe: commands from several threads are pipelined on the connection.
 */
final class CommandConnection implements AutoCloseable {

    private final StatefulRedisConnection<String, String> connection;
    private final int port;

    private CommandConnection(StatefulRedisConnection<String, String> connection, int port) {
        this.connection = connection;
        this.port = port;
    }

    /**
     * Connects to {@code 127.0.0.1:port}.
     *
     * @param port the server's port
     * @param connectTimeout bound on making the connection
     * @param commandTimeout bound on each command's reply
     * @return the open connection; the caller must {@link #close()} it
     * @throws UncheckedIOException if the connection cannot be made in time (nothing listens, or the server does not
     *     accept it); a timeout is a {@link SocketTimeoutException} cause
     */
    static CommandConnection open(int port, Duration connectTimeout, Duration commandTimeout) {
        RedisURI uri = RedisURI.builder()
                .withHost(RedisServer.HOST)
                .withPort(port)
                .withTimeout(commandTimeout)
                // Empty: no CLIENT SETINFO on connect.
                .withLibraryName("")
                .withLibraryVersion("")
                .build();
        CompletableFuture<StatefulRedisConnection<String, String>> connecting =
                Shared.CLIENT.connectAsync(StringCodec.UTF8, uri).toCompletableFuture();
        try {
            return new CommandConnection(connecting.get(connectTimeout.toNanos(), TimeUnit.NANOSECONDS), port);
        } catch (TimeoutException e) {
            // A connection made after all must not be left open.
            connecting.thenAccept(StatefulRedisConnection::closeAsync);
            throw failure("Redis connection to " + RedisServer.HOST + ":" + port, e);
        } catch (ExecutionException e) {
            throw failure("Redis connection to " + RedisServer.HOST + ":" + port, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            connecting.thenAccept(StatefulRedisConnection::closeAsync);
            throw new IllegalStateException("interrupted while connecting to " + RedisServer.HOST + ":" + port, e);
        }
    }

    /**
     * Sends one command and waits for its reply.
     *
     * @param args the command name and its arguments, e.g. {@code "SET", "k", "v"}
     * @return the reply as described in the class comment
     * @throws UncheckedIOException when the connection is lost or the reply does not come within the command timeout
     *     (a {@link SocketTimeoutException} cause); the connection is closed then
     * @throws RedisCommandExecutionException with the server's message when Redis answers with an error reply (an
     *     error inside an array reply is an element of the list, of this type); the connection stays open
     */
    Object command(String... args) {
        if (args.length == 0) {
            throw new IllegalArgumentException("a command needs at least its name");
        }
        CommandArgs<String, String> rest = new CommandArgs<>(StringCodec.UTF8);
        for (int i = 1; i < args.length; i++) {
            rest.add(args[i]);
        }
        try {
            return connection.sync().dispatch(new Name(args[0]), new Reply(), rest);
        } catch (RedisCommandExecutionException e) {
            throw e;
        } catch (RedisException e) {
            close();
            throw failure("Redis command " + args[0] + " on " + RedisServer.HOST + ":" + port, e);
        }
    }

    /** @return false once closed, or once the server closed the connection or a command failed on it */
    boolean isOpen() {
        return connection.isOpen();
    }

    /** Closes the connection; idempotent. */
    @Override
    public void close() {
        connection.close();
    }

    /** {@code e} as an I/O error: a timeout as a {@link SocketTimeoutException}, else the I/O error under it. */
    private static UncheckedIOException failure(String what, Throwable e) {
        IOException cause = null;
        for (Throwable t = e; t != null && cause == null; t = t.getCause()) {
            if (t instanceof RedisCommandTimeoutException || t instanceof TimeoutException) {
                cause = new SocketTimeoutException(t.getMessage());
                cause.initCause(e);
            } else if (t instanceof IOException io) {
                cause = io;
            }
        }
        return new UncheckedIOException(
                what + " failed: " + e.getMessage(), cause != null ? cause : new IOException(e.getMessage(), e));
    }

    /** A command name as the first element of the request, whatever it is (Lettuce's own types list only some). */
    private record Name(String name) implements ProtocolKeyword {
        @Override
        public byte[] getBytes() {
            return name.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /**
     * A RESP2 reply as plain values, built from the events of Lettuce's parser. (Lettuce's own {@code ObjectOutput} puts
     * a top-level string or integer into a list, and fails the whole reply on an error inside an array.)
     */
    private static final class Reply extends CommandOutput<String, String, Object> {
        /** The arrays not yet complete, innermost first. */
        private final Deque<List<Object>> open = new ArrayDeque<>();

        Reply() {
            super(StringCodec.UTF8, null);
        }

        @Override
        public void set(long integer) {
            add(integer);
        }

        @Override
        public void set(ByteBuffer bytes) {
            add(bytes == null ? null : codec.decodeValue(bytes));
        }

        @Override
        public void setSingle(ByteBuffer bytes) {
            add(bytes == null ? null : codec.decodeValue(bytes));
        }

        @Override
        public void setError(ByteBuffer error) {
            // An error inside an array (one command's in EXEC, a script's) is a value; only a top-level one fails.
            if (open.isEmpty()) {
                super.setError(error);
            } else {
                add(new RedisCommandExecutionException(decodeString(error)));
            }
        }

        @Override
        public void multi(int count) {
            if (count < 0) {
                add(null);
                return;
            }
            List<Object> array = new ArrayList<>(count);
            add(array);
            open.push(array);
        }

        /** Called whenever a value ends, with how many arrays are still open around it. */
        @Override
        public void complete(int depth) {
            while (open.size() > depth) {
                open.pop();
            }
        }

        private void add(Object value) {
            if (open.isEmpty()) {
                output = value;
            } else {
                open.peek().add(value);
            }
        }
    }

    /** The client of every connection: made when the first connection is (class initialisation is lazy). */
    private static final class Shared {
        static final ClientResources RESOURCES = ClientResources.builder()
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(1)
                // Not "lettuce-...": tests count the threads of the client under test by that name.
                .threadFactoryProvider(pool -> new DefaultThreadFactory("test-support-" + pool, true))
                // Nobody reads the latencies of the harness's own commands.
                .commandLatencyRecorder(CommandLatencyRecorder.disabled())
                .build();

        static final RedisClient CLIENT = RedisClient.create(RESOURCES);

        static {
            CLIENT.setOptions(ClientOptions.builder()
                    .autoReconnect(false)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .pingBeforeActivateConnection(false)
                    .protocolVersion(ProtocolVersion.RESP2)
                    // Lettuce 7 would send CLIENT MAINT_NOTIFICATIONS on connect, an error on Redis 7.0.
                    .maintNotificationsConfig(MaintNotificationsConfig.disabled())
                    .build());
            Runtime.getRuntime()
                    .addShutdownHook(new Thread(
                            () -> {
                                CLIENT.shutdown(Duration.ZERO, Duration.ofSeconds(1));
                                RESOURCES.shutdown(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(1_000);
                            },
                            "redtx-redis-client-shutdown"));
        }
    }
}
