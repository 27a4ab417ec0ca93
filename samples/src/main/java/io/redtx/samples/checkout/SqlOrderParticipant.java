package io.redtx.samples.checkout;

import io.r2dbc.h2.H2ConnectionConfiguration;
import io.r2dbc.h2.H2ConnectionFactory;
import io.r2dbc.spi.Closeable;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.Readable;
import io.redtx.api.external.ExternalParticipant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * The order record of a checkout, kept in a SQL database (H2 through R2DBC) and written as a TCC participant: the try
 * inserts the order as {@code PENDING}, the confirm makes it {@code PLACED}, the cancel {@code CANCELLED}. Each
 * transaction id has one row in the fence table {@code order_fence(tx_id, state)}, written in the same SQL transaction
 * as the order it guards:
 *
 * <ul>
 *   <li>{@code tryReserve} refuses after a cancel ({@link OrderFencedException}: the late try places nothing), does
 *       nothing after a try or a confirm (idempotent), else inserts the order {@code PENDING} and the fence {@code
 *       TRIED};
 *   <li>{@code confirm} makes a {@code TRIED} one {@code PLACED} / {@code CONFIRMED}; again: nothing;
 *   <li>{@code cancel} makes a {@code TRIED} one {@code CANCELLED}; without a try it records a fence row alone (an
 *       empty rollback, which also refuses a late try); again: nothing.
 * </ul>
 *
 * <p>A confirm without a try or after a cancel, and a cancel after a confirm, break the contract: the row stays as it
 * is, the call completes (so that nobody calls it forever), and a row in {@code order_violations} records it, counted
 * by {@link #violations()}. Everything lives in the database, so another client of it (a participant created again,
 * another JVM) sees the same orders, fences and violations.
 *
 * <p>Every step locks the fence row first, so a try and a cancel of the same id wait for each other; when both find
 * no row, the primary key lets one insert and the other runs again and sees it. r2dbc-h2 runs H2's blocking JDBC
 * engine on the thread that subscribes, so every step runs on a scheduler of this participant's own and never on the
 * caller's Reactor thread.
 */
public final class SqlOrderParticipant implements ExternalParticipant, AutoCloseable {

    /** An order tried, not yet decided. */
    public static final String PENDING = "PENDING";
    /** An order whose transaction committed. */
    public static final String PLACED = "PLACED";
    /** An order (or a fence without one) whose transaction rolled back. */
    public static final String CANCELLED = "CANCELLED";

    private static final String TRIED = "TRIED";
    private static final String CONFIRMED = "CONFIRMED";
    /** SQLSTATE of a unique-constraint violation: a concurrent step of the same id inserted the fence row first. */
    private static final String DUPLICATE_KEY = "23505";

    /**
     * One order row.
     *
     * @param transactionId the transaction that tried it
     * @param orderId the order's id
     * @param customer who ordered
     * @param item what
     * @param quantity how many
     * @param amount the price paid
     * @param state {@link #PENDING}, {@link #PLACED} or {@link #CANCELLED}
     */
    public record Order(
            String transactionId,
            String orderId,
            String customer,
            String item,
            int quantity,
            long amount,
            String state) {}

    private final String name;
    private final ConnectionFactory factory;
    private final Scheduler scheduler;

    private SqlOrderParticipant(String name, ConnectionFactory factory) {
        this.name = name;
        this.factory = factory;
        this.scheduler = Schedulers.newBoundedElastic(16, 100_000, "sql-" + name, 60, true);
    }

