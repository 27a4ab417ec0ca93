package io.redtx.runtime.internal.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;

/** The attempt's transitions: each from one state only, states only move forward, a race has exactly one winner. */
class AttemptStateTest {

    @Test
    void aCommitThatPassesItsCommitPointCannotBeAbortedOrRolledBack() {
        AttemptState s = new AttemptState();
        assertThat(s.isActive()).isTrue();
        assertThat(s.markCommitting()).isTrue();
        assertThat(s.markCommitting()).isFalse();
        assertThat(s.markRolledBackBeforeCommit()).isFalse();
        assertThat(s.keepsLeases()).isTrue();
        assertThat(s.markPastCommitPoint()).isTrue();
        assertThat(s.keepsLeases()).isTrue();
        assertThat(s.markAborting()).isFalse();
        assertThat(s.markRolledBack()).isFalse();
        assertThat(s.isPastCommitPoint()).isTrue();
        assertThat(s.describe()).isEqualTo("committed (or past its commit point)");
    }

    @Test
    void aCommitPointThatDidNotCommitRollsBack() {
        AttemptState s = new AttemptState();
        s.markCommitting();
        s.markPastCommitPoint();
        assertThat(s.markCommitPointFailed()).isTrue();
        assertThat(s.keepsLeases()).isFalse();
        assertThat(s.markPastCommitPoint()).isFalse();
        assertThat(s.markRolledBack()).isTrue();
        assertThat(s.isRolledBack()).isTrue();
        assertThat(s.markOnePhaseFailed()).isFalse();
    }

    @Test
    void aRolledBackAttemptNeverCommits() {
        AttemptState s = new AttemptState();
        assertThat(s.markRolledBackBeforeCommit()).isTrue();
        assertThat(s.markCommitting()).isFalse();
        assertThat(s.markPastCommitPoint()).isFalse();
        assertThat(s.describe()).isEqualTo("rolled back");
    }

    /** A cancel racing the commit point on two threads: one wins, the other learns it lost. */
    @Test
    void aCancelRacingTheCommitPointHasExactlyOneWinner() throws Exception {
        int abortsWon = 0;
        int commitsWon = 0;
        for (int i = 0; i < 2_000; i++) {
            AttemptState s = new AttemptState();
            s.markCommitting();
            CyclicBarrier start = new CyclicBarrier(2);
            CompletableFuture<Boolean> abort = CompletableFuture.supplyAsync(() -> {
                await(start);
                return s.markAborting();
            });
            boolean committed = await(start) && s.markPastCommitPoint();
            boolean aborted = abort.get();
            assertThat(committed ^ aborted)
                    .as("exactly one winner in round %d", i)
                    .isTrue();
            abortsWon += aborted ? 1 : 0;
            commitsWon += committed ? 1 : 0;
        }
        System.out.printf("cancel vs commit point: %d cancels won, %d commit points won%n", abortsWon, commitsWon);
    }

    private static boolean await(CyclicBarrier barrier) {
        try {
            barrier.await();
            return true;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
