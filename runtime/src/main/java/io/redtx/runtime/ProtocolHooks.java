package io.redtx.runtime;

import reactor.core.publisher.Mono;

/**
 * Test-only injection points between the steps of a multi-shard commit. A hook may delay the step after it (to
 * cancel or pause something at an exact moment) or fail it. Production runtimes use {@link #NONE}.
 */
@FunctionalInterface
interface ProtocolHooks {

    /** The points a hook can stop at. */
    enum Step {
        BEFORE_PREPARE,
        AFTER_PREPARE,
        AFTER_COMMIT_POINT
    }

    ProtocolHooks NONE = (step, transactionId) -> Mono.empty();

    /**
     * @param step the point reached
     * @param transactionId the attempt
     * @return completes when the protocol may go on
     */
    Mono<Void> at(Step step, String transactionId);
}
