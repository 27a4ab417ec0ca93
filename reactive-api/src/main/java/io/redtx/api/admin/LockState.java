package io.redtx.api.admin;

import java.util.List;
import java.util.Objects;

/**
 * A distributed lock's state on one participant ({@link io.redtx.api.TransactionRuntime#lock(String)} and its
 * siblings): its holders and the last fencing token it gave. Immutable.
 *
 * @param participant where it is
 * @param kind which kind of lock of that name
 * @param lastToken the last fencing token given (0 if none ever was)
 * @param holders its holders now, leases ended included until the next acquisition removes them
 */
public record LockState(String participant, Kind kind, long lastToken, List<LockHolder> holders) {

    /** Checks the fields; keeps an unmodifiable copy of {@code holders}. */
    public LockState {
        Objects.requireNonNull(participant, "participant");
        Objects.requireNonNull(kind, "kind");
        holders = List.copyOf(holders);
    }

    /** The kinds of distributed lock: each has its own names. */
    public enum Kind {
        /** {@link io.redtx.api.TransactionRuntime#lock(String)} */
        LOCK,
        /** {@link io.redtx.api.TransactionRuntime#readWriteLock} */
        READ_WRITE_LOCK,
        /** {@link io.redtx.api.TransactionRuntime#semaphore} */
        SEMAPHORE
    }
}
