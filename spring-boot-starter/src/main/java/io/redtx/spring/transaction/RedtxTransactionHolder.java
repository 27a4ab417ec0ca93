package io.redtx.spring.transaction;

import io.redtx.api.Transaction;
import java.time.Duration;

/**
 * What the manager binds, per runtime, in Spring's reactive {@code TransactionSynchronizationManager}: the redtx
 * handle of the transaction in progress and what the manager learns about it along the way. One holder per redtx
 * transaction; the flags are written and read by the subscriptions of one transactional pipeline, which Reactor
 * serialises, so volatile is enough.
 */
final class RedtxTransactionHolder {

    private final Transaction transaction;
    private final Duration timeout;
    private final long deadlineNanos;
    private volatile boolean rollbackOnly;
    private volatile boolean commitAttempted;

    /**
     * @param transaction the handle
     * @param timeout its time limit, or null when the manager does not know it (the runtime's default, not given to
     *     the manager)
     */
    RedtxTransactionHolder(Transaction transaction, Duration timeout) {
        this.transaction = transaction;
        this.timeout = timeout;
        this.deadlineNanos = timeout == null ? 0 : System.nanoTime() + timeout.toNanos();
    }

    Transaction transaction() {
        return transaction;
    }

    Duration timeout() {
        return timeout;
    }

    /** @return whether the handle's time limit has passed: the runtime has rolled it back by then */
    boolean expired() {
        return timeout != null && System.nanoTime() - deadlineNanos >= 0;
    }

    /** A participating scope failed: the transaction must not commit. */
    void setRollbackOnly() {
        rollbackOnly = true;
    }

    boolean isRollbackOnly() {
        return rollbackOnly;
    }

    void commitAttempted() {
        commitAttempted = true;
    }

    boolean isCommitAttempted() {
        return commitAttempted;
    }
}
