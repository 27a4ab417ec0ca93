package io.redtx.samples.webflux;

import io.redtx.api.RetryPolicy;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.Transaction;
import io.redtx.api.TransactionCommands;
import io.redtx.spring.transaction.RedtxRetry;
import io.redtx.spring.transaction.RedtxTemplate;
import io.redtx.spring.transaction.RedtxTransactions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Service;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Mono;

/**
 * The shop: checkouts, each one redtx transaction across three Redis participants, and the reads that show their
 * effect.
 *
 * <table>
 *   <caption>Keys</caption>
 *   <tr><th>participant</th><th>key</th><th>holds</th></tr>
 *   <tr><td>{@value #STOCK}</td><td>{@code stock:<sku>}</td><td>items in stock (integer string)</td></tr>
 *   <tr><td>{@value #ORDERS}</td><td>{@code order:<id>}</td><td>hash: id, customer, sku, qty, amount, tx</td></tr>
 *   <tr><td>{@value #BALANCES}</td><td>{@code balance:<customer>}</td><td>balance in cents (integer string)</td></tr>
 *   <tr><td>{@value #ORDERS}</td><td>{@value #ORDER_EVENTS}</td><td>stream: one {@code OrderPlaced} entry per
 *       committed order, published by the checkout's transaction</td></tr>
 *   <tr><td>{@value #BALANCES}</td><td>{@code customer:<customer>:orders}</td><td>hash: {@code orders},
 *       {@code spent}; the read model {@link OrderEventsConsumer} keeps from the events</td></tr>
 * </table>
 *
 * <p>The checkout is demarcated the Spring way: the starter's {@link TransactionalOperator} (on its
 * {@code RedtxTransactionManager}) begins the transaction, {@link RedtxTransactions#current()} hands the work its
 * handle, and {@link RedtxRetry} runs the whole transaction again after a conflict. Each read is one command through the
 * {@link RedtxTemplate}, which outside a transaction runs it in a transaction of its own.
 *
 * <p>Every method is lazy (nothing happens before subscription) and non-blocking. Errors: {@link CheckoutException}
 * for business refusals, and redtx's exceptions (a conflict that outlasted the retries, rejection on overload,
 * timeouts, unavailable participants, unknown outcome). Cancelling a returned {@code Mono} rolls its transaction back
 * unless the commit point was already passed.
 */
@Service
public class CheckoutService {

    /** Participant holding the stock counts. */
    public static final String STOCK = "stock";
    /** Participant holding the orders. */
    public static final String ORDERS = "orders";
    /** Participant holding the customers' balances. */
    public static final String BALANCES = "balances";
    /** The stream on {@value #ORDERS} that every committed checkout appends its {@value #ORDER_PLACED} event to. */
    public static final String ORDER_EVENTS = "order-events";
    /** The {@code event} field of the message a checkout publishes. */
    public static final String ORDER_PLACED = "OrderPlaced";
    /** Largest quantity of one order. */
    public static final int MAX_QUANTITY = 1000;

    private static final Pattern CUSTOMER = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern ORDER_ID = Pattern.compile("[0-9a-f]{32}");

    private final RedtxTemplate redis;
    private final TransactionalOperator transactions;
    private final RetryPolicy retryPolicy;
    private final Catalog catalog;
    private final CheckoutGuard guard;

    /**
     * @param redis commands on the runtime's participants {@value #STOCK}, {@value #ORDERS} and {@value #BALANCES}
     * @param transactions the starter's operator, which demarcates redtx transactions
     * @param options the starter's runtime options, whose retry policy ({@code redtx.retry.*}) the checkout's retries
     *     follow; {@link RetryPolicy#defaults()} when the application made its own runtime
     * @param catalog the products and prices
     * @param guard the {@link CheckoutGuard} bean if there is one; otherwise every order is approved
     */
    public CheckoutService(
            RedtxTemplate redis,
            TransactionalOperator transactions,
            ObjectProvider<RuntimeOptions> options,
            Catalog catalog,
            ObjectProvider<CheckoutGuard> guard) {
        this.redis = redis;
        this.transactions = transactions;
        RuntimeOptions runtimeOptions = options.getIfAvailable();
        this.retryPolicy = runtimeOptions == null ? RetryPolicy.defaults() : runtimeOptions.retryPolicy();
        this.catalog = catalog;
        this.guard = guard.getIfAvailable(() -> CheckoutGuard.APPROVE_ALL);
    }

    /** @return the Redis key of a SKU's stock count */
    static String stockKey(String sku) {
        return "stock:" + sku;
    }

    /** @return the Redis key of an order's hash */
    static String orderKey(String id) {
        return "order:" + id;
    }

    /** @return the Redis key of a customer's balance */
    static String balanceKey(String customer) {
        return "balance:" + customer;
    }

