package io.redtx.test.redis;

/**
 * Main class run in a child JVM by {@link ProcessCleanupTest}: starts a server, prints {@code PID <pid> DIR <dir>},
 * then either exits at once without closing it ({@code exit}) or sleeps until killed ({@code sleep}).
 */
public final class ChildJvmServer {

    private ChildJvmServer() {}

    /**
     * Entry point.
     *
     * @param args {@code exit} or {@code sleep}
     * @throws InterruptedException never in practice
     */
    @SuppressWarnings("resource") // not closing the server is the point
    public static void main(String[] args) throws InterruptedException {
        RedisServer server = RedisServer.start(Persistence.IN_MEMORY);
        System.out.println("PID " + server.pid() + " DIR " + server.dataDir());
        System.out.flush();
        if (args.length > 0 && args[0].equals("exit")) {
            System.exit(0);
        }
        // Bounded, so that a child whose parent test died still ends (and its shutdown hook kills the server).
        Thread.sleep(60_000);
        System.exit(0);
    }
}
