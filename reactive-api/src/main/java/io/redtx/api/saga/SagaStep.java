package io.redtx.api.saga;

import io.redtx.api.Durations;
import java.time.Duration;
import java.util.Optional;

/**
 * One step of a {@link SagaDefinition}: a transaction step (its work runs in a redtx transaction that also records
 * the saga's progress, so it takes effect exactly once) or an external step (a call outside redtx, recorded as
 * started before and done after, so it runs at least once and must be idempotent), each with an optional compensation
 * of its own kind, a time limit per attempt and a retry policy. Immutable: every {@code with...} returns a copy.
 *
 * <pre>{@code
 * SagaStep.transactional("reserve", (ctx, tx) -> tx.routed().decrBy("stock:" + ctx.input().get("sku"), 1))
 *         .withCompensation((ctx, tx) -> tx.routed().incrBy("stock:" + ctx.input().get("sku"), 1))
 *         .withTimeout(Duration.ofSeconds(5));
 * }</pre>
 */
public final class SagaStep {

    /** Default time limit of one attempt of a step or compensation: 30 s. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private final String name;
    private final TransactionStep transactionWork;
    private final TransactionStep transactionCompensation;
    private final ExternalStep externalWork;
    private final ExternalStep externalCompensation;
    private final Duration timeout;
    private final SagaRetry retry;

    private SagaStep(
            String name,
            TransactionStep transactionWork,
            TransactionStep transactionCompensation,
            ExternalStep externalWork,
            ExternalStep externalCompensation,
            Duration timeout,
            SagaRetry retry) {
        this.name = name;
        this.transactionWork = transactionWork;
        this.transactionCompensation = transactionCompensation;
        this.externalWork = externalWork;
        this.externalCompensation = externalCompensation;
        this.timeout = timeout;
        this.retry = retry;
    }

    /**
     * @param name 1 to 128 characters, unique in its saga
     * @param work the step's work, in a transaction that also records the saga's progress
     * @return a transaction step without compensation, with {@link #DEFAULT_TIMEOUT} and {@link SagaRetry#defaults()}
     * @throws IllegalArgumentException for a bad name or a null work
     */
    public static SagaStep transactional(String name, TransactionStep work) {
        return new SagaStep(
                checkName(name), notNull(name, "work", work), null, null, null, DEFAULT_TIMEOUT, SagaRetry.defaults());
    }

    /**
     * @param name 1 to 128 characters, unique in its saga
     * @param work the call outside redtx; must be idempotent ({@link SagaContext#idempotencyKey()})
     * @return an external step without compensation, with {@link #DEFAULT_TIMEOUT} and {@link SagaRetry#defaults()}
     * @throws IllegalArgumentException for a bad name or a null work
     */
    public static SagaStep external(String name, ExternalStep work) {
        return new SagaStep(
                checkName(name), null, null, notNull(name, "work", work), null, DEFAULT_TIMEOUT, SagaRetry.defaults());
    }

    /**
     * @param compensation undoes the step's work, in a transaction that also records the saga's progress (so it takes
     *     effect exactly once); only for a transaction step
     * @return a copy with it
     * @throws IllegalArgumentException if this is an external step, or {@code compensation} is null
     */
    public SagaStep withCompensation(TransactionStep compensation) {
        if (externalWork != null) {
            throw new IllegalArgumentException("step '" + name + "' is external: its compensation is an ExternalStep");
        }
        return new SagaStep(
                name, transactionWork, notNull(name, "compensation", compensation), null, null, timeout, retry);
    }

    /**
     * @param compensation undoes the step's call, outside redtx; must be idempotent, and accept a call that failed or
     *     never took effect (it also runs for the step that failed: its effect is unknown); only for an external step
     * @return a copy with it
     * @throws IllegalArgumentException if this is a transaction step, or {@code compensation} is null
     */
    public SagaStep withCompensation(ExternalStep compensation) {
        if (transactionWork != null) {
            throw new IllegalArgumentException(
                    "step '" + name + "' is a transaction step: its compensation is a TransactionStep");
        }
        return new SagaStep(
                name, null, null, externalWork, notNull(name, "compensation", compensation), timeout, retry);
    }

    /**
     * @param timeout the time limit of one attempt of the step, and of its compensation: positive
     * @return a copy with it
     * @throws IllegalArgumentException for a null, zero or negative timeout
     */
    public SagaStep withTimeout(Duration timeout) {
        if (timeout == null || timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException(
                    "timeout of step '" + name + "' must be positive, was " + Durations.text(timeout));
        }
        return new SagaStep(
                name, transactionWork, transactionCompensation, externalWork, externalCompensation, timeout, retry);
    }

    /**
     * @param retry how often the step, and its compensation, is tried, not null
     * @return a copy with it
     * @throws IllegalArgumentException for null
     */
    public SagaStep withRetry(SagaRetry retry) {
        return new SagaStep(
                name,
                transactionWork,
                transactionCompensation,
                externalWork,
                externalCompensation,
                timeout,
                notNull(name, "retry", retry));
    }

    /** @return the step's name */
    public String name() {
        return name;
    }

    /** @return whether the step's work is a transaction (else an external call) */
    public boolean isTransactional() {
        return transactionWork != null;
    }

    /** @return whether the step has a compensation */
    public boolean hasCompensation() {
        return transactionCompensation != null || externalCompensation != null;
    }

    /** @return the work of a transaction step; empty for an external one */
    public Optional<TransactionStep> transactionWork() {
        return Optional.ofNullable(transactionWork);
    }

    /** @return the compensation of a transaction step, if it has one */
    public Optional<TransactionStep> transactionCompensation() {
        return Optional.ofNullable(transactionCompensation);
    }

    /** @return the work of an external step; empty for a transaction step */
    public Optional<ExternalStep> externalWork() {
        return Optional.ofNullable(externalWork);
    }

    /** @return the compensation of an external step, if it has one */
    public Optional<ExternalStep> externalCompensation() {
        return Optional.ofNullable(externalCompensation);
    }

    /** @return the time limit of one attempt (default {@link #DEFAULT_TIMEOUT}) */
    public Duration timeout() {
        return timeout;
    }

    /** @return the retry policy (default {@link SagaRetry#defaults()}) */
    public SagaRetry retry() {
        return retry;
    }

    @Override
    public String toString() {
        return "SagaStep{" + name + ", " + (isTransactional() ? "transactional" : "external")
                + (hasCompensation() ? ", compensated" : "") + ", timeout=" + Durations.text(timeout) + ", " + retry
                + "}";
    }

    private static String checkName(String name) {
        if (name == null || name.isEmpty() || name.length() > 128) {
            throw new IllegalArgumentException("step name must be 1 to 128 characters, was "
                    + (name == null ? "null" : "'" + name + "' (" + name.length() + " characters)"));
        }
        return name;
    }

    private static <T> T notNull(String step, String field, T value) {
        if (value == null) {
            throw new IllegalArgumentException(field + " of step '" + step + "' must not be null");
        }
        return value;
    }
}
