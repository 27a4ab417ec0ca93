package io.redtx.faults;

import io.redtx.api.RetryPolicy;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.Transaction;
import io.redtx.api.saga.SagaContext;
import io.redtx.api.saga.SagaDefinition;
import io.redtx.api.saga.SagaRecovery;
import io.redtx.api.saga.SagaRetry;
import io.redtx.api.saga.SagaStep;
import io.redtx.samples.checkout.HttpPaymentParticipant;
import io.redtx.samples.checkout.SqlOrderParticipant;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Mono;

/**
 * The workload of {@link ExternalCrashTest}, shared by the coordinator JVM it kills ({@link CheckoutProcess}) and the
 * runtime that recovers after it: the same participant names, keys, amounts and saga definitions on both sides.
 *
 * <p>Checkout {@code i} is one transaction on three Redis participants and two external ones: stock {@code
 * stock:<i>} on a goes down by the quantity, {@code sold:<i>} on c up by it, {@code revenue:<i>} on b up by the amount;
 * the payment service reserves the amount on account {@code cust-<i>}, the SQL participant places the order. Saga
 * {@code i} moves one unit from {@code sstock:<i>} on a to {@code sreserved:<i>} on c (two shards: its commit
 * has the steps a coordinator can stop at; its compensation moves it back), charges {@code scust-<i>}
 * (refunded by its compensation) and records {@code sorder:<i>} on b.
 */
final class Checkouts {

    static final String PAYMENTS = "payments";
    static final String ORDERS = "orders-sql";
    static final List<String> REDIS = FaultSuite.PARTICIPANTS;
    static final long STOCK = 100;
    static final long SAGA_STOCK = 10;
    static final long OPENING_BALANCE = 1_000;
    static final Duration LEASE = FaultSuite.LEASE;

    /** The saga that compensates when a step fails for good. */
    static final String BACKWARD = "checkout-backward";
    /** The saga that retries a step that failed for good on every recovery pass. */
    static final String FORWARD = "checkout-forward";
    /** Saga input: the order step fails for good, in every runtime (the saga must end compensated). */
    static final String FAIL = "fail";
    /** Saga input: where the coordinator JVM halts (ignored by the recovering runtime). */
    static final String KILL = "kill";

    private Checkouts() {}

    static String stock(int i) {
        return "stock:" + i;
    }

    static String revenue(int i) {
        return "revenue:" + i;
    }

    static String sold(int i) {
        return "sold:" + i;
    }

    static String customer(int i) {
        return "cust-" + i;
    }

    static String order(int i) {
        return "order-" + i;
    }

    static int quantity(int i) {
        return 1 + i % 5;
    }

    static long amount(int i) {
        return 10 + i % 90;
    }

    static String sagaStock(int i) {
        return "sstock:" + i;
    }

    static String sagaReserved(int i) {
        return "sreserved:" + i;
    }

    static String sagaCustomer(int i) {
        return "scust-" + i;
    }

    static String sagaOrder(int i) {
        return "sorder:" + i;
    }

    static String sagaId(int i) {
        return "saga-" + i;
    }

    /**
     * Checkout {@code i}'s work in {@code tx}: three Redis participants (the record's and two secondaries) and both
     * external participants.
     */
    static Mono<Void> checkout(Transaction tx, int i) {
        return tx.on("a")
                .decrBy(stock(i), quantity(i))
                .then(tx.on("b").incrBy(revenue(i), amount(i)))
                .then(tx.on("c").incrBy(sold(i), quantity(i)))
                .then(externalOnly(tx, i));
    }

    /**
     * Checkout {@code i}'s external work alone: a transaction that writes nothing in Redis, whose record lives on the
     * participant the key router picks for its id.
     */
    static Mono<Void> externalOnly(Transaction tx, int i) {
        return tx.external(PAYMENTS, HttpPaymentParticipant.request(customer(i), amount(i)))
                .then(tx.external(
                        ORDERS,
                        SqlOrderParticipant.request(order(i), customer(i), "sku-" + i, quantity(i), amount(i))));
    }

