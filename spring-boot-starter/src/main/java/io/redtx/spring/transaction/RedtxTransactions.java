package io.redtx.spring.transaction;

import io.redtx.api.Transaction;
import io.redtx.api.TransactionRuntime;
import java.util.List;
import java.util.Objects;
import org.springframework.transaction.NoTransactionException;
import org.springframework.transaction.reactive.TransactionContext;
import org.springframework.transaction.reactive.TransactionContextManager;
import reactor.core.publisher.Mono;

/**
 * Finds the redtx transaction that a {@link RedtxTransactionManager} bound for the pipeline being subscribed
 * ({@code @Transactional} method, {@code TransactionalOperator}), through the Reactor context:
 *
 * <pre>{@code
 * @Transactional
 * public Mono<Void> transfer(String from, String to, long cents) {
 *     return RedtxTransactions.current().flatMap(tx -> tx.on("eu").decrBy(from, cents)
 *             .then(tx.on("us").incrBy(to, cents)))
 *             .then();
 * }
 * }</pre>
 *
 * <p>Lazy: the lookup happens at subscription, in the subscriber's context, so the {@code Mono} must be part of the
 * pipeline the transactional method returns (not subscribed on its own).
 */
public final class RedtxTransactions {

    private RedtxTransactions() {}

    /**
     * The current redtx transaction.
     *
     * @return the handle of the transaction in progress; {@link NoTransactionException} when there is none (outside a
     *     transactional pipeline, or in a scope that runs without one: {@code SUPPORTS} without an outer transaction,
     *     {@code NOT_SUPPORTED}, {@code NEVER}), and {@link IllegalStateException} when transactions of several
     *     runtimes are in progress (then use {@link #current(TransactionRuntime)})
     */
    public static Mono<Transaction> current() {
        return TransactionContextManager.currentContext()
                .onErrorMap(NoTransactionException.class, RedtxTransactions::none)
                .flatMap(context -> {
                    List<RedtxTransactionHolder> holders = context.getResources().values().stream()
                            .filter(RedtxTransactionHolder.class::isInstance)
                            .map(RedtxTransactionHolder.class::cast)
                            .toList();
                    if (holders.isEmpty()) {
                        return Mono.error(none(null));
                    }
                    if (holders.size() > 1) {
                        return Mono.error(new IllegalStateException("transactions of " + holders.size()
                                + " redtx runtimes are in progress here; name the runtime: current(runtime)"));
                    }
                    return Mono.just(holders.get(0).transaction());
                });
    }

    /**
     * The current redtx transaction of one runtime.
     *
     * @param runtime the runtime whose {@link RedtxTransactionManager} began the transaction, not null
     * @return its handle; {@link NoTransactionException} when there is none
     */
    public static Mono<Transaction> current(TransactionRuntime runtime) {
        Objects.requireNonNull(runtime, "runtime");
        return find(runtime).switchIfEmpty(Mono.error(() -> none(null))).map(RedtxTransactionHolder::transaction);
    }

    /**
     * @param runtime the runtime, not null
     * @return whether a transaction of {@code runtime} is in progress in the subscriber's context; never an error
     */
    public static Mono<Boolean> isActive(TransactionRuntime runtime) {
        Objects.requireNonNull(runtime, "runtime");
        return find(runtime).hasElement();
    }

    /** @return the holder bound for {@code runtime}, or empty */
    static Mono<RedtxTransactionHolder> find(TransactionRuntime runtime) {
        return TransactionContextManager.currentContext()
                .onErrorResume(NoTransactionException.class, e -> Mono.empty())
                .flatMap(context -> Mono.justOrEmpty(holder(context, runtime)));
    }

    /** @return whether the subscriber's context holds a redtx transaction of any runtime; never an error */
    static Mono<Boolean> anyActive() {
        return TransactionContextManager.currentContext()
                .map(context ->
                        context.getResources().values().stream().anyMatch(RedtxTransactionHolder.class::isInstance))
                .onErrorReturn(NoTransactionException.class, false);
    }

    private static RedtxTransactionHolder holder(TransactionContext context, TransactionRuntime runtime) {
        Object bound = context.getResources().get(runtime);
        return bound instanceof RedtxTransactionHolder holder ? holder : null;
    }

    private static NoTransactionException none(Throwable cause) {
        String message = "no redtx transaction in progress: call this inside a @Transactional method or a"
                + " TransactionalOperator run by a RedtxTransactionManager, as part of the pipeline it returns";
        return cause == null ? new NoTransactionException(message) : new NoTransactionException(message, cause);
    }
}
