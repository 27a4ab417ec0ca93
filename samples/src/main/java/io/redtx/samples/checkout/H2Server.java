package io.redtx.samples.checkout;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.h2.tools.Server;

/**
 * An H2 database server speaking H2's TCP protocol on a free port: a SQL server that other clients, in this JVM or in
 * others, reach over a socket, as they would a real one. Its databases are in memory, in this JVM, and kept until
 * {@link #close()} (not when the last client disconnects): a client that dies and one that comes after it see the same
 * data. The socket is bound as H2 binds it (every interface, unless the {@code h2.bindAddress} system property says
 * otherwise), but the server refuses connections that do not come from this machine (H2's default without {@code
 * -tcpAllowOthers}); clients reach it on 127.0.0.1. It creates a database on first use ({@code -ifNotExists}).
 */
public final class H2Server implements AutoCloseable {

    /** The user every client of these databases connects as (H2 makes the first one to connect the admin). */
    public static final String USER = "sa";

    private static final Pattern DATABASE = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    private final Server server;
    private final Set<String> databases = ConcurrentHashMap.newKeySet();

    private H2Server(Server server) {
        this.server = server;
    }

    /**
     * Starts the server on a free port. Blocks until it listens: call it from a main or test thread.
     *
     * @return the running server
     */
    public static H2Server start() {
        try {
            return new H2Server(Server.createTcpServer("-tcpPort", "0", "-ifNotExists", "-tcpDaemon")
                    .start());
        } catch (SQLException e) {
            throw new IllegalStateException("H2 TCP server did not start", e);
        }
    }

    /** @return the port the server listens on */
    public int port() {
        return server.getPort();
    }

    /**
     * The R2DBC URL of an in-memory database on this server, made on the first connection; for {@link
     * SqlOrderParticipant#create(String, String)}.
     *
     * @param database its name: letters, digits, '_' or '-'
     * @return {@code r2dbc:h2:tcp://127.0.0.1:<port>/mem:<database>;DB_CLOSE_DELAY=-1}
     */
    public String r2dbcUrl(String database) {
        Objects.requireNonNull(database, "database");
        if (!DATABASE.matcher(database).matches()) {
            throw new IllegalArgumentException("database must be 1 to 64 letters, digits, '_' or '-', was " + database);
        }
        databases.add(database);
        return "r2dbc:h2:tcp://127.0.0.1:" + port() + "/mem:" + database + ";DB_CLOSE_DELAY=-1";
    }

    /** Stops the server and drops the databases it handed out URLs for. Blocks (briefly). */
    @Override
    public void close() {
        server.stop();
        // DB_CLOSE_DELAY=-1 keeps an in-memory database as long as this JVM lives: drop them, so that a second server
        // in the same JVM starts from empty databases.
        for (String database : databases) {
            try (Connection c = DriverManager.getConnection("jdbc:h2:mem:" + database, USER, "");
                    Statement s = c.createStatement()) {
                s.execute("SHUTDOWN");
            } catch (SQLException e) {
                // Never opened, or already gone: nothing to drop.
            }
        }
    }
}
