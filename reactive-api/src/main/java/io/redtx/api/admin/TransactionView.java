package io.redtx.api.admin;

import io.redtx.api.TransactionDetails;
import java.util.List;
import java.util.Objects;

/**
 * One transaction as an operator sees it: what {@link io.redtx.api.TransactionRuntime#details(String)} answers, and
 * the intents (or settled markers) each shard holds for it, with the keys they cover. Immutable.
 *
 * @param details its status, primary and external participants
 * @param intents what each shard holds for it, in participant order; a settled marker has no keys (its intent was
 *     removed when it settled)
 */
public record TransactionView(TransactionDetails details, List<Intent> intents) {

    /** Checks the fields; keeps an unmodifiable copy of {@code intents}. */
    public TransactionView {
        Objects.requireNonNull(details, "details");
        intents = List.copyOf(intents);
    }
}
