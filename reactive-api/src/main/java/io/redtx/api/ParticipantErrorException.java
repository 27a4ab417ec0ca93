package io.redtx.api;

/**
 * A participant answered with an error that retrying cannot fix, for example {@code WRONGTYPE} (a key holds another
 * type than the operation needs), {@code NOPERM} (the ACL user lacks a command) or an out-of-memory refusal. Before
 * the commit point nothing of the transaction is applied.
 */
public final class ParticipantErrorException extends RedtxNonTransientException {

    private static final long serialVersionUID = 1L;

    /** The participant that replied with the error. */
    private final String participant;

    /** The error reply as the participant gave it. */
    private final String reply;

    /**
     * @param transactionId the attempt concerned, or {@code null}
     * @param participant the participant that replied with the error
     * @param message the server's error reply, with the key involved where known
     * @param cause the underlying exception, or {@code null}
     */
    public ParticipantErrorException(String transactionId, String participant, String message, Throwable cause) {
        super("Participant '" + participant + "' replied with an error: " + message, transactionId, cause);
        this.participant = participant;
        this.reply = message;
    }

    /** @return the participant that replied with the error */
    public String participant() {
        return participant;
    }

    /** @return the error as the participant gave it (with the key involved where known) */
    public String reply() {
        return reply;
    }
}
