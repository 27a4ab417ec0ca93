package io.redtx.samples.checkout;

import io.redtx.api.RecoveryReport;
import io.redtx.api.RedtxException;
import io.redtx.api.RetryPolicy;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionConflictException;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.external.ExternalParticipantException;
import io.redtx.runtime.RedisTransactionRuntime;
import io.redtx.samples.load.EmbeddedServers;
import io.redtx.test.redis.IntentCount;
import io.redtx.test.redis.Persistence;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Plain Reactor, no Spring: a checkout that spans two Redis servers and two external resources, committed as one redtx
 * transaction. Each checkout takes the items from {@code stock:<item>} on the {@value #INVENTORY} participant
 * (refusing when too few are left), writes {@code order:<id>} on the {@value #ORDERS} participant, and joins two TCC
 * participants: the customer's payment on an HTTP {@link PaymentService} ({@value #PAYMENTS}, through {@link
 * HttpPaymentParticipant}) and the order record in SQL ({@value #ORDERS_SQL}, {@link SqlOrderParticipant} on an {@link
 * H2Server}). The payment is reserved and the SQL order inserted as pending during the prepare; the transaction's
 * record in Redis decides, and both are then confirmed (payment collected, order placed) or cancelled.
 *
 * <p>It runs a batch of concurrent checkouts, some of them from customers with too little money (the payment service
 * declines their try) and more than the stock holds (refused in Redis), waits until every reservation is settled,
 * and checks: the stock sold equals the placed orders' quantities, item by item; the orders in Redis, the placed
 * orders in SQL and the confirmed payments are the same transactions; no payment is left tried nor any order
 * pending; the money is conserved; neither resource saw a contract violation.
 *
 * <pre>{@code
 * ./mvnw -q -pl samples -am compile exec:java -Dexec.mainClass=io.redtx.samples.checkout.TccCheckout
 * }</pre>
 *
 * <p>Exit status: 0 when the checks passed; 1 when one failed or the run could not complete; 2 on bad options.
 */
@Command(
        name = "tcc-checkout",
        mixinStandardHelpOptions = true,
        version = "redtx tcc-checkout 0.1.0-SNAPSHOT",
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "Concurrent checkouts, each one redtx transaction: stock taken in Redis, the order written in Redis, the"
                    + " payment reserved on an HTTP payment service and the order inserted in SQL (both TCC"
                    + " participants), all confirmed or all cancelled. Then a summary and a consistency check.",
            "Without --redis it starts two embedded redis-server processes on free loopback ports; the payment"
                    + " service and the H2 server always run in this JVM, on loopback.",
            ""
        },
        footer = {
            "",
            "With --redis the keys of the run (stock:<run>-item-<i>, order:<run>-order-<n>, <run> a random tag) stay on"
                    + " the servers.",
            "",
            "Exit status: 0 the checks passed; 1 a check failed, or the run could not complete; 2 bad options."
        })
public final class TccCheckout implements Callable<Integer> {

    /** Redis participant holding the stock, {@code stock:<item>}. */
    public static final String INVENTORY = "inventory";
    /** Redis participant holding the orders, {@code order:<id>}. */
    public static final String ORDERS = "orders";
    /** The external participant of the payment service. */
    public static final String PAYMENTS = "payments";
    /** The external participant of the SQL order store. */
    public static final String ORDERS_SQL = "orders-sql";

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Spec
    CommandSpec spec;

    @Option(
            names = "--redis",
            paramLabel = "URI",
            description = "a Redis server to use instead of an embedded one: give it twice, for the " + INVENTORY
                    + " then the " + ORDERS + " participant (redis://host:port[/db], rediss://... for TLS)")
    List<String> redis = new ArrayList<>();

    @Option(
            names = "--checkouts",
            paramLabel = "N",
            defaultValue = "300",
            description = "checkouts to run. Default: ${DEFAULT-VALUE}")
    int checkouts;

    @Option(
            names = "--concurrency",
            paramLabel = "N",
            defaultValue = "16",
            description = "checkouts in flight at any time. Default: ${DEFAULT-VALUE}")
    int concurrency;

