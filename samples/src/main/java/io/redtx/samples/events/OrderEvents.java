package io.redtx.samples.events;

import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionOutcome;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.message.ConsumerOptions;
import io.redtx.api.message.Delivery;
import io.redtx.runtime.RedisTransactionRuntime;
import io.redtx.test.redis.Persistence;
import io.redtx.test.redis.RedisServer;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Plain Reactor, no Spring: the message-based way to keep two Redis servers consistent, made safe. Placing an order
 * writes {@code order:<id>} (status {@code placed}) on the "orders" participant and, in the same transaction, publishes
 * an {@code OrderPlaced} message to the {@value #EVENTS} stream there: the message exists if and only if the order
 * does. A consumer group then settles each order asynchronously, in one transaction per message: it takes the items
 * from {@code stock:<sku>} on the "stock" participant and marks the order {@code confirmed}, or, when too few are
 * left, marks it {@code rejected} and takes nothing. The handler's writes on both servers, the message's processed
 * marker and its acknowledgement commit together, so a message delivered twice (a consumer that died mid-batch, an
 * entry reclaimed from a slow one) settles its order once.
 *
 * <pre>{@code
 * ./mvnw -q -pl samples -am compile exec:java -Dexec.mainClass=io.redtx.samples.events.OrderEvents
 * }</pre>
 */
public final class OrderEvents {

    /** Participant holding the stock counts. */
    public static final String STOCK = "stock";
    /** Participant holding the orders and their events. */
    public static final String ORDERS = "orders";
    /** The stream of {@code OrderPlaced} messages, on {@value #ORDERS}. */
    public static final String EVENTS = "order-events";
    /** The consumer group that settles orders. */
    public static final String GROUP = "stock-keeper";

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

    private final TransactionRuntime runtime;

    /** @param runtime a runtime with participants {@value #STOCK} and {@value #ORDERS} */
    public OrderEvents(TransactionRuntime runtime) {
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
     * Places an order and publishes its {@code OrderPlaced} message, in one transaction on the "orders" participant;
     * lazy.
     *
     * @param order the order
     * @return completes once committed
     */
    public Mono<Void> place(Order order) {
        return runtime.inTransaction(tx -> tx.on(ORDERS)
                .hset(
                        orderKey(order.id()),
                        Map.of("sku", order.sku(), "quantity", Integer.toString(order.quantity()), "status", "placed"))
                .then(tx.on(ORDERS)
                        .publish(
                                EVENTS,
                                Map.of(
                                        "event",
                                        "OrderPlaced",
                                        "order",
                                        order.id(),
                                        "sku",
                                        order.sku(),
                                        "quantity",
                                        Integer.toString(order.quantity())))));
    }

    /**
     * One consumer of the {@value #GROUP} group, settling orders until cancelled; lazy.
     *
     * @param options how to consume: the stream and group of {@link #consumerOptions()}, perhaps with a shorter
     *     {@code claimIdle} or a consumer name
     * @return one outcome per message handled: COMMITTED with the order's new status
     */
    public Flux<TransactionOutcome<Delivery, String>> settle(ConsumerOptions options) {
        return runtime.consumeTransactionally(options, (delivery, tx) -> {
            Map<String, String> m = delivery.fields();
            String order = orderKey(m.get("order"));
            String stock = stockKey(m.get("sku"));
            long quantity = Long.parseLong(m.get("quantity"));
            return tx.on(STOCK)
                    .get(stock)
                    .map(Long::parseLong)
                    .defaultIfEmpty(0L)
                    .flatMap(left -> left < quantity
                            ? tx.on(ORDERS).hset(order, "status", "rejected").thenReturn("rejected")
                            : tx.on(STOCK)
                                    .decrBy(stock, quantity)
                                    .then(tx.on(ORDERS).hset(order, "status", "confirmed"))
                                    .thenReturn("confirmed"));
        });
    }

    /** @return the defaults of the settling consumers: the group is made on first use, at the stream's start */
    public static ConsumerOptions consumerOptions() {
        return ConsumerOptions.builder(EVENTS, GROUP)
                .participant(ORDERS)
                .createGroup(true)
                .build();
    }

    static String stockKey(String sku) {
        return "stock:" + sku;
    }

    static String orderKey(String id) {
        return "order:" + id;
    }

    /**
     * Random orders.
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
     * Starts two embedded Redis servers, stocks 5 items with 500 each, places 2,000 random orders (more than the stock
     * allows) while two consumers settle them; one consumer stops half-way with messages in hand, as a crashed one
     * would, and the other reclaims them. Prints how the orders were settled and checks that every order was settled
     * once: stock taken equals the quantities confirmed.
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
                OrderEvents shop = new OrderEvents(runtime);
                Flux.range(0, 5).concatMap(i -> shop.restock("sku-" + i, 500)).blockLast(Duration.ofSeconds(30));
                ConsumerOptions options = consumerOptions()
                        .mutate()
                        .claimIdle(Duration.ofSeconds(1))
                        .build();
                long start = System.nanoTime();
                Disposable steady = shop.settle(options).subscribe(o -> {}, e -> System.err.println("consumer: " + e));
                // The second consumer takes its share and is cancelled after 300 messages, messages in hand.
                Disposable brief = shop.settle(options).take(300).subscribe(o -> {}, e -> {});
                randomOrders(2_000, 5, 42).flatMap(shop::place, 32).blockLast(Duration.ofMinutes(2));
                Summary s = Summary.await(ordersServer, stockServer, 2_000, 5, 500, Duration.ofMinutes(1));
                double seconds = (System.nanoTime() - start) / 1e9;
                steady.dispose();
                brief.dispose();
                System.out.printf(
                        "orders: 2000 placed, %d confirmed, %d rejected, %d unsettled in %.2f s%n",
                        s.confirmed(), s.rejected(), s.unsettled(), seconds);
                System.out.printf(
                        "stock taken %d, quantities confirmed %d: %s%n",
                        s.stockTaken(), s.quantityConfirmed(), s.consistent() ? "PASS" : "FAIL");
                if (!s.consistent()) {
                    System.exit(1);
                }
            } finally {
                runtime.closeGracefully().block(Duration.ofSeconds(30));
            }
        }
    }

    /**
     * How the orders stand.
     *
     * @param confirmed orders confirmed
     * @param rejected orders rejected
     * @param unsettled orders still placed
     * @param quantityConfirmed items of the confirmed orders
     * @param stockTaken items taken from stock
     */
    record Summary(long confirmed, long rejected, long unsettled, long quantityConfirmed, long stockTaken) {

        /** @return every order settled, and the stock taken exactly what the confirmed orders asked for */
        boolean consistent() {
            return unsettled == 0 && quantityConfirmed == stockTaken;
        }

        static Summary read(RedisServer orders, RedisServer stock, int count, int skus, long opening) {
            long confirmed = 0;
            long rejected = 0;
            long unsettled = 0;
            long quantity = 0;
            for (int i = 0; i < count; i++) {
                Object status = orders.command("HGET", orderKey("o-" + i), "status");
                if ("confirmed".equals(status)) {
                    confirmed++;
                    quantity += Long.parseLong(String.valueOf(orders.command("HGET", orderKey("o-" + i), "quantity")));
                } else if ("rejected".equals(status)) {
                    rejected++;
                } else {
                    unsettled++;
                }
            }
            long taken = 0;
            for (int i = 0; i < skus; i++) {
                taken += opening - Long.parseLong(String.valueOf(stock.command("GET", stockKey("sku-" + i))));
            }
            return new Summary(confirmed, rejected, unsettled, quantity, taken);
        }

        /** Reads until every order is settled, or {@code within} ran out. Call off Reactor threads. */
        static Summary await(
                RedisServer orders, RedisServer stock, int count, int skus, long opening, Duration within) {
            long deadline = System.nanoTime() + within.toNanos();
            while (true) {
                Summary s = read(orders, stock, count, skus, opening);
                if (s.unsettled() == 0 || System.nanoTime() > deadline) {
                    return s;
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return s;
                }
            }
        }
    }
}
