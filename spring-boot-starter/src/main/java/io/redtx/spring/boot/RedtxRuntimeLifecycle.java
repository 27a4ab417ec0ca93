package io.redtx.spring.boot;

import io.redtx.api.ParticipantDurability;
import io.redtx.api.TransactionRuntime;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.context.SmartLifecycle;
import reactor.core.scheduler.Schedulers;

/**
 * Verifies a {@link TransactionRuntime} when the Spring context starts (optional) and closes it gracefully when the
 * context stops: {@link TransactionRuntime#closeGracefully()} refuses new transactions, waits for those in flight and
 * for background rollbacks and roll-forwards, then closes the connections.
 *
 * <p><b>Phase.</b> Spring stops lifecycles from the highest phase down and starts them from the lowest up. Boot's web
 * server drains its requests in phase {@code DEFAULT_PHASE - 1024} ({@code server.shutdown=graceful}) and stops in
 * {@code DEFAULT_PHASE - 2048}; application lifecycles default to {@code DEFAULT_PHASE}. {@value #PHASE}
 * ({@code DEFAULT_PHASE - 4096}) is below all of them, so the runtime is closed only after the server stopped taking
 * requests and the requests in flight (whose transactions the graceful close then waits for) have been answered, and
 * after the application's own lifecycles that use the runtime have stopped. The gap below the web server leaves room
 * for a lifecycle that must start after the runtime and stop before it, yet outlive the web server (a message consumer
 * at {@code PHASE + 1}). On start, the order is the reverse: the runtime is verified before the web server takes its
 * first request.
 *
 * <p><b>Blocking.</b> {@link #start()} and {@link #stop()} are Spring callbacks that must finish their work before they
 * return, so they wait for the runtime's {@code Mono}s, each for a bounded time: they run on the thread that refreshes
 * or closes the context (the main thread, a JVM shutdown hook, a test's thread). Should one run on a Reactor thread,
 * where waiting is not allowed, they start the work without waiting and log its failure instead.
 */
public final class RedtxRuntimeLifecycle implements SmartLifecycle {

    /**
     * {@code SmartLifecycle.DEFAULT_PHASE - 4096}: stops after the web server (and after lifecycles in the default
     * phase), starts before them.
     */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private static final Log log = LogFactory.getLog(RedtxRuntimeLifecycle.class);

    private final TransactionRuntime runtime;
    private final boolean verifyOnStartup;
    private final Duration verifyTimeout;
    private final Duration shutdownTimeout;
    private final AtomicBoolean running = new AtomicBoolean();

    /**
     * @param runtime the runtime, not null
     * @param verifyOnStartup whether {@link #start()} runs {@link TransactionRuntime#verify()}
     * @param verifyTimeout longest wait for the verification, positive
     * @param shutdownTimeout longest wait for the graceful close, positive
     * @throws IllegalArgumentException for a timeout that is not positive, naming its property
     */
    public RedtxRuntimeLifecycle(
            TransactionRuntime runtime, boolean verifyOnStartup, Duration verifyTimeout, Duration shutdownTimeout) {
        this.runtime = Objects.requireNonNull(runtime, "runtime");
        this.verifyOnStartup = verifyOnStartup;
        this.verifyTimeout = positive("verify timeout (from redtx.timeouts.connect)", verifyTimeout);
        this.shutdownTimeout = positive("redtx.shutdown-timeout", shutdownTimeout);
    }

    private static Duration positive(String what, Duration value) {
        if (value == null || value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException(what + " must be positive, was " + value);
        }
        return value;
    }

    /**
     * With {@code redtx.verify-on-startup}, checks every participant now ({@link TransactionRuntime#verify()}) and
     * fails the start-up with its {@link io.redtx.api.RedtxConfigurationException}, which names each participant that
     * failed and why, or with a timeout after the verify timeout.
     */
    @Override
    public void start() {
        if (verifyOnStartup) {
            if (Schedulers.isInNonBlockingThread()) {
                runtime.verify()
                        .subscribe(
                                durabilities -> log.info("redtx: participants verified: " + durabilities),
                                e -> log.error("redtx: verification of the participants failed", e));
            } else {
                // The refresh thread: waiting here is what makes a bad configuration stop the start-up.
                List<ParticipantDurability> durabilities;
                try {
                    durabilities = runtime.verify().block(verifyTimeout);
                } catch (IllegalStateException e) {
                    // block's own timeout; verify's failures are RedtxExceptions and pass as they are.
                    throw new IllegalStateException(
                            "redtx.verify-on-startup: the participants were not verified within " + verifyTimeout
                                    + " (twice redtx.timeouts.connect)",
                            e);
                }
                log.info("redtx: participants verified: " + durabilities);
            }
        }
        running.set(true);
    }

    /**
     * Closes the runtime gracefully, waiting at most {@code redtx.shutdown-timeout}; then closes it at once if it has
     * not finished (what is left unsettled is left to recovery). Idempotent.
     */
    @Override
    public void stop() {
        if (!running.compareAndSet(true, false)) {
            return;
        }
        if (Schedulers.isInNonBlockingThread()) {
            runtime.closeGracefully().subscribe(null, e -> {
                log.warn("redtx: the runtime did not close gracefully; closing it now", e);
                runtime.close();
            });
            return;
        }
        try {
            // The thread closing the context: Spring expects stop() to have stopped when it returns, and the
            // connections must not outlive the context.
            runtime.closeGracefully().block(shutdownTimeout);
        } catch (RuntimeException e) {
            log.warn("redtx: the runtime did not close gracefully within " + shutdownTimeout + "; closing it now", e);
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
