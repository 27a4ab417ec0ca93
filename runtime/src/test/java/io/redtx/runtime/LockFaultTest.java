package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.ParticipantUnavailableException;
import io.redtx.api.lock.DistributedLock;
import io.redtx.api.lock.LockLease;
import io.redtx.api.lock.LockOptions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/**
 * Locks while their participant does not answer (a paused server): a waiter gets a typed error, a holder's lease is
 * lost once a whole lease passed without a renewal, and nothing stays held that the lease does not free.
 */
class LockFaultTest extends ThreeParticipantsTestBase {

    private static final Duration COMMAND = Duration.ofMillis(150);

    /**
     * Commands give up after 150 ms, and connections made while the server is paused after 1 s (longer: a first
     * connection loads the scripts, which on a loaded machine can take a few hundred ms).
     */
    private RedisTransactionRuntime quick() {
        return runtime(o -> o.timeouts(t -> t.commit(COMMAND).read(COMMAND).connect(Duration.ofSeconds(1))));
    }

    @Test
    void aWaiterWhoseParticipantStopsAnsweringFailsWithParticipantUnavailable() {
        RedisTransactionRuntime rt = quick();
        LockOptions options = LockOptions.builder()
                .participant("a")
                .waitTime(Duration.ofSeconds(10))
                .build();
        DistributedLock lock = rt.lock("down", options);
        LockLease holder = lock.acquire().block(Duration.ofSeconds(5));
        try {
            StepVerifier.create(lock.acquire())
                    .expectSubscription()
                    .then(a::pause) // the waiter's next ask (within the 1 s fallback) gets no reply
                    .expectError(ParticipantUnavailableException.class)
                    .verify(Duration.ofSeconds(5));
        } finally {
            a.resume();
        }
        holder.release().block(Duration.ofSeconds(5));
    }

    @Test
    void aHolderThatCannotRenewLosesItsLeaseAndTheLockIsFreeOnceItEnds() {
        RedisTransactionRuntime rt = quick();
        Duration lease = Duration.ofMillis(600);
        LockOptions options = LockOptions.builder()
                .participant("b")
                .lease(lease)
                .waitTime(Duration.ofSeconds(5))
                .build();
        LockLease held = rt.lock("unrenewed", options).acquire().block(Duration.ofSeconds(5));
        long pausedAt = System.nanoTime();
        b.pause();
        try {
            StepVerifier.create(held.lost()).expectComplete().verify(Duration.ofSeconds(5));
            long ms = (System.nanoTime() - pausedAt) / 1_000_000;
            System.out.printf(
                    "a holder cut off from its participant knew its lease lost after %d ms (lease 600)%n", ms);
            assertThat(held.isHeld()).isFalse();
        } finally {
            b.resume();
        }
        // The server's lease has ended too: the next holder is granted at once, with a greater token.
        LockLease next = rt.lock(
                        "unrenewed", options.mutate().waitTime(Duration.ZERO).build())
                .acquire()
                .block(Duration.ofSeconds(5));
        assertThat(next.token()).isGreaterThan(held.token());
        next.release().block(Duration.ofSeconds(5));
    }
}