    /**
     * Creates the participant; connects lazily, on the first step. Run {@link #createSchema()} before its first
     * transaction.
     *
     * @param name the participant's name, as registered with the runtime and named by transactions
     * @param r2dbcUrl {@code r2dbc:h2:tcp://...} ({@link H2Server#r2dbcUrl(String)}, connecting as {@link
     *     H2Server#USER}), or any URL r2dbc-h2 takes, such as {@code r2dbc:h2:mem:///orders;DB_CLOSE_DELAY=-1}
     * @return the participant
     */
    public static SqlOrderParticipant create(String name, String r2dbcUrl) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(r2dbcUrl, "r2dbcUrl");
        String tcp = "r2dbc:h2:tcp:";
        // r2dbc-h2's URL parser knows only the mem and file protocols: a server's URL goes to H2 as it is.
        ConnectionFactory factory = r2dbcUrl.startsWith(tcp)
                ? new H2ConnectionFactory(H2ConnectionConfiguration.builder()
                        .url(r2dbcUrl.substring("r2dbc:h2:".length()))
                        .username(H2Server.USER)
                        .build())
                : ConnectionFactories.get(r2dbcUrl);
        return new SqlOrderParticipant(name, factory);
    }

    /**
     * The request of an order, for {@link io.redtx.api.Transaction#external(String, Map)}.
     *
     * @param orderId the order's id
     * @param customer who orders
     * @param item what
     * @param quantity how many, at least 1
     * @param amount the price
     * @return keys {@code order}, {@code customer}, {@code item}, {@code quantity}, {@code amount}
     */
    public static Map<String, String> request(String orderId, String customer, String item, int quantity, long amount) {
        if (quantity < 1) {
            throw new IllegalArgumentException("quantity must be at least 1, was " + quantity);
        }
        return Map.of(
                "order", Objects.requireNonNull(orderId, "orderId"),
                "customer", Objects.requireNonNull(customer, "customer"),
                "item", Objects.requireNonNull(item, "item"),
                "quantity", Integer.toString(quantity),
                "amount", Long.toString(amount));
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * Creates the tables if they do not exist; lazy. Also raises the database's lock timeout to 10 s: concurrent steps
     * queue on the fence rows, and H2's default (1 s) would turn a queue into spurious failures.
     *
     * @return completes once the tables exist
     */
    public Mono<Void> createSchema() {
        return step(c -> Flux.concat(
                                update(c, "SET DEFAULT_LOCK_TIMEOUT 10000"),
                                update(
                                        c,
                                        "CREATE TABLE IF NOT EXISTS order_fence (tx_id VARCHAR(256) PRIMARY KEY,"
                                                + " state VARCHAR(16) NOT NULL)"),
                                update(
                                        c,
                                        "CREATE TABLE IF NOT EXISTS orders (tx_id VARCHAR(256) PRIMARY KEY,"
                                                + " order_id VARCHAR(256) NOT NULL, customer VARCHAR(256) NOT NULL,"
                                                + " item VARCHAR(256) NOT NULL, quantity INT NOT NULL,"
                                                + " amount BIGINT NOT NULL, state VARCHAR(16) NOT NULL)"),
                                update(
                                        c,
                                        "CREATE TABLE IF NOT EXISTS order_violations (id BIGINT AUTO_INCREMENT"
                                                + " PRIMARY KEY, tx_id VARCHAR(256) NOT NULL,"
                                                + " what VARCHAR(64) NOT NULL)"))
                        .then())
                .then();
    }

    /**
     * Inserts the order {@code PENDING}; lazy.
     *
     * @param transactionId the transaction's id
     * @param request {@link #request(String, String, String, int, long)}
     * @return completes once inserted (also when it already was); {@link OrderFencedException} when the transaction
     *     was cancelled first
     */
    @Override
    public Mono<Void> tryReserve(String transactionId, Map<String, String> request) {
        return Mono.defer(() -> {
            int quantity = Integer.parseInt(request.get("quantity"));
            long amount = Long.parseLong(request.get("amount"));
            return step(c -> fence(c, transactionId).flatMap(found -> {
                if (found.isPresent()) {
                    return CANCELLED.equals(found.get())
                            // The cancel came first: an order placed now would stay pending for ever.
                            ? Mono.error(new OrderFencedException(transactionId))
                            : Mono.empty(); // TRIED or CONFIRMED: this try already ran
                }
                return update(c, "INSERT INTO order_fence (tx_id, state) VALUES ($1, 'TRIED')", transactionId)
                        .then(update(
                                c,
                                "INSERT INTO orders (tx_id, order_id, customer, item, quantity, amount, state)"
                                        + " VALUES ($1, $2, $3, $4, $5, $6, 'PENDING')",
                                transactionId,
                                request.get("order"),
                                request.get("customer"),
                                request.get("item"),
                                quantity,
                                amount))
                        .then();
            }));
        });
    }

    /**
     * Makes the order {@code PLACED}; lazy.
     *
     * @param transactionId the transaction's id
     * @return completes once placed (also when it already was, and after recording a violation when there is no tried
     *     order)
     */
    @Override
    public Mono<Void> confirm(String transactionId) {
        return step(c -> fence(c, transactionId).flatMap(found -> {
            String state = found.orElse(null);
            if (CONFIRMED.equals(state)) {
                return Mono.empty();
            }
            if (!TRIED.equals(state)) {
                return violation(c, transactionId, "confirm " + (state == null ? "without try" : "after cancel"));
            }
            return setStates(c, transactionId, CONFIRMED, PLACED);
        }));
    }

    /**
     * Makes the order {@code CANCELLED}, or records the cancel alone when no try came; lazy.
     *
     * @param transactionId the transaction's id
     * @return completes once cancelled (also when it already was, and after recording a violation when the order was
     *     placed: it stays placed)
     */
    @Override
    public Mono<Void> cancel(String transactionId) {
        return step(c -> fence(c, transactionId).flatMap(found -> {
            if (found.isEmpty()) {
                // Empty rollback: the try never ran, or failed. The row also fences a delayed try.
                return update(c, "INSERT INTO order_fence (tx_id, state) VALUES ($1, 'CANCELLED')", transactionId)
                        .then();
            }
            return switch (found.get()) {
                case CANCELLED -> Mono.empty();
                case CONFIRMED -> violation(c, transactionId, "cancel after confirm");
                default -> setStates(c, transactionId, CANCELLED, CANCELLED);
            };
        }));
    }

    /**
     * Reads every transaction's state; lazy.
     *
     * @return by transaction id: {@link #PENDING}, {@link #PLACED} or {@link #CANCELLED} (also for a cancel that came
     *     without a try)
     */
    public Mono<Map<String, String>> states() {
        return step(c -> query(
                        c,
                        "SELECT tx_id, state FROM order_fence",
                        List.of(),
                        r -> Map.entry(r.get("tx_id", String.class), orderState(r.get("state", String.class))))
                .collectMap(Map.Entry::getKey, Map.Entry::getValue, LinkedHashMap::new));
    }

    /**
     * Reads every order; lazy.
     *
     * @return the orders, in no particular order
     */
    public Mono<List<Order>> orders() {
        return step(c -> query(
                        c,
                        "SELECT tx_id, order_id, customer, item, quantity, amount, state FROM orders",
                        List.of(),
                        r -> new Order(
                                r.get("tx_id", String.class),
                                r.get("order_id", String.class),
                                r.get("customer", String.class),
                                r.get("item", String.class),
                                r.get("quantity", Integer.class),
                                r.get("amount", Long.class),
                                r.get("state", String.class)))
                .collectList());
    }

    /**
     * Counts the calls that broke the contract; lazy.
     *
     * @return how many confirms came without a try or after a cancel, and cancels after a confirm
     */
    public Mono<Integer> violations() {
        return step(c -> query(
                        c,
                        "SELECT COUNT(*) AS n FROM order_violations",
                        List.of(),
                        r -> r.get("n", Long.class).intValue())
                .next());
    }

    /**
     * Releases the connection factory (dropping an embedded in-memory database that nothing else keeps open) and the
     * participant's scheduler. The data on a server stays. Blocks, briefly: call it from a main or test thread.
     */
    @Override
    public void close() {
        try {
            if (factory instanceof Closeable closeable) {
                Mono.from(closeable.close()).subscribeOn(scheduler).block(java.time.Duration.ofSeconds(10));
            }
        } finally {
            scheduler.dispose();
        }
    }

    private static String orderState(String fenceState) {
        return switch (fenceState) {
            case TRIED -> PENDING;
            case CONFIRMED -> PLACED;
            default -> CANCELLED;
        };
    }

    /** The fence row's state of {@code id}, locked until the step's SQL transaction ends. */
    private static Mono<Optional<String>> fence(Connection c, String id) {
        return query(
                        c,
                        "SELECT state FROM order_fence WHERE tx_id = $1 FOR UPDATE",
                        List.of(id),
                        r -> r.get("state", String.class))
                .next()
                .map(Optional::of)
                .defaultIfEmpty(Optional.empty());
    }

    private static Mono<Void> setStates(Connection c, String id, String fenceState, String orderState) {
        return update(c, "UPDATE order_fence SET state = $1 WHERE tx_id = $2", fenceState, id)
                .then(update(c, "UPDATE orders SET state = $1 WHERE tx_id = $2", orderState, id))
                .then();
    }

    private static Mono<Void> violation(Connection c, String id, String what) {
        return update(c, "INSERT INTO order_violations (tx_id, what) VALUES ($1, $2)", id, what)
                .then();
    }

    private static Mono<Long> update(Connection c, String sql, Object... binds) {
        return Mono.defer(() -> {
            var statement = c.createStatement(sql);
            for (int i = 0; i < binds.length; i++) {
                statement.bind(i, binds[i]);
            }
            return Flux.from(statement.execute())
                    .flatMap(result -> result.getRowsUpdated())
                    .reduce(0L, (sum, n) -> sum + n.longValue());
        });
    }

    private static <T> Flux<T> query(Connection c, String sql, List<Object> binds, Function<Readable, T> mapper) {
        return Flux.defer(() -> {
            var statement = c.createStatement(sql);
            for (int i = 0; i < binds.size(); i++) {
                statement.bind(i, binds.get(i));
            }
            return Flux.from(statement.execute()).flatMap(result -> result.map(mapper::apply));
        });
    }

    /**
     * Runs {@code work} in one SQL transaction on a connection of its own: committed if it completes, rolled back if it
     * fails. Lazy.
     *
     * <p>The whole step runs on this participant's scheduler: H2 blocks the thread it runs on (socket reads, row
     * locks). It is detached from its caller's cancellation: a caller that stops waiting (a prepare or commit timeout)
     * leaves it to commit or roll back as a whole instead of racing a rollback against the statement H2 is running.
     * Safe because each step is idempotent and the fence row orders a try and its cancel.
     */
    private <T> Mono<T> step(Function<Connection, Mono<T>> work) {
        return Mono.defer(() -> {
            Mono<Done<T>> transaction = Mono.usingWhen(
                            factory.create(),
                            c -> Mono.usingWhen(
                                    Mono.from(c.beginTransaction()).thenReturn(c),
                                    work,
                                    Connection::commitTransaction,
                                    (tx, error) -> tx.rollbackTransaction(),
                                    Connection::rollbackTransaction),
                            Connection::close)
                    // A try and a cancel of the same id that both found no fence row: the loser runs again and sees
                    // the winner's row.
                    .retryWhen(Retry.max(3).filter(SqlOrderParticipant::isDuplicateKey))
                    .subscribeOn(scheduler)
                    // An error that comes after the caller left (a try the runtime gave up on, then fenced by the
                    // cancel that overtook it) is nobody's business: carried as a value, it is not reported as
                    // dropped.
                    .map(Done::of)
                    .onErrorResume(e -> Mono.just(Done.failed(e)))
                    .defaultIfEmpty(Done.empty());
            return Mono.fromFuture(transaction::toFuture, true).flatMap(Done::signal);
        });
    }

    /** How a step ended, as a value: its result, nothing, or its error. */
    private record Done<T>(T value, Throwable error) {
        static <T> Done<T> of(T value) {
            return new Done<>(value, null);
        }

        static <T> Done<T> failed(Throwable error) {
            return new Done<>(null, error);
        }

        static <T> Done<T> empty() {
            return new Done<>(null, null);
        }

        Mono<T> signal() {
            return error != null ? Mono.error(error) : Mono.justOrEmpty(value);
        }
    }

    private static boolean isDuplicateKey(Throwable e) {
        return e instanceof R2dbcException r && DUPLICATE_KEY.equals(r.getSqlState());
    }
}
