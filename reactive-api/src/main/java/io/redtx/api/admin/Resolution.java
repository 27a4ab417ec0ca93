package io.redtx.api.admin;

import io.redtx.api.TransactionStatus;
import java.util.Objects;

/**
 * What {@link TransactionAdmin#resolve(String, boolean)} did to one transaction. Immutable.
 *
 * @param transactionId the transaction
 * @param action what was done
 * @param status what its status is afterwards ({@link io.redtx.api.TransactionRuntime#status(String)})
 */
public record Resolution(String transactionId, Action action, TransactionStatus status) {

    /** Checks the fields. */
    public Resolution {
        Objects.requireNonNull(transactionId, "transactionId");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(status, "status");
    }

    /** What was done. */
    public enum Action {
        /** Its record said COMMITTED: every intent left was rolled forward. */
        ROLLED_FORWARD,
        /** Its record was not COMMITTED: the primary got (or kept) its ABORTED tombstone, every intent was removed. */
        ROLLED_BACK,
        /** Nothing: a lease still runs and {@code force} was not given. The transaction may still be live. */
        LEASE_RUNNING,
        /** Nothing left to settle: every participant holds only settled markers of it. */
        ALREADY_SETTLED,
        /** Nothing: no participant holds anything about it (never prepared, or settled past the retention). */
        NOT_FOUND,
        /**
         * Some intents are left: a participant did not answer, the primary is not a participant here, or an external
         * participant's confirm or cancel failed. Trying again (or a recovery pass) finishes it.
         */
        LEFT
    }
}
