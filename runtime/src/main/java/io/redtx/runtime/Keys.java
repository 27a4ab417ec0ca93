package io.redtx.runtime;

/**
 * Names of redtx's own keys, all under the configured namespace. A lock key carries its user key's hash tag (or
 * wraps the whole user key in one), so in Redis Cluster it lands in the same slot as the key it guards.
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
        return lockPrefix + (hasHashTag(userKey) ? userKey : "{" + userKey + "}");
    }

    String txKey(String transactionId) {
        return txPrefix + transactionId;
    }

    String indexKey() {
        return indexKey;
    }

    /** Redis Cluster's rule: the first '{' followed, later, by a '}' with at least one character between. */
    static boolean hasHashTag(String key) {
        int open = key.indexOf('{');
        if (open < 0) {
            return false;
        }
        int close = key.indexOf('}', open + 1);
        return close > open + 1;
    }
}