    @Option(
            names = "--items",
            paramLabel = "N",
            defaultValue = "6",
            description = "different items on sale, item i at 10 + 5 i per unit. Default: ${DEFAULT-VALUE}")
    int items;

    @Option(
            names = "--stock",
            paramLabel = "N",
            defaultValue = "40",
            description = "opening stock of every item. Default: ${DEFAULT-VALUE}")
    int stock;

    @Option(
            names = "--customers",
            paramLabel = "N",
            defaultValue = "20",
            description = "customers; every fourth one is short of money. Default: ${DEFAULT-VALUE}")
    int customers;

    @Option(
            names = "--balance",
            paramLabel = "AMOUNT",
            defaultValue = "1000",
            description = "opening balance of a customer. Default: ${DEFAULT-VALUE}")
    long balance;

    @Option(
            names = "--poor-balance",
            paramLabel = "AMOUNT",
            defaultValue = "30",
            description = "opening balance of every fourth customer. Default: ${DEFAULT-VALUE}")
    long poorBalance;

    @Option(
            names = "--seed",
            paramLabel = "SEED",
            defaultValue = "42",
            description = "seed of the random checkouts. Default: ${DEFAULT-VALUE}")
    long seed;

    private final PrintStream out;

    /** Creates the command with its output on {@code System.out}. */
    public TccCheckout() {
        this(System.out);
    }

    /** @param out where the summary and the checks go */
    TccCheckout(PrintStream out) {
        this.out = out;
    }

    /**
     * Entry point; exits with the status of {@link #call()} when it is not 0.
     *
     * @param args the options; {@code --help} lists them
     */
    public static void main(String[] args) {
        int status = new CommandLine(new TccCheckout()).execute(args);
        if (status != 0) {
            System.exit(status);
        }
    }

    /**
     * One checkout.
     *
     * @param id the order's id
     * @param customer who buys (the payment account)
     * @param item what
     * @param quantity how many
     * @param amount the price, quantity times the item's price
     */
    public record Checkout(String id, String customer, String item, int quantity, long amount) {}

    /** How a checkout ended: the transaction id of its last attempt, and its outcome's name. */
    record Outcome(Checkout checkout, String transactionId, String kind) {}

