package io.redtx.runtime.internal.admission;

import io.redtx.api.AdmissionOptions;
import io.redtx.api.Durations;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionRejectedException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Mono;
import reactor.pool.InstrumentedPool;
import reactor.pool.PoolAcquirePendingLimitException;
import reactor.pool.PoolAcquireTimeoutException;
import reactor.pool.PoolBuilder;

/**
 * The runtime-wide in-flight limit shared by every entry point: a transaction holds one permit from its start to the
 * end of its commit or rollback, released exactly once whether its holder completes, fails or is cancelled — also when
 * the cancel races the grant. No queue is unbounded.
 *
 * <p>With {@link AdmissionOptions.Overflow#WAIT} a pool of {@link AdmissionOptions#maxInFlight()} permits
 * (reactor-pool) does the bookkeeping: at most {@link AdmissionOptions#maxWaiting()} acquires wait, each at most {@link
 * AdmissionOptions#timeout()}. With {@link AdmissionOptions.Overflow#REJECT} nothing waits, and a counter does it: the
 * pool counts a released permit as free a moment before it is back in its idle queue, and an acquire that may not
 * wait is refused in that moment, while fewer than {@code maxInFlight} transactions run.
 */
public final class Admission {

    /** The permit itself carries nothing. */
    private static final Object PERMIT = new Object();

    private final RuntimeOptions options;
    private final Telemetry telemetry;
    /** The permits when transactions may wait for one; null with {@link AdmissionOptions.Overflow#REJECT}. */
    private final InstrumentedPool<Object> permits;
    /** Permits held, with {@link AdmissionOptions.Overflow#REJECT}. */
    private final AtomicInteger held = new AtomicInteger();

    public Admission(RuntimeOptions options, Telemetry telemetry) {
        this.options = options;
        this.telemetry = telemetry;
        this.permits = options.admission().overflow() == AdmissionOptions.Overflow.REJECT
                ? null
                : PoolBuilder.from(Mono.just(PERMIT))
                        .sizeBetween(0, options.admission().maxInFlight())
                        .maxPendingAcquire(options.admission().maxWaiting())
                        .buildPool();
    }

    /**
     * Runs {@code work} holding a permit; lazy. Fails with {@link TransactionRejectedException} when no permit can be
     * had, and then {@code work} is never subscribed.
     */
    public <T> Mono<T> admit(Mono<T> work) {
        return Mono.usingWhen(acquire(), permit -> work, Permit::release, (p, error) -> p.release(), Permit::release);
    }

    /** A held permit. */
    @FunctionalInterface
    public interface Permit {
        /** @return gives the permit back when subscribed; again, it does nothing more */
        Mono<Void> release();
    }

    /** A permit, for a transaction whose end is signalled later ({@link io.redtx.api.TransactionRuntime#begin()}). */
    public Mono<Permit> acquire() {
        if (permits == null) {
            return takeNow();
        }
        return permits.acquire(options.admission().timeout())
                .onErrorMap(this::rejection)
                .map(ref -> ref::release);
    }

    /** A permit if fewer than {@code maxInFlight} are held at this instant, else the REJECT refusal. */
    private Mono<Permit> takeNow() {
        return Mono.defer(() -> {
            int max = options.admission().maxInFlight();
            for (int n = held.get(); n < max; n = held.get()) {
                if (held.compareAndSet(n, n + 1)) {
                    return Mono.just(new Held());
                }
            }
            telemetry.rejected();
            return Mono.error(new TransactionRejectedException(
                    TransactionRejectedException.Reason.LIMIT_REACHED,
                    max,
                    "maxInFlight " + max + " transactions are running (overflow REJECT)"));
        });
    }

    /** One permit of {@link #held}, given back once. */
    private final class Held implements Permit {
        private final AtomicBoolean released = new AtomicBoolean();

        @Override
        public Mono<Void> release() {
            return Mono.fromRunnable(() -> {
                if (released.compareAndSet(false, true)) {
                    held.decrementAndGet();
                }
            });
        }
    }

    /** @return transactions holding a permit now */
    public int inFlight() {
        return permits == null ? held.get() : permits.metrics().acquiredSize();
    }

    /** @return transactions waiting for a permit now */
    public int waiting() {
        return permits == null ? 0 : permits.metrics().pendingAcquireSize();
    }

    public Mono<Void> close() {
        return permits == null ? Mono.empty() : permits.disposeLater();
    }

    /** What the pool (overflow WAIT) refuses with, as redtx's refusal. */
    private Throwable rejection(Throwable e) {
        if (e instanceof PoolAcquireTimeoutException || e instanceof PoolAcquirePendingLimitException) {
            telemetry.rejected();
        }
        if (e instanceof PoolAcquireTimeoutException) {
            return new TransactionRejectedException(
                    TransactionRejectedException.Reason.WAIT_TIMED_OUT,
                    options.admission().maxInFlight(),
                    "no transaction ended within admissionTimeout "
                            + Durations.text(options.admission().timeout())
                            + " (maxInFlight "
                            + options.admission().maxInFlight() + ")");
        }
        if (e instanceof PoolAcquirePendingLimitException) {
            return new TransactionRejectedException(
                    TransactionRejectedException.Reason.TOO_MANY_WAITING,
                    options.admission().maxInFlight(),
                    "maxInFlight " + options.admission().maxInFlight()
                            + " transactions are running and maxWaiting "
                            + options.admission().maxWaiting() + " are waiting");
        }
        return e;
    }
}
