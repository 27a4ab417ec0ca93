package io.redtx.runtime.internal.protocol;

import io.redtx.api.lock.LockLease;
import io.redtx.runtime.internal.redis.Shard;
import java.util.List;

/**
 * One key of a transaction as its commit sees it: where the key lives, and what the scripts check and write there.
 * The transaction handle's buffered state implements it; the protocol's tests give their own.
 */
public interface StagedKey {

    /** @return the shard that holds the key */
    Shard shard();

    /** @return the user's key */
    String key();

    /** @return the key of its lock entries (same shard) */
    String lockKey();

    /** @return whether the commit writes the key (else it only checks what was read) */
    boolean writes();

    /**
     * Appends the key's spec: what was read, to be checked again, and what to write (the format {@code lib.lua}'s
     * header gives).
     *
     * @param specs where to append
     */
    void encode(List<String> specs);

    /** @return whether the commit appends messages to the key, a stream (else it writes a string or hash, or reads) */
    default boolean appends() {
        return false;
    }

    /** @return the lock lease whose holding the commit checks on this key (its holders key), or null */
    default LockLease requiredLease() {
        return null;
    }
}
