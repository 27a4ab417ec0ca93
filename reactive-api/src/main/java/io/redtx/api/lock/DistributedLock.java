package io.redtx.api.lock;

import java.util.function.Function;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A lock held on one participant, acquired by waiting without blocking a thread: an exclusive lock
 * ({@link io.redtx.api.TransactionRuntime#lock}), one side of a {@link ReadWriteLock}, or a semaphore's permits
 * ({@link io.redtx.api.TransactionRuntime#semaphore}). Making one does nothing; each subscription to
 * {@link #acquire()} is a new acquisition.
 *
 * <p>Waiters are served in the order they first asked, so a steady stream of new acquirers cannot starve an old
 * waiter. A waiter is woken when the lock is released (a Pub/Sub message from the participant), and otherwise retries
 * when the holder's lease would run out, or after a short fallback period.
 *
 * <p>Not reentrant: an acquisition by a holder that already holds it waits like any other (a reactive pipeline has no
 * thread to tie ownership to). Pass the {@link LockLease} along instead.
 */
public interface DistributedLock {

    /** @return the lock's name */
    String name();

    /**
     * Acquires the lock, waiting at most {@link LockOptions#waitTime()}. Lazy: each subscription is a new acquisition.
     * Cancelling while waiting leaves the queue; cancelling after the lease was granted (a race with the grant)
     * releases it.
     *
     * @return the lease once held; {@link LockUnavailableException} if it was not granted within the wait time;
     *     {@link io.redtx.api.ParticipantUnavailableException} if its participant could not be reached
     */
    Mono<LockLease> acquire();

    /**
     * Runs {@code work} while holding the lock: acquires, runs it to its end, and releases on completion, error and
     * cancellation (as {@code Flux.usingWhen}). The release after an error or cancellation is not awaited by the
     * error; a lease that was lost meanwhile fails with {@link LockLostException} once the work completed.
     *
     * @param work what to do while holding it; given the lease (for its token, or for
     *     {@link io.redtx.api.Transaction#requireLock})
     * @param <T> the values' type
     * @return the values of {@code work}
     */
    <T> Flux<T> withLock(Function<? super LockLease, ? extends Publisher<T>> work);
}