    /** A checkout refused because too few items are left: the transaction rolls back before anything is tried. */
    public static final class OutOfStockException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        /**
         * @param item the item
         * @param left how many are left
         * @param wanted how many the checkout wanted
         */
        public OutOfStockException(String item, long left, int wanted) {
            super("out of stock: " + left + " " + item + " left, " + wanted + " wanted");
        }
    }

    /**
     * The checkout transaction: takes the stock, writes the order in Redis and joins the payment and the SQL order.
     * Lazy; a conflict on the stock re-runs it as the runtime's retry policy allows.
     *
     * @param runtime a runtime with participants {@value #INVENTORY} and {@value #ORDERS} and the externals {@value
     *     #PAYMENTS} and {@value #ORDERS_SQL}
     * @param c the checkout
     * @return the committed transaction's id; {@link OutOfStockException} when the stock is short, an {@link
     *     ExternalParticipantException} caused by a {@link PaymentDeclinedException} when the payment is declined
     */
    public static Mono<String> checkout(TransactionRuntime runtime, Checkout c) {
        return runtime.inTransaction(tx -> tx.on(INVENTORY)
                .get(stockKey(c.item()))
                .map(Long::parseLong)
                .defaultIfEmpty(0L)
                .flatMap(left -> left < c.quantity()
                        ? Mono.error(new OutOfStockException(c.item(), left, c.quantity()))
                        : tx.on(INVENTORY).decrBy(stockKey(c.item()), c.quantity()))
                .then(tx.on(ORDERS)
                        .hset(
                                orderKey(c.id()),
                                Map.of(
                                        "tx", tx.id(),
                                        "customer", c.customer(),
                                        "item", c.item(),
                                        "quantity", Integer.toString(c.quantity()),
                                        "amount", Long.toString(c.amount()))))
                .then(tx.external(PAYMENTS, HttpPaymentParticipant.request(c.customer(), c.amount())))
                .then(tx.external(
                        ORDERS_SQL,
                        SqlOrderParticipant.request(c.id(), c.customer(), c.item(), c.quantity(), c.amount())))
                .thenReturn(tx.id()));
    }

    static String stockKey(String item) {
        return "stock:" + item;
    }

    static String orderKey(String id) {
        return "order:" + id;
    }

    /**
     * Runs the whole program: servers, accounts and stock, the checkouts, the wait for every reservation to settle,
     * the checks. Blocks the calling thread (a plain thread, not a Reactor one); stops everything it started.
     *
     * @return 0 if every check passed, 1 if one failed
     * @throws ParameterException on bad options (exit status 2)
     */
    @Override
    public Integer call() {
        validate();
        String run = redis.isEmpty() ? "" : Long.toHexString(new SplittableRandom().nextLong() & 0xffffffL) + "-";
        if (!redis.isEmpty()) {
            return run(null, redis.get(0), redis.get(1), run);
        }
        try (EmbeddedServers servers = EmbeddedServers.start(2, Persistence.IN_MEMORY)) {
            out.println("2 embedded redis-server(s) on ports " + EmbeddedServers.ports(servers.list()));
            return run(servers, servers.get(0).uri(), servers.get(1).uri(), run);
        }
    }

    private void validate() {
        check(redis.isEmpty() || redis.size() == 2, "--redis must be given twice (inventory, orders) or not at all");
        check(checkouts >= 1, "--checkouts must be at least 1, was " + checkouts);
        check(concurrency >= 1, "--concurrency must be at least 1, was " + concurrency);
        check(items >= 1, "--items must be at least 1, was " + items);
        check(stock >= 0, "--stock must be at least 0, was " + stock);
        check(customers >= 1, "--customers must be at least 1, was " + customers);
        check(balance >= 0 && poorBalance >= 0, "--balance and --poor-balance must be at least 0");
    }

    private void check(boolean ok, String message) {
        if (!ok) {
            throw new ParameterException(spec.commandLine(), message);
        }
    }

    private int run(EmbeddedServers servers, String inventoryUri, String ordersUri, String run) {
        try (PaymentService paymentService = PaymentService.start();
                H2Server h2 = H2Server.start();
                SqlOrderParticipant sqlOrders = SqlOrderParticipant.create(ORDERS_SQL, h2.r2dbcUrl("checkout"))) {
            sqlOrders.createSchema().block(WAIT);
            out.println("payment service at " + paymentService.baseUrl() + ", H2 server on port " + h2.port());
            List<String> customerNames = new ArrayList<>();
            long opening = 0;
            for (int i = 0; i < customers; i++) {
                long b = i % 4 == 3 ? poorBalance : balance;
                customerNames.add("customer-" + i);
                paymentService.openAccount("customer-" + i, b);
                opening += b;
            }
            List<String> itemNames = new ArrayList<>();
            for (int i = 0; i < items; i++) {
                itemNames.add(run + "item-" + i);
            }
            TransactionRuntime runtime = RedisTransactionRuntime.create(RuntimeOptions.builder()
                    .participant(INVENTORY, inventoryUri)
                    .participant(ORDERS, ordersUri)
                    .external(new HttpPaymentParticipant(PAYMENTS, paymentService.baseUrl()))
                    .external(sqlOrders)
                    // Every checkout of an item conflicts with the others on its stock key, and with the tries in
                    // the prepare each attempt holds its locks longer than a Redis-only one: more, longer retries.
                    .retryPolicy(RetryPolicy.builder()
                            .maxAttempts(50)
                            .maxBackoff(Duration.ofMillis(300))
                            .build())
                    .timeouts(t -> t.prepare(Duration.ofSeconds(5)).transaction(Duration.ofSeconds(60)))
                    .build());
            try {
                Flux.fromIterable(itemNames)
                        .concatMap(item -> runtime.inTransaction(
                                tx -> tx.on(INVENTORY).set(stockKey(item), Integer.toString(stock))))
                        .blockLast(WAIT);
                List<Checkout> batch = checkouts(run, customerNames, itemNames);
                out.printf(
                        "%d checkouts of %d items (%d in stock each) by %d customers, %d at a time%n",
                        checkouts, items, stock, customers, concurrency);
                long start = System.nanoTime();
                List<Outcome> outcomes = Flux.fromIterable(batch)
                        .flatMap(c -> outcome(runtime, c), concurrency)
                        .collectList()
                        .block(Duration.ofMinutes(10));
                double seconds = (System.nanoTime() - start) / 1e9;
                boolean settled = settle(runtime, servers, paymentService, sqlOrders);
                return report(
                        runtime, paymentService, sqlOrders, itemNames, batch, outcomes, opening, seconds, settled);
            } finally {
                runtime.closeGracefully().block(WAIT);
            }
        }
    }

    private List<Checkout> checkouts(String run, List<String> customerNames, List<String> itemNames) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Checkout> batch = new ArrayList<>();
        for (int n = 0; n < checkouts; n++) {
            int item = random.nextInt(items);
            int quantity = 1 + random.nextInt(3);
            batch.add(new Checkout(
                    run + "order-" + n,
                    customerNames.get(random.nextInt(customers)),
                    itemNames.get(item),
                    quantity,
                    quantity * (10L + 5L * item)));
        }
        return batch;
    }

    private static Mono<Outcome> outcome(TransactionRuntime runtime, Checkout c) {
        return checkout(runtime, c)
                .map(id -> new Outcome(c, id, "committed"))
                .onErrorResume(e ->
                        Mono.just(new Outcome(c, e instanceof RedtxException r ? r.transactionId() : null, kind(e))));
    }

    private static String kind(Throwable e) {
        if (e instanceof OutOfStockException) {
            return "out of stock";
        }
        if (e instanceof ExternalParticipantException x) {
            if (x.getCause() instanceof PaymentDeclinedException) {
                return "payment declined";
            }
            return "external " + x.participant() + " refused ("
                    + (x.getCause() == null ? "late" : x.getCause().getClass().getSimpleName()) + ")";
        }
        if (e instanceof TransactionConflictException) {
            return "conflict (retries exhausted)";
        }
        return e.getClass().getSimpleName();
    }

    /**
     * Waits (bounded) until no payment is left tried, no order pending and, on embedded servers, no intent left:
     * aborted transactions cancel their participants in the background, and a recovery pass settles what those
     * cancels (or confirms) left.
     */
    private boolean settle(
            TransactionRuntime runtime, EmbeddedServers servers, PaymentService payments, SqlOrderParticipant orders) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            RecoveryReport report = runtime.recover().block(WAIT);
            boolean done = !payments.states().containsValue(PaymentService.TRIED)
                    && !orders.states().block(WAIT).containsValue(SqlOrderParticipant.PENDING)
                    && report.externalsPending() == 0
                    && (servers == null
                            || IntentCount.on("redtx:", servers.list()).none());
            if (done || System.nanoTime() > deadline) {
                return done;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    private int report(
            TransactionRuntime runtime,
            PaymentService payments,
            SqlOrderParticipant sqlOrders,
            List<String> itemNames,
            List<Checkout> batch,
            List<Outcome> outcomes,
            long opening,
            double seconds,
            boolean settled) {
        Map<String, Long> kinds =
                outcomes.stream().collect(Collectors.groupingBy(Outcome::kind, TreeMap::new, Collectors.counting()));
        out.printf("%d checkouts in %.2f s: %s%n", outcomes.size(), seconds, kinds);

        Map<String, String> paymentStates = payments.states();
        List<SqlOrderParticipant.Order> sqlRows = sqlOrders.orders().block(WAIT);
        Map<String, String> sqlStates = sqlOrders.states().block(WAIT);
        Map<String, Long> stockLeft = readStock(runtime, itemNames);
        List<Map<String, String>> redisOrders = readOrders(runtime, batch);
        // A cancelled payment or SQL order is a declined payment's transaction, or an attempt rolled back by a
        // conflict on the stock (the checkout then ran again under a new transaction id).
        out.println("payments: " + count(paymentStates.values()) + ", collected " + payments.collected());
        out.println("orders in SQL: " + count(sqlStates.values()));
        out.println("orders in Redis: " + redisOrders.size() + "; stock left " + stockLeft);

        List<String> failures = new ArrayList<>();
        // 1. Nothing undecided.
        if (!settled) {
            failures.add("not settled within " + WAIT.toSeconds() + " s: " + count(paymentStates.values()) + ", "
                    + count(sqlStates.values()));
        }
        // 2. The stock sold is what the placed orders took, item by item.
        Map<String, Long> placedByItem = new TreeMap<>();
        Set<String> placedTx = new HashSet<>();
        long placedAmount = 0;
        for (SqlOrderParticipant.Order o : sqlRows) {
            if (SqlOrderParticipant.PLACED.equals(o.state())) {
                placedByItem.merge(o.item(), (long) o.quantity(), Long::sum);
                placedTx.add(o.transactionId());
                placedAmount += o.amount();
            }
        }
        for (String item : itemNames) {
            long sold = stock - stockLeft.get(item);
            long placed = placedByItem.getOrDefault(item, 0L);
            if (sold != placed || stockLeft.get(item) < 0) {
                failures.add(item + ": " + sold + " sold, " + placed + " in placed orders");
            }
        }
        // 3. The orders in Redis, the placed orders in SQL and the confirmed payments are the same transactions, and
        // every checkout reported committed is one of them.
        Set<String> redisTx = redisOrders.stream().map(m -> m.get("tx")).collect(Collectors.toSet());
        Set<String> confirmedTx = paymentStates.entrySet().stream()
                .filter(e -> PaymentService.CONFIRMED.equals(e.getValue()))
                .map(Map.Entry::getKey)
                .collect(Collectors.toSet());
        if (!redisTx.equals(placedTx) || !placedTx.equals(confirmedTx)) {
            failures.add("transactions differ: " + redisTx.size() + " orders in Redis, " + placedTx.size()
                    + " placed in SQL, " + confirmedTx.size() + " payments confirmed");
        }
        long committed = outcomes.stream()
                .filter(o -> o.kind().equals("committed"))
                .filter(o -> !placedTx.contains(o.transactionId()))
                .count();
        if (committed > 0) {
            failures.add(committed + " committed checkouts without a placed order");
        }
        // 4. Money is conserved, and what was collected is what the placed orders cost.
        long held = payments.collected();
        for (int i = 0; i < customers; i++) {
            held += payments.balance("customer-" + i) + payments.reserved("customer-" + i);
        }
        if (held != opening || payments.collected() != placedAmount) {
            failures.add("money: opened " + opening + ", now " + held + "; collected " + payments.collected()
                    + ", placed orders cost " + placedAmount);
        }
        // 5. Neither resource saw the contract broken.
        int violations = payments.violations() + sqlOrders.violations().block(WAIT);
        if (violations != 0) {
            failures.add(violations + " contract violations (payments " + payments.violations() + ")");
        }
        out.printf(
                "check: %d placed, stock sold = placed quantities, Redis orders = SQL placed = confirmed payments,"
                        + " money %d of %d, violations %d: %s%n",
                placedTx.size(), held, opening, violations, failures.isEmpty() ? "PASS" : "FAIL");
        failures.forEach(f -> out.println("  FAIL " + f));
        out.println("RESULT: " + (failures.isEmpty() ? "PASS" : "FAIL"));
        return failures.isEmpty() ? 0 : 1;
    }

    private static Map<String, Long> readStock(TransactionRuntime runtime, List<String> itemNames) {
        Map<String, Long> left = new TreeMap<>();
        runtime.inTransaction(tx -> Flux.fromIterable(itemNames)
                        .concatMap(item ->
                                tx.on(INVENTORY).get(stockKey(item)).doOnNext(v -> left.put(item, Long.parseLong(v))))
                        .then())
                .block(WAIT);
        return left;
    }

    private static List<Map<String, String>> readOrders(TransactionRuntime runtime, List<Checkout> batch) {
        List<Map<String, String>> found = new ArrayList<>();
        runtime.inTransaction(tx -> Flux.fromIterable(batch)
                        .concatMap(c -> tx.on(ORDERS).hgetAll(orderKey(c.id())))
                        .filter(m -> !m.isEmpty())
                        .doOnNext(found::add)
                        .then())
                .block(WAIT);
        return found;
    }

    private static Map<String, Long> count(Collection<String> states) {
        Map<String, Long> counts = new TreeMap<>();
        for (String s : states) {
            counts.merge(s, 1L, Long::sum);
        }
        return counts;
    }
}
