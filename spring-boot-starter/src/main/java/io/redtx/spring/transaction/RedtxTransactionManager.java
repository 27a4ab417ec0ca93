package io.redtx.spring.transaction;

import io.redtx.api.Transaction;
import io.redtx.api.TransactionOptions;
import io.redtx.api.TransactionPhase;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.TransactionStateException;
import io.redtx.api.TransactionTimeoutException;
import java.time.Duration;
import java.util.Objects;
import org.springframework.transaction.NestedTransactionNotSupportedException;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.UnexpectedRollbackException;
import org.springframework.transaction.reactive.AbstractReactiveTransactionManager;
import org.springframework.transaction.reactive.GenericReactiveTransaction;
import org.springframework.transaction.reactive.TransactionSynchronizationManager;
import reactor.core.publisher.Mono;

/**
 * A Spring {@link org.springframework.transaction.ReactiveTransactionManager} whose transactions are redtx
 * transactions: {@code @Transactional} on a method returning {@code Mono} or {@code Flux}, and
 * {@link org.springframework.transaction.reactive.TransactionalOperator}, begin one with
 * {@link TransactionRuntime#begin(TransactionOptions)}, bind its {@link Transaction} handle in Spring's reactive
 * {@link TransactionSynchronizationManager} (the Reactor context of the transactional pipeline, never a ThreadLocal),
 * and end it with {@link Transaction#commit()} or {@link Transaction#rollback()}. Code inside finds the handle with
 * {@link RedtxTransactions#current()} or runs commands through a {@link RedtxTemplate}.
 *
 * <p><b>Definition mapping.</b>
 *
 * <ul>
 *   <li>Propagation: {@code REQUIRED} joins the transaction bound for this runtime, {@code REQUIRES_NEW} suspends it
 *       and begins another (independent: each commits or rolls back on its own), {@code SUPPORTS},
 *       {@code NOT_SUPPORTED}, {@code NEVER} and {@code MANDATORY} as Spring defines them. {@code NESTED} is refused
 *       with {@link NestedTransactionNotSupportedException}, with or without an outer transaction: redtx has no
 *       savepoints, and quietly running such a method as {@code REQUIRED} would roll back more than its author
 *       expects.
 *   <li>Timeout (seconds): the transaction's {@link TransactionOptions#timeout() timeout}; the runtime rolls an
 *       unfinished handle back when it passes. A commit attempted after it fails with
 *       {@link TransactionTimeoutException}; an operation attempted after it fails with the handle's
 *       {@link TransactionStateException}. Without one, the runtime's {@code timeouts.transaction}.
 *   <li>Read-only: {@link TransactionOptions#readOnly()}: every write of the handle fails with
 *       {@link io.redtx.api.RedtxArgumentException} and buffers nothing; reads work and are validated at commit.
 *   <li>Isolation: any level is accepted and none changes anything: committed redtx transactions are serializable
 *       with each other, which satisfies every level Spring names.
 * </ul>
 *
 * <p><b>Errors are redtx's own.</b> A conflict, timeout or unavailable participant is not translated into Spring's
 * {@code DataAccessException} hierarchy: the same conflict reaches the caller either from an operation inside the work
 * (a read that meets another transaction's intent) or from the commit, and only the latter passes through this
 * manager, so translating it here would give one failure two types. Callers handle
 * {@link io.redtx.api.TransactionConflictException} (or its root {@link io.redtx.api.RedtxTransientException}) and
 * retry with {@link RedtxRetry}. Every redtx exception is a {@code RuntimeException}, so Spring's default rollback
 * rules apply to them. Spring's own exceptions come from Spring's rules: {@code IllegalTransactionStateException} for
 * {@code MANDATORY} without a transaction or {@code NEVER} with one, {@link UnexpectedRollbackException} when a joined
 * scope marked the transaction rollback-only and the outer scope still tried to commit.
 *
 * <p><b>Cancellation.</b> Spring rolls back when the subscriber of a transactional pipeline cancels; the rollback
 * ends the handle, and a commit already under way is rolled back by the runtime if it has not passed the commit point
 * (after it, the commit completes on every participant).
 *
 * <p><b>Retries.</b> A handle from {@code begin} is never retried by the runtime, so neither is a transaction this
 * manager demarcates: retry the whole transactional call with {@link RedtxRetry#onConflict()} outside it.
 *
 * <p>Several managers may share one runtime; they bind the same key (the runtime), so each joins the others'
 * transactions.
 */
public class RedtxTransactionManager extends AbstractReactiveTransactionManager {

    private static final long serialVersionUID = 1L;

    private final transient TransactionRuntime runtime;
    private final Duration defaultTimeout;

    /**
     * A manager that knows no default timeout: a transaction without its own still gets the runtime's
     * {@code timeouts.transaction} from the runtime, but a commit that fails after that limit is reported as the
     * handle's {@link TransactionStateException} rather than as a {@link TransactionTimeoutException}.
     *
     * @param runtime the runtime to begin transactions on, not null
     */
    public RedtxTransactionManager(TransactionRuntime runtime) {
        this(runtime, null);
    }

    /**
     * @param runtime the runtime to begin transactions on, not null
     * @param defaultTimeout the runtime's {@code timeouts.transaction}, which a definition without a timeout gets from
     *     the runtime; known here only to report a commit after it as a timeout. May be null
     */
    public RedtxTransactionManager(TransactionRuntime runtime, Duration defaultTimeout) {
        this.runtime = Objects.requireNonNull(runtime, "runtime");
        this.defaultTimeout = defaultTimeout;
    }

    /** @return the runtime this manager begins transactions on; also the key its handles are bound under */
    public TransactionRuntime getRuntime() {
        return runtime;
    }

