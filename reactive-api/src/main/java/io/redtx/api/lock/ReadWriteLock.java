package io.redtx.api.lock;

/**
 * A lock with a shared side and an exclusive side on one name: any number of readers hold it together, a writer holds
 * it alone. Waiters are served in order: a reader that asks after a waiting writer waits for that writer (so writers
 * are not starved by a stream of readers). Both sides draw their fencing tokens from the lock's one sequence.
 */
public interface ReadWriteLock {

    /** @return the lock's name */
    String name();

    /** @return the shared side */
    DistributedLock readLock();

    /** @return the exclusive side */
    DistributedLock writeLock();
}
