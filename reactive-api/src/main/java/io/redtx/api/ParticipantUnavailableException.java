package io.redtx.api;

/**
 * A participant could not serve the transaction before its commit point: it could not be reached (connection refused,
 * closed, reset), was not ready yet (loading its data after a restart, busy, its cluster down), or a Redis Cluster slot
 * the transaction needs was being resharded for longer than the step's timeout. Nothing of the transaction attempt is
 * applied; a later attempt may succeed.
 */
public final class ParticipantUnavailableException extends RedtxTransientException {

    private static final long serialVersionUID = 1L;

    /** The participant that could not be reached. */
    private final String participant;

    /**
     * @param transactionId the attempt concerned, or {@code null}
     * @param participant the participant that could not be reached
     * @param cause the connection failure
     */
    public ParticipantUnavailableException(String transactionId, String participant, Throwable cause) {
        super(
                "Participant '" + participant + "' is unavailable"
                        + (transactionId == null ? "" : " (transaction " + transactionId + ")")
                        + (cause == null ? "" : ": " + cause.getMessage()),
                transactionId,
                cause);
        this.participant = participant;
    }

    /** @return the participant that could not be reached */
    public String participant() {
        return participant;
    }
}
