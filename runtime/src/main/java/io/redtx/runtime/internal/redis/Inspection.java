package io.redtx.runtime.internal.redis;

import java.util.List;

/**
 * What {@code inspect.lua} answers about a transaction's key on one shard (its header is the contract), decoded once.
 *
 * @param state the state there
 * @param leaseExpired whether its lease has ended, on that shard's clock
 * @param primaryName the shard holding its record ("" if none: a read-only transaction's, or unknown)
 * @param primary whether this shard holds the record itself
 * @param shards the shards of the transaction, comma-separated (on the primary only, else "")
 * @param pendingExternals the external participants whose confirm or cancel is still to do, comma-separated ("" for
 *     none; on the primary only)
 * @param externals every external participant the record lists, comma-separated ("" for none; on the primary only)
 */
public record Inspection(
        RecordState state,
        boolean leaseExpired,
        String primaryName,
        boolean primary,
        String shards,
        String pendingExternals,
        String externals) {

    /** @return the decoded reply */
    public static Inspection of(List<Object> reply) {
        return new Inspection(
                RecordState.of(reply.get(0)),
                "1".equals(reply.get(1)),
                (String) reply.get(2),
                "1".equals(reply.get(3)),
                (String) reply.get(4),
                (String) reply.get(5),
                (String) reply.get(6));
    }

    /**
     * @param csv a comma-separated list of names, as {@link #pendingExternals()} and {@link #externals()}
     * @return its names, in order
     */
    public static List<String> names(String csv) {
        return csv.isEmpty() ? List.of() : List.of(csv.split(","));
    }
}
