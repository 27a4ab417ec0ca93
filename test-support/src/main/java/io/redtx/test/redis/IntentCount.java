package io.redtx.test.redis;

import io.redtx.api.KeyLayout;
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
 * @param indexEntries entries of the intent indexes ({@code <ns>idx}, or one per slot on a Cluster)
 * @param prepared transaction keys in state PREPARED ({@code <ns>tx:*} with {@code st == P})
 */
public record IntentCount(long locks, long indexEntries, long prepared) {

    /** Nothing left. */
    public static final IntentCount NONE = new IntentCount(0, 0, 0);

    /** ARGV: the patterns of transaction keys and lock keys ({@link KeyLayout}), the index key. */
    private static final String COUNT_SCRIPT = "local prepared = 0 "
            + "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do "
            + "  if redis.call('HGET', k, 'st') == 'P' then prepared = prepared + 1 end "
            + "end "
            + "return {#redis.call('KEYS', ARGV[2]), redis.call('ZCARD', ARGV[3]), prepared}";

    /**
     * The same count on a Redis Cluster's masters, whose intent indexes are one per slot ({@code <ns>idx:{<tag>}}). A
     * cluster node lets a script touch undeclared keys of several slots only with this flag (Redis 7).
     */
    private static final String CLUSTER_COUNT_SCRIPT = "#!lua flags=allow-cross-slot-keys\n"
            + "local prepared = 0 "
            + "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do "
            + "  if redis.call('HGET', k, 'st') == 'P' then prepared = prepared + 1 end "
            + "end "
            + "local entries = 0 "
            + "for _, k in ipairs(redis.call('KEYS', ARGV[3])) do entries = entries + redis.call('ZCARD', k) end "
            + "return {#redis.call('KEYS', ARGV[2]), entries, prepared}";

    /**
     * Counts on every master of a Redis Cluster (blocking; for test threads and programs, not Reactor threads).
     *
     * @param namespace the runtime's namespace, {@code "redtx:"} by default
     * @param cluster the cluster
     * @return the sums over its masters
     */
    public static IntentCount on(String namespace, RedisCluster cluster) {
        KeyLayout keys = KeyLayout.of(namespace);
        return count(CLUSTER_COUNT_SCRIPT, keys, keys.indexKeyPattern(), cluster.masters());
    }

    /**
     * Counts on every server (blocking; for test threads and programs, not Reactor threads).
     *
     * @param namespace the runtime's namespace, {@code "redtx:"} by default
     * @param servers the servers
     * @return the sums over all servers
     */
    public static IntentCount on(String namespace, List<RedisServer> servers) {
        KeyLayout keys = KeyLayout.of(namespace);
        return count(COUNT_SCRIPT, keys, keys.indexKey(), servers);
    }

    private static IntentCount count(String script, KeyLayout keys, String indexes, List<RedisServer> servers) {
        long locks = 0;
        long index = 0;
        long prepared = 0;
        for (RedisServer s : servers) {
            List<?> counts = (List<?>)
                    s.command("EVAL", script, "0", keys.transactionKeyPattern(), keys.lockKeyPattern(), indexes);
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
