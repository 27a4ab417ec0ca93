package io.redtx.spring.transaction;

import io.redtx.api.RetryPolicy;
import io.redtx.api.TransactionConflictException;
import java.util.Objects;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;
import reactor.util.retry.RetryBackoffSpec;

/**
 * Retries a whole Spring-demarcated redtx transaction after a {@link TransactionConflictException}, the way
 * {@code runtime.inTransaction} retries its function: with a {@link RetryPolicy}'s attempts, exponential backoff and
 * jitter. A transaction that {@link RedtxTransactionManager} begins is a {@code begin()} handle, which the runtime
 * never retries, so the retry goes around the transactional call:
 *
 * <pre>{@code
 * // @Transactional service method, or operator.transactional(work): each re-subscription begins a new transaction
 * // and runs the method's pipeline again
 * Mono<Order> placed = checkoutService.place(request).retryWhen(RedtxRetry.onConflict());
 * }</pre>
 *
 * <p><b>Only outside the transaction.</b> Retrying a piece of work inside a transaction would run it again in the same
 * handle, whose reads already saw the conflict; so when the retry's subscriber is itself inside a redtx transaction
 * (the call joined an outer one), the conflict is passed on at once and the outermost retry, around the outer
 * transaction, repeats all of it. After the last attempt the conflict itself is signalled (not Reactor's
 * {@code RetryExhaustedException}), so error handlers see the same type with or without the retry.
 *
 * <p>Work that is retried must be lazy and repeatable: a {@code @Transactional} method is invoked again per
 * subscription, a {@code TransactionalOperator}'s publisher is re-subscribed (build it with {@code Mono.defer}).
 */
public final class RedtxRetry {

    private RedtxRetry() {}

    /** @return {@link #onConflict(RetryPolicy)} with {@link RetryPolicy#defaults()} */
    public static Retry onConflict() {
        return onConflict(RetryPolicy.defaults());
    }

    /**
     * @param policy attempts in all (the first included), backoff range and jitter, not null; for the runtime's own,
     *     pass {@code RuntimeOptions.retryPolicy()}
     * @return a {@link Retry} for {@code retryWhen}: re-subscribes after a {@link TransactionConflictException} while
     *     attempts remain, backing off between attempts; any other error, and a conflict inside an enclosing redtx
     *     transaction, is passed on at once
     */
    public static Retry onConflict(RetryPolicy policy) {
        Objects.requireNonNull(policy, "policy");
        RetryBackoffSpec backoff = Retry.backoff(policy.maxAttempts() - 1L, policy.minBackoff())
                .maxBackoff(policy.maxBackoff())
                .jitter(policy.jitter())
                .filter(TransactionConflictException.class::isInstance)
                .onRetryExhaustedThrow((spec, signal) -> signal.failure());
        return Retry.from(signals -> RedtxTransactions.anyActive()
                .flatMapMany(inside -> inside
                        // Inside an outer transaction: the conflict belongs to it, not to this piece of work.
                        ? signals.concatMap(signal -> Mono.error(signal.failure()))
                        : Flux.from(backoff.generateCompanion(signals))));
    }
}
