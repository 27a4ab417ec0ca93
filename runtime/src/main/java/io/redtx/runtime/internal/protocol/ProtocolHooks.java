package io.redtx.runtime.internal.protocol;

import reactor.core.publisher.Mono;

/**
 * Test-only injection points between the steps of a multi-shard commit. A hook may delay the step after it (to
 * cancel or pause something at an exact moment) or fail it. A failing hook stops the coordinator there, as if its
 * process had died: the commit fails with {@link Halted} and nothing after that point runs — no rollback, no
 * roll-forward — so only what Redis holds (and the resolvers) can settle the transaction. Commands already sent
 * still arrive. Production runtimes use {@link #NONE}.
 */
@FunctionalInterface
public interface ProtocolHooks {

    /** The points a hook can stop at, in protocol order. */
    enum Step {
        /** Before any prepare is sent. */
        BEFORE_PREPARE,
        /**
         * Before one shard's prepare is sent; {@link Point#sent()} prepares were sent before it. Stopping here with
         * {@code sent = k} leaves the coordinator dead after k of n prepares.
         */
        PREPARE_SHARD,
        /** Every shard answered its prepare; the commit point is next. */
        AFTER_PREPARE,
        /** The primary's record is COMMITTED; no secondary was rolled forward yet. */
        AFTER_COMMIT_POINT,
        /**
         * Before one secondary's roll-forward is sent; {@link Point#sent()} were sent before it. Stopping here with
         * {@code sent > 0} leaves the coordinator dead during the secondaries.
         */
        COMMIT_SECONDARY
    }

    /**
     * Where a commit is.
     *
     * @param step the point reached
     * @param transactionId the attempt
     * @param sent for the per-shard steps, how many of the same commands this attempt sent before; else 0
     * @param of for the per-shard steps, how many it sends in all (shards, or secondaries); else the shard count
     */
    record Point(Step step, String transactionId, int sent, int of) {}

    /** What a commit fails with when a hook stopped its coordinator. */
    final class Halted extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        /**
         * @param point where the coordinator stopped
         * @param cause what the hook failed with
         */
        public Halted(Point point, Throwable cause) {
            super(
                    "coordinator of " + point.transactionId() + " halted by a test hook at " + point.step() + " ("
                            + point.sent() + " of " + point.of() + " sent): " + cause.getMessage(),
                    cause);
        }
    }

    /** No injection: what production runtimes use. */
    ProtocolHooks NONE = point -> Mono.empty();

    /**
     * @param point the point reached
     * @return completes when the protocol may go on; an error halts the coordinator
     */
    Mono<Void> at(Point point);
}
