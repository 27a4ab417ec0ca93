package io.redtx.api;

import java.time.Duration;

/**
 * A phase did not finish within its configured time <em>before</em> the commit point: the transaction was rolled
 * back and nothing of it is applied. (A timeout whose effect is unknown is reported as
 * {@link TransactionOutcomeUnknownException} instead.)
 */
public final class TransactionTimeoutException extends RedtxTransientException {

    private static final long serialVersionUID = 1L;

    /** The phase that timed out. */
    private final TransactionPhase phase;

    /** The configured limit of that phase. */
    private final Duration timeout;

    /**
     * @param transactionId the attempt that timed out, or {@code null} for none (a connection made by
     *     {@link TransactionRuntime#verify()})
     * @param phase the phase that timed out
     * @param timeout the configured limit of that phase
     * @param participant the participant that did not answer in time, or {@code null} for the whole transaction
     */
    public TransactionTimeoutException(
            String transactionId, TransactionPhase phase, Duration timeout, String participant) {
        super(
                (transactionId == null ? "Timed out" : "Transaction " + transactionId + " timed out") + " in phase "
                        + phase + " after " + Durations.text(timeout)
                        + (participant == null ? "" : " waiting for participant '" + participant + "'")
                        + (transactionId == null ? "" : "; it was rolled back"),
                transactionId,
                null);
        this.phase = phase;
        this.timeout = timeout;
    }

    /** @return the phase that timed out */
    public TransactionPhase phase() {
        return phase;
    }

    /** @return the configured limit that was exceeded */
    public Duration timeout() {
        return timeout;
    }
}
