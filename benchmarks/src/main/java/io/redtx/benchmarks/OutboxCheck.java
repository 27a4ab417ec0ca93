package io.redtx.benchmarks;

import io.redtx.test.redis.RedisServer;
import java.util.List;

/**
 * The check of an outbox workload: a message exists if and only if its transfer committed, so the messages appended
 * to {@link Workload#OUTBOX_STREAM} over the whole workload (warm-up, measured window and drain) must be exactly the
 * transfers that moved money. Read straight from the servers (blocking, from the main thread) once the runtime closed,
 * that is once the roll-forwards of two-phase commits, which apply a secondary's message, are done.
 *
 * <p>The stream is trimmed as it grows, so its length says nothing about how many were appended: the count is
 * {@code XINFO STREAM}'s {@code entries-added} (Redis 7.0 and later), which counts every entry a stream ever had.
 * Servers are emptied before each workload, so that count starts at zero.
 *
 * @param appended entries ever added to the stream, summed over the servers
 * @param committed transfers that moved money, as the load saw them acknowledged
 * @param length entries the streams hold now (bounded by the trim), summed over the servers
 */
record OutboxCheck(long appended, long committed, long length) {

    /**
     * Counts the messages on {@code servers}.
     *
     * @param servers the servers of the workload (those without the stream count zero)
     * @param committed transfers that moved money in the whole workload
     * @return the check
     * @throws IllegalStateException if a server does not report {@code entries-added} (older than Redis 7.0)
     */
    static OutboxCheck count(List<RedisServer> servers, long committed) {
        long appended = 0;
        long length = 0;
        for (RedisServer s : servers) {
            if ((Long) s.command("EXISTS", Workload.OUTBOX_STREAM) == 0L) {
                continue;
            }
            appended += field((List<?>) s.command("XINFO", "STREAM", Workload.OUTBOX_STREAM), "entries-added", s);
            length += (Long) s.command("XLEN", Workload.OUTBOX_STREAM);
        }
        return new OutboxCheck(appended, committed, length);
    }

    /** The value of {@code name} in a flat name/value reply. */
    private static long field(List<?> reply, String name, RedisServer server) {
        for (int i = 0; i + 1 < reply.size(); i += 2) {
            if (name.equals(reply.get(i))) {
                return (Long) reply.get(i + 1);
            }
        }
        throw new IllegalStateException("XINFO STREAM on " + server.uri() + " has no '" + name
                + "' (needs Redis 7.0 or later): cannot count the outbox messages");
    }

    /** @return whether every committed transfer has its message and no other message exists */
    boolean matches() {
        return appended == committed;
    }
}
