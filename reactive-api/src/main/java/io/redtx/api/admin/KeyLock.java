package io.redtx.api.admin;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A transaction's lock entry on a user key: the key is part of that transaction's two-phase commit. Immutable.
 *
 * @param participant where the key is
 * @param shard its shard
 * @param transactionId the transaction owning the entry
 * @param write whether it writes the key ({@code false}: it read it, and the entry guards the read until commit)
 * @param state the owner's intent on that shard; empty when it has none (the entry is stale: the next script that
 *     meets it, or a recovery pass, removes it)
 * @param leaseRemaining how long the owner's lease still runs on the shard's clock (zero when it has no intent)
 */
public record KeyLock(
        String participant,
        String shard,
        String transactionId,
        boolean write,
        Optional<IntentState> state,
        Duration leaseRemaining) {

    /** Checks the fields. */
    public KeyLock {
        Objects.requireNonNull(participant, "participant");
        Objects.requireNonNull(shard, "shard");
        Objects.requireNonNull(transactionId, "transactionId");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(leaseRemaining, "leaseRemaining");
    }
}
