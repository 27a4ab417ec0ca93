package io.redtx.api.message;

import io.redtx.api.Transaction;
import org.reactivestreams.Publisher;

/**
 * The work {@link io.redtx.api.TransactionRuntime#consumeTransactionally} runs for one delivery, inside a transaction
 * that also records the message as processed and acknowledges it. It may read and write any participant through
 * {@code tx}; it runs again, in a fresh transaction, after a conflict, and never again once its transaction committed.
 *
 * @param <T> what the work produces
 */
@FunctionalInterface
public interface DeliveryHandler<T> {

    /**
     * @param delivery the message
     * @param tx the transaction its effects commit in
     * @return the work: a publisher of at most one value (more are an error, as for
     *     {@link io.redtx.api.TransactionRuntime#inTransaction})
     */
    Publisher<T> handle(Delivery delivery, Transaction tx);
}
