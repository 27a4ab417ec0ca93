package io.redtx.api.lock;

import io.redtx.api.RedtxNonTransientException;

/**
 * A lease was not held where it had to be: at a transaction's commit ({@link io.redtx.api.Transaction#requireLock}),
 * or at its release. Its lease ran out (a paused or partitioned holder) and another holder may have it. The
 * transaction wrote nothing. Retrying with the same lease cannot succeed: acquire the lock again.
 */
public final class LockLostException extends RedtxNonTransientException {

    private static final long serialVersionUID = 1L;

    private final String lock;
    private final String participant;
    private final long token;

    /**
     * @param transactionId the transaction that required it, or null
     * @param lock the lock's name
     * @param participant where it is held
     * @param token the lost lease's token
     * @param detail what found it lost
     */
    public LockLostException(String transactionId, String lock, String participant, long token, String detail) {
        super(
                "lock '" + lock + "' on participant '" + participant + "' is no longer held with token " + token + ": "
                        + detail,
                transactionId,
                null);
        this.lock = lock;
        this.participant = participant;
        this.token = token;
    }

    /** @return the lock's name */
    public String lock() {
        return lock;
    }

    /** @return where it is held */
    public String participant() {
        return participant;
    }

    /** @return the lost lease's token */
    public long token() {
        return token;
    }
}
