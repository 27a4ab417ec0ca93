package io.redtx.runtime;

import io.r2dbc.h2.CloseableConnectionFactory;
import io.r2dbc.h2.H2ConnectionFactory;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.Readable;
import io.redtx.api.external.ExternalParticipant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * A TCC participant backed by a real SQL database: an embedded, in-memory H2 reached through R2DBC. Money is reserved
 * on {@code accounts(id, balance, reserved)}, and each transaction id has one row in the fence table {@code
 * tcc_fence(tx_id, state, account, amount)}, written in the same SQL transaction as the money it guards, so that a
 * step and its fence are never out of step:
 *
 * <ul>
 *   <li>{@code tryReserve} refuses after a cancel (the late try), does nothing after a try or confirm (idempotent),
 *       refuses when the available balance is short (a business refusal), else reserves and records {@code TRIED};
 *   <li>{@code confirm} turns a {@code TRIED} reservation into a debit and records {@code CONFIRMED};
 *   <li>{@code cancel} records {@code CANCELLED} without a try (an empty rollback, which also fences a late try), or
 *       releases a {@code TRIED} reservation; it leaves a {@code CONFIRMED} row as it is and counts a violation.
 * </ul>
 *
 * <p>Every step locks the fence row before the account row: one lock order, so a try and a cancel of the same id can
 * wait for each other but never deadlock. When a try and a cancel both find no fence row, the primary key lets only one
 * insert; the other fails on the duplicate and runs again, then sees the winner's row.
 */
final class SqlLedgerParticipant implements ExternalParticipant {

    static final String TRIED = "TRIED";
    static final String CONFIRMED = "CONFIRMED";
    static final String CANCELLED = "CANCELLED";

    /** SQLSTATE of a unique-constraint violation: a concurrent step of the same id inserted the fence row first. */
    private static final String DUPLICATE_KEY = "23505";

