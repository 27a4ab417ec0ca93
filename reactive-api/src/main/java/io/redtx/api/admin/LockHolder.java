package io.redtx.api.admin;

import java.time.Duration;
import java.util.Objects;

/**
 * One holder of a distributed lock. Immutable.
 *
 * @param holder the holder's id
 * @param mode {@code x} exclusive lock, {@code r} / {@code w} read or write side of a read/write lock, {@code s} a
 *     semaphore's permit
 * @param token its fencing token
 * @param leaseRemaining how long its lease still runs, on the participant's clock; zero or negative once ended (the
 *     next acquisition removes it)
 */
public record LockHolder(String holder, String mode, long token, Duration leaseRemaining) {

    /** Checks the fields. */
    public LockHolder {
        Objects.requireNonNull(holder, "holder");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(leaseRemaining, "leaseRemaining");
    }
}
