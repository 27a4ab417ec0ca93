package io.redtx.api.lock;

import reactor.core.publisher.Mono;

/**
 * One acquisition of a lock (an exclusive lock, one side of a read/write lock, or one permit of a semaphore): held
 * from the moment {@link DistributedLock#acquire()} emitted it until {@link #release()} or until it is lost. The
 * runtime renews its lease every third of {@link LockOptions#lease()} while it is held.
 *
 * <p>Its {@link #token() fencing token} is strictly greater than the token of every earlier acquisition of the same
 * lock name on its participant. A transaction that {@link io.redtx.api.Transaction#requireLock requires} this lease
 * commits only if the lease is still held, with this token, at its commit.
 */
public interface LockLease {

    /** @return the lock's name */
    String name();

    /** @return the participant that holds the lock */
    String participant();

    /** @return this acquisition's fencing token: positive, increasing per lock name */
    long token();

    /**
     * @return true until released or lost. A lease reported lost is never reported held again; a lease may be lost
     *     on the server a moment before this says so (a paused process cannot know), which is what
     *     {@link io.redtx.api.Transaction#requireLock} and fencing tokens guard against
     */
    boolean isHeld();

    /**
     * Completes (empty) once the lease is lost: a renewal found it gone (its lease ran out and another holder may have
     * it), or renewals failed until the lease ran out by the runtime's clock. Never completes if the lease is released
     * first. Use it to stop work that must not go on without the lock ({@code work.takeUntilOther(lease.lost())}).
     *
     * @return a signal of the loss
     */
    Mono<Void> lost();

    /**
     * Releases the lease and wakes the next waiter; renewals stop. Lazy. Releasing again is harmless: a later release
     * completes as the first did.
     *
     * @return completes once released; {@link LockLostException} if the lease had been lost meanwhile (there was
     *     nothing held to release); {@link io.redtx.api.ParticipantUnavailableException} if the participant could not
     *     be reached (the lease then runs out by itself)
     */
    Mono<Void> release();
}
