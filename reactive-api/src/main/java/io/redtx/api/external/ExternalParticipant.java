package io.redtx.api.external;

import java.util.Map;
import reactor.core.publisher.Mono;

/**
 * Work outside Redis that joins a redtx transaction as a TCC (try / confirm / cancel) participant: a payment API, a
 * SQL database, another service. The transaction's record in Redis decides: {@link #confirm} runs only for a
 * transaction whose commit point passed, {@link #cancel} only for one that did not and never will; after a
 * coordinator crash, recovery in any runtime that registers a participant of the same {@link #name()} calls them until
 * each succeeds. Register with {@link io.redtx.api.RuntimeOptions.Builder#external(ExternalParticipant)}; join a
 * transaction with {@link io.redtx.api.Transaction#external(String, Map)}.
 *
 * <p>Every method receives the transaction id, its idempotency key, and must honour this contract:
 *
 * <ul>
 *   <li>each is idempotent: called again with the same id (a retry, recovery in another runtime), it does nothing
 *       more and succeeds as the first call did;
 *   <li>{@code cancel} may come without a {@code tryReserve} before it (an empty rollback: the try never arrived, or
 *       failed) and then succeeds, and it may come <em>before</em> a delayed {@code tryReserve}: that late try must then
 *       fail and reserve nothing (a hanging reservation would never be released). Record the cancelled id, as Seata's
 *       TCC participants do with their fence table;
 *   <li>{@code confirm} comes only after a {@code tryReserve} of the same id succeeded, and never together with a
 *       {@code cancel} of it.
 * </ul>
 *
 * <p>The methods are called on Reactor threads and must not block; a slow resource is called on a scheduler of its own
 * (for example {@code Mono.fromCallable(...).subscribeOn(Schedulers.boundedElastic())}).
 */
public interface ExternalParticipant {

    /**
     * @return the participant's name, unique in a runtime and the same in every runtime that may recover its
     *     transactions: the record stores it
     */
    String name();

    /**
     * Reserves what the transaction needs (the prepare). An error or no completion within the prepare timeout aborts
     * the transaction, which then calls {@link #cancel}.
     *
     * @param transactionId the transaction's id: the idempotency key
     * @param request what to reserve, as given to {@link io.redtx.api.Transaction#external(String, Map)}
     * @return completes once reserved
     */
    Mono<Void> tryReserve(String transactionId, Map<String, String> request);

    /**
     * Makes the reservation final: the transaction committed. Called until it succeeds.
     *
     * @param transactionId the transaction's id
     * @return completes once confirmed
     */
    Mono<Void> confirm(String transactionId);

    /**
     * Releases the reservation, if any, and refuses a later {@link #tryReserve} of the same id: the transaction did not
     * commit. Called until it succeeds.
     *
     * @param transactionId the transaction's id
     * @return completes once cancelled
     */
    Mono<Void> cancel(String transactionId);
}