    /** @return the Redis key of a customer's order summary (the read model, on {@value #BALANCES}) */
    static String summaryKey(String customer) {
        return "customer:" + customer + ":orders";
    }

    /**
     * Places an order in one transaction: takes {@code quantity} items off {@code stock:<sku>}, records
     * {@code order:<id>}, debits {@code balance:<customer>} by quantity times unit price and publishes an
     * {@value #ORDER_PLACED} event to {@value #ORDER_EVENTS}. Either all four changes are committed or none is: the
     * event exists if and only if the order does.
     *
     * <p>Stock and balance are read and decremented concurrently (two participants, two round trips at once); if either
     * would go below zero the work fails with {@link CheckoutException} ({@code INSUFFICIENT_STOCK} first, then
     * {@code INSUFFICIENT_BALANCE}), which rolls the transaction back. A concurrent checkout that changed a key this one
     * read makes the whole transaction run again (new transaction, same order id) as the retry policy allows.
     *
     * @param request the order; validated before any transaction starts
     * @return the committed order, emitted after the commit; {@link CheckoutException} ({@code INVALID_INPUT}) for a bad
     *     request, without touching Redis
     */
    public Mono<Order> checkout(OrderRequest request) {
        return Mono.defer(() -> {
            ValidOrder order = validate(request);
            // One id for every attempt of this checkout: a conflict retry records the same order.
            String orderId = newOrderId();
            // The operator begins a transaction per subscription and commits it when place(...) completes (rolls it
            // back on an error or a cancel); the retry re-subscribes after a conflict, so each attempt is a fresh
            // transaction that reads afresh. It must stay outside the operator: retrying inside would reuse the
            // handle whose reads conflicted.
            return RedtxTransactions.current()
                    .flatMap(tx -> place(tx, orderId, order))
                    .as(transactions::transactional)
                    .retryWhen(RedtxRetry.onConflict(retryPolicy));
        });
    }

    private Mono<Order> place(Transaction tx, String orderId, ValidOrder request) {
        TransactionCommands stock = tx.on(STOCK);
        TransactionCommands orders = tx.on(ORDERS);
        TransactionCommands balances = tx.on(BALANCES);
        Mono<Long> stockLeft = stock.decrBy(stockKey(request.sku()), request.quantity());
        Mono<Long> balanceLeft = balances.decrBy(balanceKey(request.customer()), request.amount());
        return Mono.zip(stockLeft, balanceLeft).flatMap(left -> {
            if (left.getT1() < 0) {
                return Mono.error(new CheckoutException(
                        CheckoutException.Reason.INSUFFICIENT_STOCK,
                        "only " + (left.getT1() + request.quantity()) + " of '" + request.sku() + "' in stock, "
                                + request.quantity() + " ordered"));
            }
            if (left.getT2() < 0) {
                return Mono.error(new CheckoutException(
                        CheckoutException.Reason.INSUFFICIENT_BALANCE,
                        "balance of '" + request.customer() + "' is " + (left.getT2() + request.amount())
                                + " cents, the order costs " + request.amount()));
            }
            Order order = new Order(
                    orderId, request.customer(), request.sku(), request.quantity(), request.amount(), tx.id());
            return orders.expectAbsent(orderKey(orderId)) // a (very unlikely) id collision fails instead of overwriting
                    .then(orders.hset(orderKey(orderId), fields(order)))
                    // Staged like the writes: appended by the commit, so a refused or rolled-back order has no event.
                    .then(orders.publish(ORDER_EVENTS, event(order)))
                    .then(guard.approve(order))
                    .thenReturn(order);
        });
    }

    /**
     * Reads an order (one read through the template, a transaction of its own, on {@value #ORDERS}).
     *
     * @param id the order id
     * @return the order; {@link CheckoutException} ({@code NOT_FOUND}) if there is none
     */
    public Mono<Order> order(String id) {
        return Mono.defer(() -> {
            if (id == null || !ORDER_ID.matcher(id).matches()) {
                return Mono.error(notFound("no order '" + id + "'"));
            }
            return redis.opsFor(ORDERS)
                    .hgetAll(orderKey(id))
                    .flatMap(hash -> hash.isEmpty() ? Mono.error(notFound("no order '" + id + "'")) : parse(hash));
        });
    }

    /**
     * Reads a SKU's stock count (one read through the template, a transaction of its own, on {@value #STOCK}).
     *
     * @param sku the SKU
     * @return its stock, 0 if never stocked; {@link CheckoutException} ({@code NOT_FOUND}) if the shop does not sell it
     */
    public Mono<StockLevel> stock(String sku) {
        return Mono.defer(() -> {
            if (catalog.unitPrice(sku).isEmpty()) {
                return Mono.error(notFound("no SKU '" + sku + "' in the catalog " + catalog.skus()));
            }
            return redis.opsFor(STOCK)
                    .get(stockKey(sku))
                    .map(Long::parseLong)
                    .defaultIfEmpty(0L)
                    .map(available -> new StockLevel(sku, available));
        });
    }

