package io.redtx.api.admin;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * One transaction's intent on one shard, as an operator sees it. Immutable.
 *
 * @param transactionId the transaction (attempt) id
 * @param participant the participant holding the intent
 * @param shard the shard holding it: the participant's name, or {@code <participant>@<slot>} on a Cluster
 * @param state its state there
 * @param primary whether this shard holds the transaction's record
 * @param primaryShard the shard holding the record, as the intent names it (empty for a read-only transaction)
 * @param age how long ago it was prepared, on the shard's clock ({@link Duration#ZERO} if not known)
 * @param leaseRemaining how long its lease still runs, on the shard's clock; zero or negative once it has expired (a
 *     resolver may then settle it)
 * @param keys the user keys it covers: those it locked (read or written) and those it writes, sorted, each once
 */
public record Intent(
        String transactionId,
        String participant,
        String shard,
        IntentState state,
        boolean primary,
        String primaryShard,
        Duration age,
        Duration leaseRemaining,
        List<String> keys) {

    /** Checks the fields; keeps an unmodifiable copy of {@code keys}. */
    public Intent {
        Objects.requireNonNull(transactionId, "transactionId");
        Objects.requireNonNull(participant, "participant");
        Objects.requireNonNull(shard, "shard");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(primaryShard, "primaryShard");
        Objects.requireNonNull(age, "age");
        Objects.requireNonNull(leaseRemaining, "leaseRemaining");
        keys = List.copyOf(keys);
    }

    /** @return whether the lease has expired on the shard's clock: a resolver may settle the intent */
    public boolean leaseExpired() {
        return leaseRemaining.isNegative() || leaseRemaining.isZero();
    }
}
