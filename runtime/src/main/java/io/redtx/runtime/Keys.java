package io.redtx.runtime;

/**
 * Names of redtx's own keys, all under the configured namespace (which holds no '{' or '}').
 *
 * <p>A lock key lands in the same Redis Cluster slot as the key it guards, and no two user keys share one (the first
 * character after {@code lk:} tells the three forms apart):
 *
 * <ul>
 *   <li>{@code lk:{<key>}} for a key with no hash tag and no '}': the whole key is the tag;
 *   <li>{@code lk:=<key>} for a key with a hash tag, which stays the lock's tag;
 *   <li>{@code lk:#{<slot tag>}<key>} for a key holding a '}' but no hash tag, which no wrapping keeps whole: a short
 *       tag of the key's slot ({@link ClusterSlots#tag}).
 * </ul>
 */
final class Keys {

    private final String namespace;
    private final String lockPrefix;
    private final String txPrefix;
    private final String indexKey;

    Keys(String namespace) {
        this.namespace = namespace;
        this.lockPrefix = namespace + "lk:";
        this.txPrefix = namespace + "tx:";
        this.indexKey = namespace + "idx";
    }

    String namespace() {
        return namespace;
    }

    boolean isInternal(String userKey) {
        return userKey.startsWith(namespace);
    }

    String lockKey(String userKey) {
        if (hasHashTag(userKey)) {
            return lockPrefix + "=" + userKey;
        }
        if (userKey.indexOf('}') < 0) {
            return lockPrefix + "{" + userKey + "}";
        }
        return lockPrefix + "#{" + ClusterSlots.tag(ClusterSlots.slot(userKey)) + "}" + userKey;
    }

    String txKey(String transactionId) {
        return txPrefix + transactionId;
    }

    String indexKey() {
        return indexKey;
    }

    /** Whether Redis Cluster hashes only a tag of the key (a tag is shorter than its key, braces excluded). */
    private static boolean hasHashTag(String key) {
        return ClusterSlots.hashed(key).length() != key.length();
    }
}