    /**
     * The options of every runtime of the test, coordinator JVM and recovering runtime alike. Generous phase limits:
     * a transaction a coordinator holds at a kill point must still be held when the kill comes, not aborted by its
     * own timeout first.
     */
    static RuntimeOptions.Builder options(Map<String, String> redis) {
        return FaultSuite.runtimeOptions(redis)
                // The servers are not what fails here: the test's redis-server processes run without fsync.
                .connections(c -> c.requireSyncedWrites(false))
                .timeouts(t -> t.prepare(Duration.ofSeconds(10))
                        .commit(Duration.ofSeconds(10))
                        .read(Duration.ofSeconds(5))
                        .connect(Duration.ofSeconds(5))
                        .transaction(Duration.ofSeconds(30)))
                // A kill leaves nothing to retry; an attempt that failed is checked like the others.
                .retryPolicy(RetryPolicy.builder().maxAttempts(3).build())
                .recovery(r -> r.lease(LEASE).interval(Duration.ZERO));
    }

    /**
     * Where a saga's runner may be stopped, by name: the coordinator JVM halts there when the saga's {@link #KILL}
     * input names the place; the recovering runtime never does.
     */
    @FunctionalInterface
    interface Places {
        /**
         * @param place where the step is
         * @param ctx the step
         * @param transactionId the step's transaction, or null for an external call
         * @return completes to go on
         */
        Mono<Void> at(String place, SagaContext ctx, String transactionId);

        Places NONE = (place, ctx, transactionId) -> Mono.empty();
    }

    /**
     * The checkout saga: reserve one unit of stock (transactional, compensated by its release), charge the amount
     * (external, idempotent on the step's key, compensated by a refund), record the order (transactional; fails for
     * good when the input says {@link #FAIL}).
     */
    static SagaDefinition saga(String name, SagaRecovery recovery, HttpPaymentParticipant payments, Places places) {
        SagaStep reserve = SagaStep.transactional(
                        "reserve",
                        (ctx, tx) -> places.at("reserve", ctx, tx.id())
                                .then(tx.on("a").decrBy(sagaStock(index(ctx)), 1))
                                .then(tx.on("c").incrBy(sagaReserved(index(ctx)), 1)))
                .withCompensation((ctx, tx) -> places.at("release", ctx, tx.id())
                        .then(tx.on("a").incrBy(sagaStock(index(ctx)), 1))
                        .then(tx.on("c").decrBy(sagaReserved(index(ctx)), 1)));
        SagaStep charge = SagaStep.external(
                        "charge",
                        ctx -> places.at("charge", ctx, null)
                                .then(payments.charge(
                                        ctx.idempotencyKey(), sagaCustomer(index(ctx)), amount(index(ctx))))
                                .then(places.at("charged", ctx, null)))
                .withCompensation(ctx -> places.at("refund", ctx, null)
                        .then(payments.refund(ctx.idempotencyKey()))
                        .then(places.at("refunded", ctx, null)))
                .withTimeout(Duration.ofSeconds(20))
                .withRetry(SagaRetry.of(3, Duration.ofMillis(50)));
        SagaStep record = SagaStep.transactional(
                        "record",
                        (ctx, tx) -> places.at("record", ctx, tx.id())
                                .then(Mono.defer(() -> "true".equals(ctx.input().get(FAIL))
                                        ? Mono.error(new IllegalStateException("the order is refused"))
                                        : tx.on("b").set(sagaOrder(index(ctx)), ctx.sagaId()))))
                // A runner that takes the saga over may meet the intent of the dead runner's own attempt at this step
                // until recovery settles it: attempts for about 3 s (100 ms doubling), longer than that lease, so that
                // a saga is compensated because its input says so, never for a conflict.
                .withRetry(SagaRetry.of(6, Duration.ofMillis(100)));
        return SagaDefinition.builder(name)
                .recovery(recovery)
                .lease(LEASE)
                .step(reserve)
                .step(charge)
                .step(record)
                .build();
    }

    /** @return the saga's number, from its id */
    static int index(SagaContext ctx) {
        return Integer.parseInt(ctx.sagaId().substring("saga-".length()));
    }
}
