package io.redtx.api;

import io.redtx.api.external.ExternalState;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the participants hold about a transaction attempt, in more detail than its {@link TransactionStatus}: which
 * participant holds its record, and where each external (TCC) participant that the record lists is. Read by {@link
 * TransactionRuntime#details(String)}. Immutable.
 *
 * @param transactionId the attempt's id
 * @param status what {@link TransactionRuntime#status(String)} answers for it
 * @param primary the participant whose shard holds the transaction's record; empty when no record or intent was found
 *     (nothing known, a one-phase commit's marker, a record past its retention)
 * @param externals the external participants the record lists, in the record's order, each with its state; empty for a
 *     transaction without external participants, and once the record is gone (after {@link
 *     RecoveryOptions#recordRetention()}, which starts when every participant is done)
 */
public record TransactionDetails(
        String transactionId,
        TransactionStatus status,
        Optional<String> primary,
        Map<String, ExternalState> externals) {

    /** Checks the fields; keeps an unmodifiable copy of {@code externals} in its order. */
    public TransactionDetails {
        Objects.requireNonNull(transactionId, "transactionId");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(primary, "primary");
        externals = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(externals, "externals")));
    }
}
