package io.redtx.samples.intake;

import io.redtx.api.IntakeOptions;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.Transaction;
import io.redtx.api.TransactionOutcome;
import io.redtx.api.TransactionRuntime;
import io.redtx.runtime.RedisTransactionRuntime;
import io.redtx.test.redis.Persistence;
import io.redtx.test.redis.RedisServer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Plain Reactor, no Spring: a stream of orders fed through {@link TransactionRuntime#intake}. Each order is one
 * transaction across two Redis servers: it takes stock from {@code stock:<sku>} on the "stock" participant and records
 * {@code order:<id>} on the "orders" participant, both or neither. An order for more than is left fails inside its
 * transaction with {@link OutOfStockException} and leaves nothing behind; it comes out as an ABORTED outcome, while
 * the stream goes on.
 *
 * <p>The intake asks its source for orders only as fast as transactions finish (at most {@code maxInFlight} ahead),
 * so a source backed by a queue or a broker is drained at the speed the servers allow, with no buffer in between.
 *
 * <pre>{@code
 * ./mvnw -q -pl samples -am compile exec:java -Dexec.mainClass=io.redtx.samples.intake.OrderIntake
 * }</pre>
 */
public final class OrderIntake {

    /** Participant holding the stock counts. */
    public static final String STOCK = "stock";
    /** Participant holding the orders. */
    public static final String ORDERS = "orders";

    /**
     * One order.
     *
     * @param id unique order id
     * @param sku the item
     * @param quantity how many, at least 1
     */
    public record Order(String id, String sku, int quantity) {
        /** Validates the fields. */
        public Order {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(sku, "sku");
            if (quantity < 1) {
                throw new IllegalArgumentException("quantity must be at least 1, was " + quantity);
            }
        }
    }

    /** Fewer items are left than an order asks for; its transaction rolls back. */
    public static final class OutOfStockException extends RuntimeException {
        OutOfStockException(Order order, long left) {
            super("order " + order.id() + " wants " + order.quantity() + " of " + order.sku() + ", " + left + " left");
        }
    }

    private final TransactionRuntime runtime;

    /** @param runtime a runtime with participants {@value #STOCK} and {@value #ORDERS} */
    public OrderIntake(TransactionRuntime runtime) {
        this.runtime = Objects.requireNonNull(runtime, "runtime");
    }

    /**
     * Sets the stock of an item; lazy.
     *
     * @param sku the item
     * @param count how many there are
     * @return completes once written
     */
    public Mono<Void> restock(String sku, long count) {
        return runtime.inTransaction(tx -> tx.on(STOCK).set(stockKey(sku), Long.toString(count)));
    }

    /**
     * Places every order of {@code orders} through the intake; lazy. Cancelling the result rolls back the orders not
     * yet past their commit point.
     *
     * @param orders the orders, requested only as fast as they are placed
     * @param options in-flight limit, order of outcomes, per-order deadline
     * @return one outcome per order: COMMITTED with the stock left, ABORTED (out of stock, a conflict that retries did
     *     not resolve, a deadline) or FAILED
     */
    public Flux<TransactionOutcome<Order, Long>> place(Publisher<Order> orders, IntakeOptions options) {
        return runtime.intake(orders, OrderIntake::place, options);
    }

    /** The transaction of one order: the stock left after it. */
    static Mono<Long> place(Order order, Transaction tx) {
        String stock = stockKey(order.sku());
        return tx.on(STOCK)
                .get(stock)
                .map(Long::parseLong)
                .defaultIfEmpty(0L)
                .flatMap(left -> left < order.quantity()
                        ? Mono.error(new OutOfStockException(order, left))
                        : tx.on(STOCK).decrBy(stock, order.quantity()))
                .flatMap(left -> tx.on(ORDERS)
                        .hset(
                                "order:" + order.id(),
                                Map.of("sku", order.sku(), "quantity", Integer.toString(order.quantity())))
                        .thenReturn(left));
    }

    static String stockKey(String sku) {
        return "stock:" + sku;
    }

    /**
     * Random orders, made one at a time as the intake asks for them (like a queue consumer that pulls on demand).
     *
     * @param count how many
     * @param skus how many different items ({@code sku-0} ...)
     * @param seed random seed
     * @return the orders
     */
    public static Flux<Order> randomOrders(int count, int skus, long seed) {
        return Flux.defer(() -> {
            SplittableRandom random = new SplittableRandom(seed);
            return Flux.range(0, count)
                    .map(i -> new Order("o-" + i, "sku-" + random.nextInt(skus), 1 + random.nextInt(3)));
        });
    }

    /**
     * Starts two embedded Redis servers, stocks 5 items with 800 each, places 2,000 random orders through the intake
     * (32 in flight), and prints the outcomes, how far ahead the source was asked and what is left.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        try (RedisServer stockServer = RedisServer.start(Persistence.IN_MEMORY);
                RedisServer ordersServer = RedisServer.start(Persistence.IN_MEMORY)) {
            TransactionRuntime runtime = RedisTransactionRuntime.create(RuntimeOptions.builder()
                    .participant(STOCK, stockServer.uri())
                    .participant(ORDERS, ordersServer.uri())
                    .build());
            try {
                OrderIntake intake = new OrderIntake(runtime);
                Flux.range(0, 5).concatMap(i -> intake.restock("sku-" + i, 800)).blockLast(Duration.ofSeconds(30));

                AtomicLong requested = new AtomicLong();
                AtomicLong emitted = new AtomicLong();
                AtomicLong mostAhead = new AtomicLong();
                Flux<Order> orders = randomOrders(2_000, 5, 42)
                        .doOnRequest(n -> mostAhead.accumulateAndGet(requested.addAndGet(n) - emitted.get(), Math::max))
                        .doOnNext(o -> emitted.incrementAndGet());
                IntakeOptions options = IntakeOptions.builder()
                        .maxInFlight(32)
                        .deadline(Duration.ofSeconds(5))
                        .build();

                long start = System.nanoTime();
                Map<TransactionOutcome.Status, Long> byStatus = new EnumMap<>(TransactionOutcome.Status.class);
                Map<String, Long> causes = new TreeMap<>();
                intake.place(orders, options)
                        .doOnNext(outcome -> {
                            byStatus.merge(outcome.status(), 1L, Long::sum);
                            if (outcome.error() != null) {
                                causes.merge(outcome.error().getClass().getSimpleName(), 1L, Long::sum);
                            }
                        })
                        .blockLast(Duration.ofMinutes(2));
                double seconds = (System.nanoTime() - start) / 1e9;

                System.out.printf(
                        "orders: %d in %.2f s (%.0f/s); outcomes %s; causes %s%n",
                        emitted.get(), seconds, emitted.get() / seconds, byStatus, causes);
                System.out.printf(
                        "the source was asked for at most %d orders ahead (maxInFlight %d)%n",
                        mostAhead.get(), options.maxInFlight());
                for (int i = 0; i < 5; i++) {
                    System.out.printf("stock:sku-%d = %s%n", i, stockServer.command("GET", "stock:sku-" + i));
                }
            } finally {
                runtime.closeGracefully().block(Duration.ofSeconds(30));
            }
        }
    }
}
