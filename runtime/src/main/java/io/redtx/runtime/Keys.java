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

    Keys(String namespace) {
        this.namespace = namespace;
        this.lockPrefix = namespace + "lk:";
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

    /**
     * @param slot a Cluster slot, or -1 for a standalone or Sentinel participant (one shard, no slot)
     * @return what a transaction id is appended to, for the key of its record or intent on that shard: {@code tx:}, or
     *     {@code tx:{<slot tag>}} in the slot
     */
    String txPrefix(int slot) {
        return namespace + "tx:" + slotTag(slot);
    }

    /** @return the key of a shard's intent index (see {@link #txPrefix}): {@code idx}, or {@code idx:{<slot tag>}} */
    String indexKey(int slot) {
        return namespace + (slot < 0 ? "idx" : "idx:" + slotTag(slot));
    }

    /**
     * A SCAN pattern for the keys of {@link #txPrefix} or {@link #indexKey} in every slot of a Cluster.
     *
     * @param kind {@code "tx:"} or {@code "idx:"}
     * @param suffix what follows the slot tag: a transaction id, or nothing
     */
    String slotKeyPattern(String kind, String suffix) {
        return glob(namespace + kind) + "{*}" + glob(suffix);
    }

    private static String slotTag(int slot) {
        return slot < 0 ? "" : "{" + ClusterSlots.tag(slot) + "}";
    }

    /** @return a SCAN pattern for every lock key of the namespace */
    String lockKeyPattern() {
        return glob(lockPrefix) + "*";
    }

    /** Escapes the characters SCAN's MATCH gives a meaning. */
    private static String glob(String text) {
        StringBuilder b = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                b.append('\\');
            }
            b.append(c);
        }
        return b.toString();
    }

    /** Whether Redis Cluster hashes only a tag of the key (a tag is shorter than its key, braces excluded). */
    private static boolean hasHashTag(String key) {
        return ClusterSlots.hashed(key).length() != key.length();
    }
}
