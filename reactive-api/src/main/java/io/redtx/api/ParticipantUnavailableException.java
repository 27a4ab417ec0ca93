package io.redtx.api;

/**
 * A participant could not be reached (connection refused, closed, reset) before the commit point. Nothing of the
 * transaction attempt is applied.
 */
public final class ParticipantUnavailableException extends RedtxTransientException {

    private static final long serialVersionUID = 1L;

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
