package io.redtx.runtime.internal.redis;

import java.util.List;

/**
 * What {@code abort.lua} answers (its header is the contract: {@code {'A'[, pending external participants]} | {'C'} |
 * {'LIVE'}}), decoded once.
 */
public enum AbortReply {
    /** Aborted there now (or before). */
    ABORTED,
    /** Committed there: never aborted over. */
    COMMITTED,
    /** Only with onlyIfExpired: prepared, and its lease still runs on that shard's clock; left alone. */
    LIVE;

    /**
     * @param reply the script's reply
     * @return it decoded
     * @throws IllegalStateException for a reply the script does not give
     */
    public static AbortReply of(List<Object> reply) {
        Object first = reply.get(0);
        if ("A".equals(first)) {
            return ABORTED;
        }
        if ("C".equals(first)) {
            return COMMITTED;
        }
        if ("LIVE".equals(first)) {
            return LIVE;
        }
        throw new IllegalStateException("unexpected abort.lua reply " + reply);
    }

    /**
     * @param reply the script's reply
     * @return the external participants the aborted record still needs cancelled, comma-separated; "" for none
     */
    public static String pendingExternals(List<Object> reply) {
        return reply.size() > 1 ? String.valueOf(reply.get(1)) : "";
    }
}
