package io.redtx.api.saga;

import io.redtx.api.Transaction;
import org.reactivestreams.Publisher;

/**
 * The work of a transaction step, or of its compensation: reads and writes through {@code tx}, which commits them
 * together with the saga's progress. Called again, with a new transaction, for every attempt (a conflict, a retry
 * after a failure); what an attempt that did not commit wrote is never applied.
 */
@FunctionalInterface
public interface TransactionStep {

    /**
     * @param context the saga, the step and the attempt
     * @param tx the step's transaction; the work must do all its reads and writes through it
     * @return runs to its end before the commit; its values are ignored, an error fails the attempt
     */
    Publisher<?> apply(SagaContext context, Transaction tx);
}
