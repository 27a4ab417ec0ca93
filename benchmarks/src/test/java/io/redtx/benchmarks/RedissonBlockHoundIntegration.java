package io.redtx.benchmarks;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * Redisson's two places that park on Netty threads, the baseline's and not redtx's, and only those:
 *
 * <ul>
 *   <li>the workers of Redisson's own executor wait for their next task. Redisson makes them with Netty's thread
 *       factory, so BlockHound's Netty integration counts them as non-blocking threads, and their idle wait in
 *       {@code ThreadPoolExecutor.getTask} (a queue's {@code take}) would throw; the error thrown from inside the
 *       queue's lock leaves that lock broken and the worker dies, over and over;
 *   <li>Redisson's {@code WrappedLock} guards a few instructions (its connection pool's queue of waiters) with a
 *       {@code ReentrantLock}, which an event loop meets under load; as with test-support's
 *       {@code ClientLocksBlockHoundIntegration}, the error thrown from inside {@code lock()} breaks the lock, and the
 *       pool with it.
 * </ul>
 *
 * A task that blocks still fails. Registered through {@code ServiceLoader} ({@code META-INF/services}).
 */
public final class RedissonBlockHoundIntegration implements BlockHoundIntegration {

    /** Created by {@code ServiceLoader}. */
    public RedissonBlockHoundIntegration() {}

    @Override
    public void applyTo(BlockHound.Builder builder) {
        builder.allowBlockingCallsInside("java.util.concurrent.ThreadPoolExecutor", "getTask");
        builder.allowBlockingCallsInside("org.redisson.misc.WrappedLock", "execute");
    }
}
