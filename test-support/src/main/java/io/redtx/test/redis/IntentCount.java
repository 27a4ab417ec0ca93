package io.redtx.test.redis;

import java.util.List;

/**
 * What redtx transactions left unsettled on Redis servers: lock keys, intent-index entries and PREPARED transaction
 * keys under a namespace. All three are zero once every transaction is committed or rolled back everywhere and its
 * committed record forgotten. Counted in one script per server (settled markers stay for the record retention, so
 * there can be many transaction keys).
 *
 * <pre>{@code
 * assertThat(IntentCount.on("redtx:", servers)).isEqualTo(IntentCount.NONE);
 * }</pre>
 *
 * @param locks lock keys ({@code <ns>lk:*})
 * @param indexEntries entries of the intent indexes ({@code <ns>idx})
 * @param prepared transaction keys in state PREPARED ({@code <ns>tx:*} with {@code st == P})
 */
public record IntentCount(long locks, long indexEntries, long prepared) {

    /** Nothing left. */
    public static final IntentCount NONE = new IntentCount(0, 0, 0);

    private static final String COUNT_SCRIPT = "local ns = ARGV[1] "
            + "local prepared = 0 "
            + "for _, k in ipairs(redis.call('KEYS', ns .. 'tx:*')) do "
            + "  if redis.call('HGET', k, 'st') == 'P' then prepared = prepared + 1 end "
            + "end "
            + "return {#redis.call('KEYS', ns .. 'lk:*'), redis.call('ZCARD', ns .. 'idx'), prepared}";

    /**
     * Counts on every server (blocking; for test threads and programs, not Reactor threads).
     *
     * @param namespace the runtime's namespace, {@code "redtx:"} by default
     * @param servers the servers
     * @return the sums over all servers
     */
    public static IntentCount on(String namespace, List<RedisServer> servers) {
        long locks = 0;
        long index = 0;
        long prepared = 0;
        for (RedisServer s : servers) {
            List<?> counts = (List<?>) s.command("EVAL", COUNT_SCRIPT, "0", namespace);
            locks += (Long) counts.get(0);
            index += (Long) counts.get(1);
            prepared += (Long) counts.get(2);
        }
        return new IntentCount(locks, index, prepared);
    }

    /** @return whether nothing is left */
    public boolean none() {
        return equals(NONE);
    }
}
