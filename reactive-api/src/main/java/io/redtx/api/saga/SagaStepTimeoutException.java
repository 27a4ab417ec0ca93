package io.redtx.api.saga;

import io.redtx.api.Durations;
import io.redtx.api.RedtxNonTransientException;
import java.time.Duration;

/**
 * One attempt of a saga step or compensation ran past its {@link SagaStep#timeout()}. The attempt was cancelled: a
 * transaction step's transaction rolled back unless it had passed its commit point (then its progress was recorded
 * with it, and the saga goes on from the record); an external action may still have taken effect.
 */
public final class SagaStepTimeoutException extends RedtxNonTransientException {

    private static final long serialVersionUID = 1L;

    private final String sagaId;
    private final String stepName;
    private final Duration timeout;

    /**
     * @param sagaId the saga
     * @param stepName the step
     * @param compensating whether its compensation timed out rather than its work
     * @param timeout the limit it ran past
     */
    public SagaStepTimeoutException(String sagaId, String stepName, boolean compensating, Duration timeout) {
        super(
                "saga " + sagaId + ": " + (compensating ? "compensation of step '" : "step '") + stepName
                        + "' did not finish within its timeout of " + Durations.text(timeout),
                null,
                null);
        this.sagaId = sagaId;
        this.stepName = stepName;
        this.timeout = timeout;
    }

    /** @return the saga's id */
    public String sagaId() {
        return sagaId;
    }

    /** @return the step that timed out */
    public String stepName() {
        return stepName;
    }

    /** @return the configured limit */
    public Duration timeout() {
        return timeout;
    }
}