    @Override
    protected Object doGetTransaction(TransactionSynchronizationManager synchronizationManager) {
        return new TransactionObject((RedtxTransactionHolder) synchronizationManager.getResource(runtime));
    }

    @Override
    protected boolean isExistingTransaction(Object transaction) {
        return ((TransactionObject) transaction).holder != null;
    }

    @Override
    protected Mono<Void> doBegin(
            TransactionSynchronizationManager synchronizationManager,
            Object transaction,
            TransactionDefinition definition) {
        return Mono.defer(() -> {
            if (definition.getPropagationBehavior() == TransactionDefinition.PROPAGATION_NESTED) {
                return Mono.error(new NestedTransactionNotSupportedException(
                        "redtx transactions cannot be nested: there are no savepoints to roll back to; use"
                                + " REQUIRED to join the transaction or REQUIRES_NEW for an independent one"
                                + (definition.getName() == null ? "" : " (" + definition.getName() + ")")));
            }
            TransactionOptions.Builder options = TransactionOptions.builder().readOnly(definition.isReadOnly());
            Duration timeout = defaultTimeout;
            if (definition.getTimeout() != TransactionDefinition.TIMEOUT_DEFAULT) {
                // Spring validates the attribute (a negative value other than -1 is refused before this); 0 would be
                // refused by the options' builder, naming the value.
                timeout = Duration.ofSeconds(definition.getTimeout());
                options.timeout(timeout);
            }
            Duration limit = timeout;
            TransactionObject txObject = (TransactionObject) transaction;
            return runtime.begin(options.build())
                    .doOnNext(tx -> {
                        RedtxTransactionHolder holder = new RedtxTransactionHolder(tx, limit);
                        txObject.holder = holder;
                        synchronizationManager.bindResource(runtime, holder);
                    })
                    .then();
        });
    }

    @Override
    protected Mono<Object> doSuspend(TransactionSynchronizationManager synchronizationManager, Object transaction) {
        return Mono.fromSupplier(() -> {
            ((TransactionObject) transaction).holder = null;
            return synchronizationManager.unbindResource(runtime);
        });
    }

    @Override
    protected Mono<Void> doResume(
            TransactionSynchronizationManager synchronizationManager, Object transaction, Object suspendedResources) {
        return Mono.fromRunnable(() -> synchronizationManager.bindResource(runtime, suspendedResources));
    }

    @Override
    protected Mono<Void> doCommit(
            TransactionSynchronizationManager synchronizationManager, GenericReactiveTransaction status) {
        return Mono.defer(() -> {
            RedtxTransactionHolder holder = holder(status);
            Transaction tx = holder.transaction();
            if (holder.isRollbackOnly()) {
                // Spring's reactive manager checks only the outer scope's own rollback-only flag; a joined scope that
                // failed marked the holder, and committing the writes it left would be what its author ruled out.
                return tx.rollback()
                        .then(Mono.error(new UnexpectedRollbackException("redtx transaction " + tx.id()
                                + " was rolled back because a scope that joined it marked it rollback-only")));
            }
            holder.commitAttempted();
            return tx.commit()
                    .onErrorMap(TransactionStateException.class, e -> holder.expired() ? timedOut(holder, e) : e)
                    .then();
        });
    }

    @Override
    protected Mono<Void> doRollback(
            TransactionSynchronizationManager synchronizationManager, GenericReactiveTransaction status) {
        return Mono.defer(() -> {
            RedtxTransactionHolder holder = holder(status);
            return holder.transaction().rollback().onErrorResume(TransactionStateException.class, e -> {
                // Spring rolls back after a failed commit. The failed commit has already settled the handle (rolled
                // back, or an outcome the runtime settles from the record): its error is the one the caller must see,
                // not the handle's refusal to roll back a commit that may have passed its commit point.
                return holder.isCommitAttempted() ? Mono.empty() : Mono.error(e);
            });
        });
    }

    @Override
    protected Mono<Void> doSetRollbackOnly(
            TransactionSynchronizationManager synchronizationManager, GenericReactiveTransaction status) {
        return Mono.fromRunnable(() -> holder(status).setRollbackOnly());
    }

    @Override
    protected Mono<Void> doCleanupAfterCompletion(
            TransactionSynchronizationManager synchronizationManager, Object transaction) {
        return Mono.fromRunnable(() -> {
            TransactionObject txObject = (TransactionObject) transaction;
            if (txObject.holder != null) {
                synchronizationManager.unbindResourceIfPossible(runtime);
                txObject.holder = null;
            }
        });
    }

    private static RedtxTransactionHolder holder(GenericReactiveTransaction status) {
        RedtxTransactionHolder holder = ((TransactionObject) status.getTransaction()).holder;
        if (holder == null) {
            throw new IllegalStateException("no redtx transaction in this transaction status");
        }
        return holder;
    }

    private static TransactionTimeoutException timedOut(RedtxTransactionHolder holder, TransactionStateException e) {
        TransactionTimeoutException timeout = new TransactionTimeoutException(
                holder.transaction().id(), TransactionPhase.TRANSACTION, holder.timeout(), null);
        timeout.addSuppressed(e);
        return timeout;
    }

    @Override
    public String toString() {
        return "RedtxTransactionManager{runtime=" + runtime + "}";
    }

    /**
     * The transaction object Spring hands back to this manager: the holder of the transaction it joins or began, or
     * none. Only the scope that began a transaction ({@code isNewTransaction()}) commits, rolls back and unbinds it.
     */
    static final class TransactionObject {
        volatile RedtxTransactionHolder holder;

        TransactionObject(RedtxTransactionHolder holder) {
            this.holder = holder;
        }
    }
}
