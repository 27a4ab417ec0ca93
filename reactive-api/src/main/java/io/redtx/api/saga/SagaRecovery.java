package io.redtx.api.saga;

/** What a saga does when a step fails for good (its attempts ran out, or it timed out on every attempt). */
public enum SagaRecovery {
    /**
     * Compensate backward: run the compensations of the steps that took effect, in reverse order, and end
     * {@link SagaOutcome.Status#COMPENSATED}. The default.
     */
    BACKWARD,
    /**
     * Retry forward: the saga stays at the failed step, is reported {@link SagaOutcome.Status#FAILED} and kept, and
     * every recovery pass tries that step (then the rest) again until it succeeds. Compensations never run.
     */
    FORWARD
}
