package io.redtx.api;

import java.time.Duration;

/**
 * How many replicas must hold a participant's writes before redtx acts on them: {@link
 * RuntimeOptions.Builder#replication(String, Replication)}. Replication in Redis is asynchronous, so a write the master
 * acknowledged can be gone after a replica is promoted; for a transaction that breaks atomicity, not only durability (a
 * commit point lost after a secondary rolled forward). With a requirement, every script redtx runs on the participant
 * (but the reads inside a transaction: the commit validates what they read, and waits) is followed, on the same
 * connection, by a write that no transaction's key holds ({@code PUBLISH} on the namespace's barrier channel; on a
 * Cluster, where {@code PUBLISH} is not replicated, a short-lived barrier key in the script's slot, sent to the master
 * of that slot with the script) and {@code WAIT replicas timeout}: its answer is used only once that many replicas hold everything the master held
 * when the script ran (what it wrote, and what it read). A step that a later step relies on (a prepare, the commit
 * point, an abort's tombstone, the record recovery reads) is therefore never acted upon before it is replicated.
 *
 * <p>A shortfall (fewer replicas answered within {@code timeout}) fails the step as one whose effect is unknown: before
 * the commit point the transaction aborts; at or after it the outcome is unknown
 * ({@link TransactionOutcomeUnknownException}) and recovery finishes it once the replicas catch up. Immutable.
 *
 * @param replicas how many replicas must acknowledge; 0 for none (the default: no {@code WAIT})
 * @param timeout how long {@code WAIT} may take; {@link Duration#ZERO} when {@code replicas} is 0
 */
public record Replication(int replicas, Duration timeout) {

    /** No requirement: replies are used as the master gives them (the default). */
    public static final Replication NONE = new Replication(0, Duration.ZERO);

    /** The most replicas a requirement may name. */
    public static final int MAX_REPLICAS = 64;

    /** Checks the fields. */
    public Replication {
        if (timeout == null) {
            throw new IllegalArgumentException("replication timeout must not be null");
        }
        if (replicas < 0 || replicas > MAX_REPLICAS) {
            throw new IllegalArgumentException(
                    "replication replicas must be between 0 and " + MAX_REPLICAS + ", was " + replicas);
        }
        if (replicas == 0 && !timeout.isZero()) {
            throw new IllegalArgumentException("replication without replicas takes no timeout, was " + timeout);
        }
        if (replicas > 0 && timeout.toMillis() < 1) {
            throw new IllegalArgumentException(
                    "replication timeout must be at least 1 ms (WAIT counts milliseconds), was " + timeout);
        }
    }

    /**
     * @param replicas at least 1
     * @param timeout at least 1 ms: how long to wait for their acknowledgements
     * @return the requirement that {@code replicas} replicas hold every step before it is acted upon
     * @throws IllegalArgumentException for a count below 1 or above {@link #MAX_REPLICAS}, or a timeout below 1 ms
     */
    public static Replication acknowledgedBy(int replicas, Duration timeout) {
        if (replicas < 1) {
            throw new IllegalArgumentException("replication replicas must be at least 1, was " + replicas);
        }
        return new Replication(replicas, timeout);
    }

    /** @return whether replicas must acknowledge ({@code replicas > 0}) */
    public boolean required() {
        return replicas > 0;
    }

    @Override
    public String toString() {
        return required()
                ? "Replication{" + replicas + " within " + Durations.text(timeout) + "}"
                : "Replication{none}";
    }
}
