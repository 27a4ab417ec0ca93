package io.redtx.runtime.internal.redis;

import static io.redtx.api.KeyLayout.glob;

import io.redtx.api.KeyLayout;
import io.redtx.api.RedtxArgumentException;

/**
 * Names of redtx's own keys under the configured namespace: {@link KeyLayout}'s prefixes, with a Cluster slot's tag
 * where a shard is a slot.
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
public final class Keys {

    /** A bucket holds the ids made in the same 2^9 ms (half a second): 10,000 at 20,000 one-phase commits a second. */
    static final int ONE_PHASE_BUCKET_BITS = 9;

    private final KeyLayout layout;
    private final String lockPrefix;

    public Keys(String namespace) {
        this.layout = KeyLayout.of(namespace);
        this.lockPrefix = layout.lockPrefix();
    }

    public String namespace() {
        return layout.namespace();
    }

    public boolean isInternal(String userKey) {
        return userKey.startsWith(layout.namespace());
    }

    /**
     * Refuses a name of the user's (a key, a stream, a lock) that lies inside the namespace, where redtx's own keys
     * are.
     *
     * @param transactionId the attempt concerned, or null
     * @param kind what the name is, for the message ("key", "stream", "lock name")
     * @throws RedtxArgumentException if {@code name} starts with the namespace
     */
    public void refuseInternal(String transactionId, String kind, String name) {
        if (isInternal(name)) {
            throw new RedtxArgumentException(
                    transactionId, kind + " '" + name + "' is inside redtx's internal namespace '" + namespace() + "'");
        }
    }

    public String lockKey(String userKey) {
        return colocated(lockPrefix, userKey);
    }

    /**
     * The user key a lock key guards: {@link #lockKey} read backwards, for operators' views of an intent, which stores
     * its lock keys only.
     *
     * @return the key, or {@code lockKey} itself if it is not one of this namespace's lock keys
     */
    public String userKeyOfLock(String lockKey) {
        if (!lockKey.startsWith(lockPrefix) || lockKey.length() == lockPrefix.length()) {
            return lockKey;
        }
        String rest = lockKey.substring(lockPrefix.length());
        return switch (rest.charAt(0)) {
            case '=' -> rest.substring(1);
            case '{' -> rest.endsWith("}") ? rest.substring(1, rest.length() - 1) : lockKey;
            case '#' -> rest.indexOf('}') > 0 ? rest.substring(rest.indexOf('}') + 1) : lockKey;
            default -> lockKey;
        };
    }

    /** @return {@code prefix} and {@code key} in one key that lands in {@code key}'s Cluster slot (see above) */
    private static String colocated(String prefix, String key) {
        if (hasHashTag(key)) {
            return prefix + "=" + key;
        }
        if (key.indexOf('}') < 0) {
            return prefix + "{" + key + "}";
        }
        return prefix + "#{" + ClusterSlots.tag(ClusterSlots.slot(key)) + "}" + key;
    }

    /**
     * @param kind {@code l} a lock, {@code rw} a read/write lock, {@code s} a semaphore: each kind its own names
     * @param name the lock's name
     * @return the key of its holders; its other keys append to it ({@link #lockSequence} and so on), all in its slot
     */
    public String lockHolders(String kind, String name) {
        return colocated(layout.distributedLockPrefix() + kind + ":", name);
    }

    /** @return the token sequence of the lock whose holders are at {@code holders} */
    public static String lockSequence(String holders) {
        return holders + ":seq";
    }

    /** @return the waiters in line of the lock whose holders are at {@code holders} */
    public static String lockLine(String holders) {
        return holders + ":line";
    }

    /** @return the waiters' deadlines of the lock whose holders are at {@code holders} */
    public static String lockWaiters(String holders) {
        return holders + ":waiters";
    }

    /** @return the key of the newest fencing token seen for {@code resource}, in the resource's Cluster slot */
    public String fenceKey(String resource) {
        return colocated(layout.fencePrefix(), resource);
    }

    /**
     * @return the key marking entry {@code id} of {@code stream} as processed by {@code group}, in the stream's
     *     Cluster slot (so the marker and the acknowledgement commit on one shard)
     */
    public String processedKey(String stream, String group, String id) {
        return colocated(layout.processedPrefix(), stream) + '\0' + group + '\0' + id;
    }

    /**
     * @param slot a Cluster slot, or -1 for a standalone or Sentinel participant (one shard, no slot)
     * @return what a transaction id is appended to, for the key of its record or intent on that shard: {@code tx:}, or
     *     {@code tx:{<slot tag>}} in the slot
     */
    public String txPrefix(int slot) {
        return layout.transactionPrefix() + slotTag(slot);
    }

    /**
     * Where one-phase commits leave their COMMITTED markers: one hash per shard and {@link #ONE_PHASE_BUCKET_BITS
     * bucket} of transaction ids, a field per transaction. A hash per bucket instead of a key per transaction halves
     * what a marker costs Redis (no key and expiry of its own, about 100 bytes instead of 190, measured), and the
     * buckets stay small enough to be freed at once when they expire.
     *
     * @param slot a Cluster slot, or -1 for a standalone or Sentinel participant
     * @param transactionId the id of the one-phase commit
     * @return {@code 1pc:<bucket>}, or {@code 1pc:{<slot tag>}<bucket>} in the slot; null for an id redtx did not make
     */
    public String onePhaseKey(int slot, String transactionId) {
        return onePhaseKey(onePhasePrefix(slot), transactionId);
    }

    /** @return what {@link #onePhaseKey} appends a bucket to on that shard (a {@link Shard} keeps it) */
    String onePhasePrefix(int slot) {
        return layout.onePhasePrefix() + slotTag(slot);
    }

    /** @return {@code prefix} (see {@link #onePhasePrefix}) and the id's bucket, or null for an id redtx did not make */
    static String onePhaseKey(String prefix, String transactionId) {
        String bucket = onePhaseBucket(transactionId);
        return bucket == null ? null : prefix + bucket;
    }

    /**
     * @return the bucket of a transaction id, from the time its id was made (hex millis before the '-'), so that the
     *     commit and a later lookup find the same one whatever their clocks say; null if the id has no such prefix
     */
    public static String onePhaseBucket(String transactionId) {
        int dash = transactionId.indexOf('-');
        if (dash < 1 || dash > 16) {
            return null;
        }
        try {
            return Long.toHexString(Long.parseUnsignedLong(transactionId, 0, dash, 16) >>> ONE_PHASE_BUCKET_BITS);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** @return the key of a shard's intent index (see {@link #txPrefix}): {@code idx}, or {@code idx:{<slot tag>}} */
    public String indexKey(int slot) {
        return slot < 0 ? layout.indexKey() : layout.indexKey() + ":" + slotTag(slot);
    }

    /** @return a SCAN pattern for the keys of transaction {@code id} ({@link #txPrefix}) in every slot of a Cluster */
    public String transactionKeysPattern(String id) {
        return glob(layout.transactionPrefix()) + "{*}" + glob(id);
    }

    /** @return a SCAN pattern for the intent indexes ({@link #indexKey}) of every slot of a Cluster */
    public String indexKeysPattern() {
        return glob(layout.indexKey() + ":") + "{*}";
    }

    /** @return a SCAN pattern for the one-phase markers of {@code bucket} ({@link #onePhaseKey}) in every slot */
    public String onePhaseKeysPattern(String bucket) {
        return glob(layout.onePhasePrefix()) + "{*}" + glob(bucket);
    }

    private static String slotTag(int slot) {
        return slot < 0 ? "" : "{" + ClusterSlots.tag(slot) + "}";
    }

    /** @return the key of saga {@code sagaId}'s record, the id as its hash tag: {@code sg:{<id>}} */
    public String sagaKey(String sagaId) {
        return layout.sagaPrefix() + "{" + sagaId + "}";
    }

    /** @return the key of the lease on saga {@code sagaId}, in its record's Cluster slot: {@code sgl:{<id>}} */
    public String sagaLeaseKey(String sagaId) {
        return layout.sagaLeasePrefix() + "{" + sagaId + "}";
    }

    /** @return the key of a participant's index of unfinished sagas: {@code sgi} */
    public String sagaIndexKey() {
        return layout.sagaIndexKey();
    }

    /** @return a SCAN pattern for every lock key of the namespace */
    String lockKeyPattern() {
        return layout.lockKeyPattern();
    }

    /** Whether Redis Cluster hashes only a tag of the key (a tag is shorter than its key, braces excluded). */
    private static boolean hasHashTag(String key) {
        return ClusterSlots.hashed(key).length() != key.length();
    }
}
