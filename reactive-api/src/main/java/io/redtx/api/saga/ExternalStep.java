package io.redtx.api.saga;

import reactor.core.publisher.Mono;

/**
 * The work of an external step, or of its compensation: a call to something outside redtx (a payment service, a
 * mail server). It may run more than once for one saga step (a retry, a runner that died after the call and before
 * recording it), so it must be idempotent: {@link SagaContext#idempotencyKey()} is the same for every run of one step
 * of one saga. A compensation may also run for an action that failed or never took effect, and must accept that.
 */
@FunctionalInterface
public interface ExternalStep {

    /**
     * @param context the saga, the step and the attempt
     * @return lazy; completes (with any value or none) when the work is done, an error when it failed
     */
    Mono<?> apply(SagaContext context);
}
