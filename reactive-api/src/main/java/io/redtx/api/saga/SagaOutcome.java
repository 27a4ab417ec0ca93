package io.redtx.api.saga;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** How a saga ended, as its record in Redis says (and, for the runner that saw it, the error itself). Immutable. */
public final class SagaOutcome {

    /** How a saga ended. */
    public enum Status {
        /** Every step took effect. */
        COMPLETED,
        /** A step failed for good and the steps that took effect were compensated, in reverse order. */
        COMPENSATED,
        /**
         * The saga could not finish: a compensation failed for good (backward), or a step did (forward). Its record is
         * kept in Redis and every recovery pass tries again; {@link io.redtx.api.RecoveryReport#sagasFailing()} counts
         * it until then.
         */
        FAILED
    }

    private final String sagaId;
    private final String sagaName;
    private final Status status;
    private final List<String> completedSteps;
    private final List<String> compensatedSteps;
    private final String failedStep;
    private final String cause;
    private final Throwable error;

    /**
     * @param sagaId the saga
     * @param sagaName its definition
     * @param status how it ended
     * @param completedSteps the steps that took effect, in order (compensated ones included)
     * @param compensatedSteps the steps compensated, in the order their compensations ran
     * @param failedStep the step that failed for good, or null
     * @param cause what failed, as recorded (exception type and message), or null
     * @param error the error itself when this runtime saw it, or null
     */
    public SagaOutcome(
            String sagaId,
            String sagaName,
            Status status,
            List<String> completedSteps,
            List<String> compensatedSteps,
            String failedStep,
            String cause,
            Throwable error) {
        this.sagaId = Objects.requireNonNull(sagaId, "sagaId");
        this.sagaName = Objects.requireNonNull(sagaName, "sagaName");
        this.status = Objects.requireNonNull(status, "status");
        this.completedSteps = List.copyOf(completedSteps);
        this.compensatedSteps = List.copyOf(compensatedSteps);
        this.failedStep = failedStep;
        this.cause = cause;
        this.error = error;
    }

    /** @return the saga's id */
    public String sagaId() {
        return sagaId;
    }

    /** @return its definition's name */
    public String sagaName() {
        return sagaName;
    }

    /** @return how it ended */
    public Status status() {
        return status;
    }

    /** @return the steps that took effect, in definition order, including those compensated since */
    public List<String> completedSteps() {
        return completedSteps;
    }

    /** @return the steps compensated, in the order their compensations ran (reverse definition order) */
    public List<String> compensatedSteps() {
        return compensatedSteps;
    }

    /**
     * @return the step whose failure made the saga compensate (or, forward, stop), or the step whose compensation
     *     failed; empty for a completed saga
     */
    public Optional<String> failedStep() {
        return Optional.ofNullable(failedStep);
    }

    /** @return what failed, as the record keeps it (exception type and message); empty for a completed saga */
    public Optional<String> cause() {
        return Optional.ofNullable(cause);
    }

    /**
     * @return the error itself, when the runtime that emits this outcome saw it happen; empty when it learned the
     *     outcome from the record (a joined or recovered saga: see {@link #cause()})
     */
    public Optional<Throwable> error() {
        return Optional.ofNullable(error);
    }

    @Override
    public String toString() {
        return "SagaOutcome{" + sagaId + " (" + sagaName + "), " + status + ", completed=" + completedSteps
                + ", compensated=" + compensatedSteps + (failedStep == null ? "" : ", failedStep=" + failedStep)
                + (cause == null ? "" : ", cause=" + cause) + "}";
    }
}
