package io.redtx.api;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What a successful commit did.
 *
 * @param transactionId the id of the attempt that committed
 * @param shards the participants the commit touched (their names, sorted; a Redis Cluster participant once, however
 *     many of its slots, which are its shards, the commit touched)
 * @param protocol one-phase, two-phase, or none
 * @param attempts how many attempts were made, the committed one included (1 without retries)
 * @param prepare time spent preparing every shard ({@link Duration#ZERO} for one-phase)
 * @param commitPoint time of the one-phase script or of the commit point on the primary
 * @param secondaries time spent rolling secondaries forward, or releasing the read locks of a read-only multi-shard
 *     transaction (which has no commit point); {@link Duration#ZERO} for one-phase
 * @param secondariesSettled {@code false} if some secondary could not be rolled forward now; the outcome is fixed all
 *     the same (committed) and recovery rolls it forward
 */
public record CommitResult(
        String transactionId,
        List<String> shards,
        CommitProtocol protocol,
        int attempts,
        Duration prepare,
        Duration commitPoint,
        Duration secondaries,
        boolean secondariesSettled) {

    /**
     * Validates and copies the fields.
     *
     * @param transactionId the id of the attempt that committed
     * @param shards the participants the commit touched, copied
     * @param protocol one-phase, two-phase, or none
     * @param attempts how many attempts were made, the committed one included
     * @param prepare time spent preparing every shard
     * @param commitPoint time of the one-phase script or of the commit point
     * @param secondaries time spent rolling secondaries forward or releasing read locks
     * @param secondariesSettled {@code false} if some secondary is left for recovery to roll forward
     */
    public CommitResult {
        Objects.requireNonNull(transactionId, "transactionId");
        shards = List.copyOf(shards);
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(prepare, "prepare");
        Objects.requireNonNull(commitPoint, "commitPoint");
        Objects.requireNonNull(secondaries, "secondaries");
    }

    /**
     * @param newAttempts the attempt count to report
     * @return a copy with {@code attempts} replaced
     */
    public CommitResult withAttempts(int newAttempts) {
        return new CommitResult(
                transactionId, shards, protocol, newAttempts, prepare, commitPoint, secondaries, secondariesSettled);
    }
}
