package io.redtx.api.saga;

import java.util.Map;

/**
 * What a step (or compensation) of a running saga is told: which saga, which step, which attempt, and the saga's
 * input. Immutable.
 *
 * @param sagaId the saga's id, as given to {@link Saga#start}
 * @param sagaName its definition's name
 * @param stepIndex the step's position in the definition, from 0
 * @param stepName the step's name
 * @param compensating true in a compensation, false in the step's own work
 * @param attempt the attempt, from 1 (counted by this runner: a saga resumed elsewhere counts again)
 * @param input the input the saga was started with, unmodifiable
 */
public record SagaContext(
        String sagaId,
        String sagaName,
        int stepIndex,
        String stepName,
        boolean compensating,
        int attempt,
        Map<String, String> input) {

    /** Makes the input an unmodifiable copy. */
    public SagaContext {
        input = Map.copyOf(input);
    }

    /**
     * @return the same for every run of this step of this saga (attempts, runners, recovery): {@code <sagaId>/<step
     *     index>}, for an external system to recognise a repeated call; a compensation gets the step's key, and tells
     *     itself apart by {@link #compensating()}
     */
    public String idempotencyKey() {
        return sagaId + "/" + stepIndex;
    }
}
