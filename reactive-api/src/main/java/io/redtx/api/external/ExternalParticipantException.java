package io.redtx.api.external;

import io.redtx.api.RedtxNonTransientException;

/**
 * An external participant did not reserve what the transaction asked of it: its {@link
 * ExternalParticipant#tryReserve} failed (the cause) or did not complete within the prepare timeout. The transaction
 * was rolled back: nothing of it was applied, and every external participant it joined is cancelled (by recovery if
 * not at once). Not retried by the runtime: whether asking again can succeed is the participant's business.
 */
public final class ExternalParticipantException extends RedtxNonTransientException {

    private static final long serialVersionUID = 1L;

    private final String participant;

    /**
     * @param transactionId the attempt
     * @param participant the external participant's name
     * @param message what happened
     * @param cause the participant's error, or null for a timeout
     */
    public ExternalParticipantException(String transactionId, String participant, String message, Throwable cause) {
        super(message, transactionId, cause);
        this.participant = participant;
    }

    /** @return the external participant's name */
    public String participant() {
        return participant;
    }
}
