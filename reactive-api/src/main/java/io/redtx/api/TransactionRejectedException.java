package io.redtx.api;

/**
 * The runtime refused to start a transaction because {@link AdmissionOptions#maxInFlight()} transactions were already
 * running (overload): nothing was read or written. A web service maps it to HTTP 503; trying again later may succeed.
 */
public final class TransactionRejectedException extends RedtxTransientException {

    private static final long serialVersionUID = 1L;

    /** Why the transaction was not admitted. */
    public enum Reason {
        /** The limit was reached and {@link AdmissionOptions.Overflow#REJECT} refuses at once. */
        LIMIT_REACHED,
        /** {@link AdmissionOptions#maxWaiting()} transactions were already waiting for admission. */
        TOO_MANY_WAITING,
        /** It waited {@link AdmissionOptions#timeout()} without being admitted. */
        WAIT_TIMED_OUT
    }

    /** Why the transaction was not admitted. */
    private final Reason reason;

    /** The runtime's limit of transactions in flight. */
    private final int maxInFlight;

    /**
     * @param reason why
     * @param maxInFlight the runtime's limit
     * @param detail what the limits were, for the message
     */
    public TransactionRejectedException(Reason reason, int maxInFlight, String detail) {
        super("Transaction rejected (" + reason + "): " + detail, null, null);
        this.reason = reason;
        this.maxInFlight = maxInFlight;
    }

    /** @return why it was not admitted */
    public Reason reason() {
        return reason;
    }

    /** @return the runtime's in-flight limit */
    public int maxInFlight() {
        return maxInFlight;
    }
}
