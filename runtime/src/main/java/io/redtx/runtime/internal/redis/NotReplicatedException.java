package io.redtx.runtime.internal.redis;

import io.redtx.api.Durations;
import io.redtx.api.Replication;

/**
 * Fewer replicas than a participant's {@link Replication} requires acknowledged a step within its timeout. The step
 * itself ran on the master and stands there: whoever gets this treats it as a reply that never came (its effect is
 * unknown), never as a refusal.
 */
public final class NotReplicatedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    NotReplicatedException(String participant, Replication required, long acknowledged) {
        super("only " + acknowledged + " of the " + required.replicas() + " replica(s) of participant '" + participant
                + "' acknowledged a step within " + Durations.text(required.timeout()) + " (replication)");
    }

    NotReplicatedException(String participant, Replication required, Throwable waitFailed) {
        super(
                "the replicas of participant '" + participant + "' could not be asked to acknowledge a step ("
                        + required.replicas() + " required, replication): " + waitFailed,
                waitFailed);
    }
}
