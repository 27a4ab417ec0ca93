package io.redtx.api.saga;

import java.util.Map;
import reactor.core.publisher.Mono;

/** A registered saga definition, ready to start instances ({@link io.redtx.api.TransactionRuntime#saga(String)}). */
public interface Saga {

    /** @return the definition */
    SagaDefinition definition();

    /**
     * Starts saga {@code sagaId} with {@code input} and runs it to its end: its record is written in Redis in a
     * transaction, then each step runs, its progress recorded with it.
     *
     * <p>Lazy: nothing happens before subscription. At most one instance per id ever runs: if a saga with this id
     * exists, this joins it instead (its input stays the first one): it emits the outcome of a finished one at once
     * (as long as its record is kept, {@link SagaDefinition#retention()}), the {@link SagaOutcome.Status#FAILED}
     * outcome of one that gave up, waits for one a live runner drives, and takes over one whose runner's lease ran
     * out. Cancelling stops this runner between two records: nothing is undone, the record keeps the saga's place and
     * the next recovery pass after its lease runs out (in any runtime that registers the definition) finishes it.
     *
     * @param sagaId 1 to 200 characters, without '{' or '}'
     * @param input the saga's input, given to every step (null: none); at most what a Redis value may hold
     * @return the outcome: COMPLETED, COMPENSATED, or FAILED (kept for recovery); an error only when the record could
     *     not be read or written ({@link io.redtx.api.RedtxArgumentException} for a bad id, or an id that names a
     *     saga of another definition)
     */
    Mono<SagaOutcome> start(String sagaId, Map<String, String> input);
}
