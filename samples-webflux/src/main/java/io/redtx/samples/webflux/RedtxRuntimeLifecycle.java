package io.redtx.samples.webflux;

import io.redtx.api.TransactionRuntime;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Closes a {@link TransactionRuntime} gracefully when the Spring context stops: {@link TransactionRuntime#closeGracefully()}
 * refuses new transactions, waits for those in flight and for background rollbacks and roll-forwards, then closes the
 * connections.
 *
 * <p>Its phase ({@value #PHASE}) is below the web server's, so Spring stops it <em>after</em> the server stopped (and,
 * with {@code server.shutdown=graceful}, drained) its requests. {@link #stop()} blocks, at most the configured timeout:
 * it runs on the thread that closes the context (the JVM shutdown hook or the test's thread), never on a Reactor or
 * Netty thread. If the timeout passes, the runtime is closed at once and recovery settles what was left.
 */
public final class RedtxRuntimeLifecycle implements SmartLifecycle {

    /** Early start, late stop: before any web server phase. */
    public static final int PHASE = 0;

    private static final Logger log = LoggerFactory.getLogger(RedtxRuntimeLifecycle.class);

    private final TransactionRuntime runtime;
    private final Duration timeout;
    private final AtomicBoolean running = new AtomicBoolean();

    /**
     * @param runtime the runtime to close
     * @param timeout longest wait for the graceful close, positive
     */
    public RedtxRuntimeLifecycle(TransactionRuntime runtime, Duration timeout) {
        this.runtime = Objects.requireNonNull(runtime, "runtime");
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("redtx.shutdown-timeout must be positive, was " + timeout);
        }
        this.timeout = timeout;
    }

    /** Marks the lifecycle running; the runtime itself needs no start (it connects lazily). */
    @Override
    public void start() {
        running.set(true);
    }

    /**
     * Closes the runtime gracefully, blocking the calling (shutdown) thread at most the configured timeout; then
     * closes it at once if it has not finished. Idempotent.
     */
    @Override
    public void stop() {
        if (!running.compareAndSet(true, false)) {
            return;
        }
        try {
            runtime.closeGracefully().block(timeout);
        } catch (RuntimeException e) {
            log.warn("redtx runtime did not close gracefully within {}; closing it now: {}", timeout, e.toString());
            runtime.close();
        }
    }

    /** @return whether {@link #start()} ran and {@link #stop()} has not */
    @Override
    public boolean isRunning() {
        return running.get();
    }

    /** @return {@value #PHASE} */
    @Override
    public int getPhase() {
        return PHASE;
    }
}
