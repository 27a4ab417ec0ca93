package io.redtx.runtime.internal.admission;

import io.redtx.api.AdmissionOptions;
import io.redtx.api.Durations;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionRejectedException;
import reactor.core.publisher.Mono;
import reactor.pool.InstrumentedPool;
import reactor.pool.PoolAcquirePendingLimitException;
import reactor.pool.PoolAcquireTimeoutException;
import reactor.pool.PoolBuilder;
import reactor.pool.PooledRef;

/**
 * The runtime-wide in-flight limit shared by every entry point: a transaction holds one permit from its start to the
 * end of its commit or rollback. A pool of {@link AdmissionOptions#maxInFlight()} permits (reactor-pool) does the
 * bookkeeping: at most {@link AdmissionOptions#maxWaiting()} acquires wait (none with {@link AdmissionOptions.Overflow#REJECT}),
 * each at most {@link AdmissionOptions#timeout()}, and a permit is released exactly once whether its holder
 * completes, fails or is cancelled — also when the cancel races the grant. No queue is unbounded.
 */
public final class Admission {

    /** The permit itself carries nothing. */
    private static final Object PERMIT = new Object();

    private final RuntimeOptions options;
    private final Telemetry telemetry;
    private final InstrumentedPool<Object> permits;

    public Admission(RuntimeOptions options, Telemetry telemetry) {
        this.options = options;
        this.telemetry = telemetry;
        this.permits = PoolBuilder.from(Mono.just(PERMIT))
                .sizeBetween(0, options.admission().maxInFlight())
                .maxPendingAcquire(
                        options.admission().overflow() == AdmissionOptions.Overflow.REJECT
                                ? 0
                                : options.admission().maxWaiting())
                .buildPool();
    }

    /**
     * Runs {@code work} holding a permit; lazy. Fails with {@link TransactionRejectedException} when no permit can be
     * had, and then {@code work} is never subscribed.
     */
    public <T> Mono<T> admit(Mono<T> work) {
        return Mono.usingWhen(
                acquire(), ref -> work, PooledRef::release, (ref, error) -> ref.release(), PooledRef::release);
    }

    /** A permit, for a transaction whose end is signalled later ({@link io.redtx.api.TransactionRuntime#begin()}). */
    public Mono<PooledRef<Object>> acquire() {
        Mono<PooledRef<Object>> acquire = options.admission().overflow() == AdmissionOptions.Overflow.REJECT
                ? permits.acquire()
                : permits.acquire(options.admission().timeout());
        return acquire.onErrorMap(this::rejection);
    }

    /** @return transactions holding a permit now */
    public int inFlight() {
        return permits.metrics().acquiredSize();
    }

    /** @return transactions waiting for a permit now */
    public int waiting() {
        return permits.metrics().pendingAcquireSize();
    }

    public Mono<Void> close() {
        return permits.disposeLater();
    }

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
            return options.admission().overflow() == AdmissionOptions.Overflow.REJECT
                    ? new TransactionRejectedException(
                            TransactionRejectedException.Reason.LIMIT_REACHED,
                            options.admission().maxInFlight(),
                            "maxInFlight " + options.admission().maxInFlight()
                                    + " transactions are running (overflow REJECT)")
                    : new TransactionRejectedException(
                            TransactionRejectedException.Reason.TOO_MANY_WAITING,
                            options.admission().maxInFlight(),
                            "maxInFlight " + options.admission().maxInFlight()
                                    + " transactions are running and maxWaiting "
                                    + options.admission().maxWaiting() + " are waiting");
        }
        return e;
    }
}
