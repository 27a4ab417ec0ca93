package io.redtx.samples.webflux;

import reactor.core.publisher.Mono;

/**
 * Extra work a checkout does inside its transaction, after stock, order and debit are buffered and before the commit:
 * a fraud check or a call to a payment provider, say. Declare a bean of this type to use one; without one, every order
 * is approved.
 *
 * <p>The transaction waits for the returned {@code Mono}: if it errors, the checkout is rolled back and the error is
 * the response; if the HTTP request is cancelled meanwhile, it is cancelled and the checkout rolled back. It runs
 * again on each conflict retry (with the same order), so it must be idempotent. It must not block.
 */
@FunctionalInterface
public interface CheckoutGuard {

    /** Approves every order at once. */
    CheckoutGuard APPROVE_ALL = order -> Mono.empty();

    /**
     * @param order the order about to be committed
     * @return completes to approve; an error refuses (and rolls back)
     */
    Mono<Void> approve(Order order);
}
