package io.redtx.runtime.internal.lock;

import io.redtx.api.RedtxArgumentException;
import io.redtx.api.lock.DistributedLock;
import io.redtx.api.lock.LockOptions;
import io.redtx.api.lock.ReadWriteLock;
import io.redtx.runtime.internal.protocol.RuntimeContext;
import io.redtx.runtime.internal.redis.ParticipantLink;
import java.time.Duration;

/** Makes the locks of one runtime: checks names and options, and places each lock on its participant. */
public final class Locks {

    /** Longest lock name, in characters. */
    static final int MAX_NAME_LENGTH = 256;
    /**
     * Longest pause of a waiter that heard nothing: a missed release message (no Pub/Sub connection, a reconnect)
     * costs at most this.
     */
    static final Duration FALLBACK = Duration.ofSeconds(1);
    /** How long a waiter keeps its place in line without asking again: a waiter asks at least every FALLBACK. */
    static final Duration WAITER_LEASE = FALLBACK.multipliedBy(3);

    final RuntimeContext ctx;

    public Locks(RuntimeContext ctx) {
        this.ctx = ctx;
    }

    /** @return the exclusive lock {@code name} */
    public DistributedLock lock(String name, LockOptions options) {
        return new DefaultLock(this, "l", 'x', 1, name, checked(name, options), options);
    }

    /** @return the read/write lock {@code name} */
    public ReadWriteLock readWriteLock(String name, LockOptions options) {
        ParticipantLink p = checked(name, options);
        DistributedLock read = new DefaultLock(this, "rw", 'r', 1, name, p, options);
        DistributedLock write = new DefaultLock(this, "rw", 'w', 1, name, p, options);
        return new ReadWriteLock() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public DistributedLock readLock() {
                return read;
            }

            @Override
            public DistributedLock writeLock() {
                return write;
            }

            @Override
            public String toString() {
                return "ReadWriteLock{" + name + " on " + p.name() + "}";
            }
        };
    }

    /** @return the semaphore {@code name} of {@code permits} permits */
    public DistributedLock semaphore(String name, int permits, LockOptions options) {
        if (permits < 1) {
            throw new RedtxArgumentException(
                    null, "permits of semaphore '" + name + "' must be at least 1, was " + permits);
        }
        return new DefaultLock(this, "s", 's', permits, name, checked(name, options), options);
    }

    /** @return the participant of lock {@code name}; refuses a bad name, options or participant */
    private ParticipantLink checked(String name, LockOptions options) {
        if (name == null || name.isEmpty()) {
            throw new RedtxArgumentException(null, "lock name must not be null or empty");
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw new RedtxArgumentException(
                    null, "lock name must be at most " + MAX_NAME_LENGTH + " characters, was " + name.length());
        }
        ctx.keys.refuseInternal(null, "lock name", name);
        if (options == null) {
            throw new RedtxArgumentException(null, "options of lock '" + name + "' must not be null");
        }
        String participant =
                options.participant().orElseGet(() -> ctx.options.keyRouter().participantFor(name));
        return ctx.participant(null, participant);
    }
}