    /** The business refusal: the account cannot cover the amount. */
    static final class InsufficientFunds extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        InsufficientFunds(String account, long amount, long available) {
            super("insufficient funds on " + account + ": " + available + " available, " + amount + " asked");
        }
    }

    private final String name;
    private final CloseableConnectionFactory factory;
    private final AtomicInteger violations = new AtomicInteger();

    /**
     * Creates a fresh in-memory database (a unique name, so tests never share one), kept alive until {@link #close()}.
     *
     * @param name the participant's name
     */
    SqlLedgerParticipant(String name) {
        this.name = name;
        this.factory = H2ConnectionFactory.inMemory("tcc-" + UUID.randomUUID());
    }

    @Override
    public String name() {
        return name;
    }

    /** Creates the tables and opens {@code accounts} accounts {@code acct:0..} with {@code balance} each. */
    Mono<Void> createSchema(int accounts, long balance) {
        return step(c -> Flux.concat(
                                // Concurrent transfers from one account queue on its row lock; H2's default limit
                                // for a new session (a second or two) would turn a queue of a few hundred short steps
                                // on two cores into spurious lock-timeout refusals.
                                update(c, "SET DEFAULT_LOCK_TIMEOUT 10000"),
                                update(
                                        c,
                                        "CREATE TABLE accounts (id VARCHAR(64) PRIMARY KEY, balance BIGINT NOT NULL,"
                                                + " reserved BIGINT NOT NULL,"
                                                + " CHECK (reserved >= 0 AND balance >= reserved))"),
                                update(
                                        c,
                                        "CREATE TABLE tcc_fence (tx_id VARCHAR(128) PRIMARY KEY, state VARCHAR(16) NOT"
                                                + " NULL, account VARCHAR(64), amount BIGINT)"),
                                Flux.range(0, accounts)
                                        .concatMap(i -> update(
                                                c,
                                                "INSERT INTO accounts (id, balance, reserved) VALUES ($1, $2, 0)",
                                                "acct:" + i,
                                                balance)))
                        .then())
                .then();
    }

    @Override
    public Mono<Void> tryReserve(String transactionId, Map<String, String> request) {
        String account = request.get("account");
        long amount = Long.parseLong(request.get("amount"));
        return step(c -> fence(c, transactionId).flatMap(found -> {
                    if (found.isPresent()) {
                        if (CANCELLED.equals(found.get().state())) {
                            // The cancel came first: reserving now would hang, never confirmed nor cancelled.
                            return Mono.error(new IllegalStateException(
                                    "transaction " + transactionId + " was cancelled before its try"));
                        }
                        return Mono.empty(); // TRIED or CONFIRMED: this try already ran
                    }
                    return update(
                                    c,
                                    "INSERT INTO tcc_fence (tx_id, state, account, amount) VALUES ($1, 'TRIED', $2,"
                                            + " $3)",
                                    transactionId,
                                    account,
                                    amount)
                            .then(query(
                                            c,
                                            "SELECT balance - reserved AS available FROM accounts WHERE id = $1 FOR"
                                                    + " UPDATE",
                                            List.of(account),
                                            r -> r.get("available", Long.class))
                                    .next())
                            .flatMap(available -> available < amount
                                    // Rolls back the fence row too: the cancel that follows is an empty rollback.
                                    ? Mono.error(new InsufficientFunds(account, amount, available))
                                    : update(
                                            c,
                                            "UPDATE accounts SET reserved = reserved + $1 WHERE id = $2",
                                            amount,
                                            account))
                            .then();
                }))
                .then();
    }

    @Override
    public Mono<Void> confirm(String transactionId) {
        return step(c -> fence(c, transactionId).flatMap(found -> {
                    Fence f = found.orElse(null);
                    if (f != null && CONFIRMED.equals(f.state())) {
                        return Mono.empty();
                    }
                    if (f == null || !TRIED.equals(f.state())) {
                        // Confirm without a try, or after a cancel: the runtime broke the contract.
                        violations.incrementAndGet();
                        return Mono.empty();
                    }
                    return update(
                                    c,
                                    "UPDATE accounts SET balance = balance - $1, reserved = reserved - $1 WHERE id ="
                                            + " $2",
                                    f.amount(),
                                    f.account())
                            .then(setState(c, transactionId, CONFIRMED));
                }))
                .then();
    }

    @Override
    public Mono<Void> cancel(String transactionId) {
        return step(c -> fence(c, transactionId).flatMap(found -> {
                    if (found.isEmpty()) {
                        // Empty rollback: the try never ran (or was refused). The row also fences a delayed try.
                        return update(c, "INSERT INTO tcc_fence (tx_id, state) VALUES ($1, 'CANCELLED')", transactionId)
                                .then();
                    }
                    Fence f = found.get();
                    if (CONFIRMED.equals(f.state())) {
                        violations.incrementAndGet(); // cancel after a confirm: it stays confirmed
                        return Mono.empty();
                    }
                    if (CANCELLED.equals(f.state())) {
                        return Mono.empty();
                    }
                    return update(
                                    c,
                                    "UPDATE accounts SET reserved = reserved - $1 WHERE id = $2",
                                    f.amount(),
                                    f.account())
                            .then(setState(c, transactionId, CANCELLED));
                }))
                .then();
    }

    /** @return how often confirm or cancel came when the contract says it cannot */
    int violations() {
        return violations.get();
    }

    /** @return the sum of every account's balance and of every reservation */
    Mono<long[]> totals() {
        return step(c -> query(
                        c,
                        "SELECT CAST(COALESCE(SUM(balance), 0) AS BIGINT) AS b,"
                                + " CAST(COALESCE(SUM(reserved), 0) AS BIGINT) AS r FROM accounts",
                        List.of(),
                        r -> new long[] {r.get("b", Long.class), r.get("r", Long.class)})
                .next());
    }

    /** @return every fence row's state, by transaction id */
    Mono<Map<String, String>> fenceStates() {
        return step(c -> query(
                        c,
                        "SELECT tx_id, state FROM tcc_fence",
                        List.of(),
                        r -> Map.entry(r.get("tx_id", String.class), r.get("state", String.class)))
                .collectMap(Map.Entry::getKey, Map.Entry::getValue, LinkedHashMap::new));
    }

    /** @return the amount of every confirmed transaction, by id */
    Mono<Map<String, Long>> confirmedAmounts() {
        return step(c -> query(
                        c,
                        "SELECT tx_id, amount FROM tcc_fence WHERE state = 'CONFIRMED'",
                        List.of(),
                        r -> Map.entry(r.get("tx_id", String.class), r.get("amount", Long.class)))
                .collectMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    /** Drops the database. */
    Mono<Void> close() {
        return factory.close();
    }

    private record Fence(String state, String account, Long amount) {}

    /** The fence row of {@code id}, locked until the step's SQL transaction ends. */
    private static Mono<Optional<Fence>> fence(Connection c, String id) {
        return query(
                        c,
                        "SELECT state, account, amount FROM tcc_fence WHERE tx_id = $1 FOR UPDATE",
                        List.of(id),
                        r -> new Fence(
                                r.get("state", String.class),
                                r.get("account", String.class),
                                r.get("amount", Long.class)))
                .next()
                .map(Optional::of)
                .defaultIfEmpty(Optional.empty());
    }

    private static Mono<Long> setState(Connection c, String id, String state) {
        return update(c, "UPDATE tcc_fence SET state = $1 WHERE tx_id = $2", state, id);
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
     * fails. Lazy: nothing runs until subscribed.
     *
     * <p>r2dbc-h2 is a reactive face on a blocking engine: it runs the embedded H2 on the thread that subscribes, and
     * H2 blocks there (a statement that meets a row lock waits for it; its first error reads H2's message bundle from
     * the jar). The steps are called on Reactor threads, which must not block, so the whole step runs on {@code
     * boundedElastic}; no BlockHound allowance is needed. On the parallel scheduler, concurrent tries on one account
     * trip BlockHound inside the static initializer of H2's {@code DbException}, which leaves that class unusable for
     * the rest of the JVM: every later error becomes a {@code NoClassDefFoundError} and the steps never complete.
     *
     * <p>The step is detached from its caller's cancellation: a caller that stops waiting (the runtime's prepare or
     * commit timeout) leaves it to commit or roll back as a whole, rather than having the rollback race the statement
     * H2 is executing on the elastic thread. That is safe because each step is idempotent and the fence row orders a
     * try and its cancel: a try that commits first is released by the cancel (which waits for the row's lock), a try
     * that comes after the cancel is refused.
     */
    private <T> Mono<T> step(Function<Connection, Mono<T>> work) {
        Mono<T> transaction = Mono.usingWhen(
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
                .retryWhen(Retry.max(3).filter(SqlLedgerParticipant::isDuplicateKey))
                .subscribeOn(Schedulers.boundedElastic());
        return Mono.fromFuture(transaction::toFuture, true);
    }

    private static boolean isDuplicateKey(Throwable e) {
        return e instanceof R2dbcException r && DUPLICATE_KEY.equals(r.getSqlState());
    }
}