    /**
     * Reads a customer's balance (one read through the template, a transaction of its own, on {@value #BALANCES}).
     *
     * @param customer the customer
     * @return the balance in cents, 0 for a customer without one; {@link CheckoutException} ({@code INVALID_INPUT})
     *     for a malformed name
     */
    public Mono<Balance> balance(String customer) {
        return Mono.defer(() -> {
            requireCustomer(customer);
            return redis.opsFor(BALANCES)
                    .get(balanceKey(customer))
                    .map(Long::parseLong)
                    .defaultIfEmpty(0L)
                    .map(balance -> new Balance(customer, balance));
        });
    }

    /**
     * Reads a customer's order summary (one read through the template, a transaction of its own, on {@value #BALANCES}): what the read model counted
     * from the {@value #ORDER_EVENTS} consumed so far, so it trails the orders by the consumer's lag.
     *
     * @param customer the customer
     * @return orders and cents spent, zeros for a customer without orders; {@link CheckoutException}
     *     ({@code INVALID_INPUT}) for a malformed name
     */
    public Mono<CustomerSummary> customerSummary(String customer) {
        return Mono.defer(() -> {
            requireCustomer(customer);
            return redis.opsFor(BALANCES)
                    .hgetAll(summaryKey(customer))
                    .defaultIfEmpty(Map.of())
                    .map(hash -> new CustomerSummary(
                            customer, count(hash, CustomerSummary.ORDERS), count(hash, CustomerSummary.SPENT)));
        });
    }

    private static long count(Map<String, String> hash, String field) {
        String value = hash.get(field);
        return value == null ? 0 : Long.parseLong(value);
    }

    private ValidOrder validate(OrderRequest request) {
        if (request == null) {
            throw invalid("the order is missing");
        }
        requireCustomer(request.customer());
        if (request.sku() == null) {
            throw invalid("sku is missing");
        }
        long unitPrice = catalog.unitPrice(request.sku())
                .orElseThrow(() -> invalid("sku '" + request.sku() + "' is not in the catalog " + catalog.skus()));
        Integer quantity = request.quantity();
        if (quantity == null) {
            throw invalid("quantity is missing");
        }
        if (quantity < 1 || quantity > MAX_QUANTITY) {
            throw invalid("quantity must be 1 to " + MAX_QUANTITY + ", was " + quantity);
        }
        return new ValidOrder(request.customer(), request.sku(), quantity, unitPrice * quantity);
    }

    private static void requireCustomer(String customer) {
        if (customer == null) {
            throw invalid("customer is missing");
        }
        if (!CUSTOMER.matcher(customer).matches()) {
            throw invalid("customer must be 1 to 64 characters of [A-Za-z0-9._-], was '" + customer + "'");
        }
    }

    private static Map<String, String> fields(Order order) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("id", order.id());
        fields.put("customer", order.customer());
        fields.put("sku", order.sku());
        fields.put("qty", Long.toString(order.quantity()));
        fields.put("amount", Long.toString(order.amount()));
        fields.put("tx", order.transactionId());
        return fields;
    }

    /** @return the {@value #ORDER_PLACED} message: what a consumer needs without reading the order back */
    static Map<String, String> event(Order order) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("event", ORDER_PLACED);
        fields.put("order", order.id());
        fields.put("customer", order.customer());
        fields.put("sku", order.sku());
        fields.put("qty", Long.toString(order.quantity()));
        fields.put("amount", Long.toString(order.amount()));
        return fields;
    }

    private static Mono<Order> parse(Map<String, String> hash) {
        return Mono.fromCallable(() -> new Order(
                hash.get("id"),
                hash.get("customer"),
                hash.get("sku"),
                Long.parseLong(hash.get("qty")),
                Long.parseLong(hash.get("amount")),
                hash.get("tx")));
    }

    /**
     * 128 random bits in hex. Not {@code UUID.randomUUID()}: its {@code SecureRandom} may read {@code /dev/random}, a
     * blocking call on the event loop this runs on; an order id needs to be unique, not unpredictable.
     */
    private static String newOrderId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return String.format("%016x%016x", random.nextLong(), random.nextLong());
    }

    private static CheckoutException invalid(String message) {
        return new CheckoutException(CheckoutException.Reason.INVALID_INPUT, message);
    }

    private static CheckoutException notFound(String message) {
        return new CheckoutException(CheckoutException.Reason.NOT_FOUND, message);
    }

    /** A validated request with its amount. */
    private record ValidOrder(String customer, String sku, int quantity, long amount) {}
}
