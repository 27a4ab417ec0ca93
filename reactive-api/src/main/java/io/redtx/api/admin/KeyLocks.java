package io.redtx.api.admin;

import java.util.List;
import java.util.Objects;

/**
 * What holds a name on every participant: the distributed locks of that name and the transactions' lock entries on
 * the key of that name. Immutable.
 *
 * @param key the key (and lock name) asked about
 * @param locks the distributed locks of that name that exist (held, or having given a token), per participant and kind
 * @param transactions the transactions whose two-phase commit holds the key, per participant
 */
public record KeyLocks(String key, List<LockState> locks, List<KeyLock> transactions) {

    /** Checks the fields; keeps unmodifiable copies of the lists. */
    public KeyLocks {
        Objects.requireNonNull(key, "key");
        locks = List.copyOf(locks);
        transactions = List.copyOf(transactions);
    }

    /** @return whether nothing holds the name: no lock holder and no transaction's entry */
    public boolean free() {
        return transactions.isEmpty()
                && locks.stream().allMatch(l -> l.holders().isEmpty());
    }
}
