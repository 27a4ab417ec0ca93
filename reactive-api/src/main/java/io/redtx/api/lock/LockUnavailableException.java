package io.redtx.api.lock;

import io.redtx.api.Durations;
import io.redtx.api.RedtxTransientException;
import java.time.Duration;

/** A lock was not granted within its wait time: others held it. Nothing is held; trying again later may succeed. */
public final class LockUnavailableException extends RedtxTransientException {

    private static final long serialVersionUID = 1L;

    private final String lock;
    private final String participant;
    private final Duration waited;

    /**
     * @param lock the lock's name
     * @param participant where it is held
     * @param waited the wait time it was given
     */
    public LockUnavailableException(String lock, String participant, Duration waited) {
        super(
                "lock '" + lock + "' on participant '" + participant + "' was not granted within "
                        + Durations.text(waited),
                null,
                null);
        this.lock = lock;
        this.participant = participant;
        this.waited = waited;
    }

    /** @return the lock's name */
    public String lock() {
        return lock;
    }

    /** @return where it is held */
    public String participant() {
        return participant;
    }

    /** @return the wait time it was given */
    public Duration waited() {
        return waited;
    }
}
