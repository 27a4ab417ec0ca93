package io.redtx.api.saga;

import io.redtx.api.RedtxNonTransientException;
import java.util.Optional;

/**
 * A saga definition that cannot work, refused when it is built or registered: a duplicate step name, an external
 * step without the compensation a later failure would need, a saga name registered twice, a bad name. The message
 * names the saga and the step.
 */
public final class SagaDefinitionException extends RedtxNonTransientException {

    private static final long serialVersionUID = 1L;

    private final String sagaName;
    private final String stepName;

    /**
     * @param sagaName the saga's name
     * @param stepName the step at fault, or null when the saga as a whole is
     * @param message what is wrong
     */
    public SagaDefinitionException(String sagaName, String stepName, String message) {
        super(
                "saga '" + sagaName + "'" + (stepName == null ? "" : ", step '" + stepName + "'") + ": " + message,
                null,
                null);
        this.sagaName = sagaName;
        this.stepName = stepName;
    }

    /** @return the saga's name */
    public String sagaName() {
        return sagaName;
    }

    /** @return the step at fault; empty when the saga as a whole is */
    public Optional<String> stepName() {
        return Optional.ofNullable(stepName);
    }
}
