package io.redtx.samples.checkout;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * A payment service with TCC endpoints, served over HTTP on Reactor Netty (loopback, a free port): the external
 * resource of the checkout sample, and of tests that need a real remote participant. Money sits in accounts kept in
 * memory; every payment is known by its id (the redtx transaction id, or a saga step's idempotency key), and the id's
 * state is its fence:
 *
 * <ul>
 *   <li>{@code POST /payments/{id}/try}, body {@code {"account":"...","amount":N}}: moves the amount from the
 *       account's balance to its reservations ({@code TRIED}), 204. Again for the same id: 204, nothing more. 402 when
 *       the balance is short, 404 for an unknown account, 409 when the id was already cancelled or refunded (a late
 *       try, fenced: it reserves nothing);
 *   <li>{@code POST /payments/{id}/confirm}: {@code TRIED} to {@code CONFIRMED} (the reservation is collected), 204;
 *       again: 204. 409 when there is no {@code TRIED} or {@code CONFIRMED} payment (counted as a violation);
 *   <li>{@code POST /payments/{id}/cancel}: {@code TRIED} to {@code CANCELLED} (the reservation goes back to the
 *       balance), 204; without a payment, records {@code CANCELLED} (an empty rollback, which fences a late try), 204;
 *       again: 204. 409 for a confirmed or refunded payment (a violation: it stays as it is);
 *   <li>{@code POST /payments/{id}/charge}, body as for the try: a try and its confirm in one call, for saga steps;
 *       idempotent; 402, 404 and 409 as for the try;
 *   <li>{@code POST /payments/{id}/refund}: {@code CONFIRMED} to {@code REFUNDED} (the money goes back once), 204;
 *       without a payment, records {@code REFUNDED} (which fences a late charge), 204; again: 204. 409 for a {@code
 *       TRIED} or {@code CANCELLED} payment (a violation);
 *   <li>{@code GET /payments/{id}}: {@code {"state":"...","account":"...","amount":N}}, or 404.
 * </ul>
 *
 * <p>Every state change runs under one lock, held for a few map operations only: the handlers run on Netty's event
 * loop and must not wait long. Money is conserved: the opening balances equal {@link #balance} plus {@link #reserved}
 * of every account plus {@link #collected()}.
 */
public final class PaymentService implements AutoCloseable {

    /** A payment's state after a successful try. */
    public static final String TRIED = "TRIED";
    /** A payment's state after its confirm (or a charge). */
    public static final String CONFIRMED = "CONFIRMED";
    /** A payment's state after its cancel, with or without a try. */
    public static final String CANCELLED = "CANCELLED";
    /** A payment's state after its refund, with or without a charge. */
    public static final String REFUNDED = "REFUNDED";

    /** One account: the money available and the money held by tried payments. */
    private static final class Account {
        long balance;
        long reserved;

        Account(long balance) {
            this.balance = balance;
        }
    }

    private record Payment(String state, String account, long amount) {
        Payment with(String newState) {
            return new Payment(newState, account, amount);
        }
    }

    /** What an operation answers: a status, and a body for the GET. */
    private record Reply(HttpResponseStatus status, String body) {
        static Reply of(HttpResponseStatus status) {
            return new Reply(status, null);
        }
    }

    private static final Reply NO_CONTENT = Reply.of(HttpResponseStatus.NO_CONTENT);

    /** Calls of one operation still to delay, and by how much. */
    private record Delay(int times, Duration delay) {}

    private final Object lock = new Object();
    private final Map<String, Account> accounts = new HashMap<>();
    private final Map<String, Payment> payments = new LinkedHashMap<>();
    private final Map<String, Integer> failures = new HashMap<>();
    private final Map<String, Delay> delays = new HashMap<>();
    private long collected;
    private int violations;
    private int fenced;
    private DisposableServer server;

    private PaymentService() {}

    /**
     * Starts the service on 127.0.0.1, on a free port. Blocks until bound: call it from a main or test thread, not from
     * a Reactor thread.
     *
     * @return the running service
     */
    public static PaymentService start() {
        PaymentService service = new PaymentService();
        service.server = HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .route(routes -> routes.post("/payments/{id}/try", (req, res) -> service.handle("try", req, res))
                        .post("/payments/{id}/confirm", (req, res) -> service.handle("confirm", req, res))
                        .post("/payments/{id}/cancel", (req, res) -> service.handle("cancel", req, res))
                        .post("/payments/{id}/charge", (req, res) -> service.handle("charge", req, res))
                        .post("/payments/{id}/refund", (req, res) -> service.handle("refund", req, res))
                        .get("/payments/{id}", (req, res) -> service.handle("get", req, res)))
                .bindNow(Duration.ofSeconds(10));
        return service;
    }

    /** @return {@code http://127.0.0.1:<port>}, the base of every endpoint */
    public String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    /**
     * Opens an account, or sets the balance of an existing one.
     *
     * @param account the account's name
     * @param balance the money available, at least 0
     */
    public void openAccount(String account, long balance) {
        Objects.requireNonNull(account, "account");
        if (balance < 0) {
            throw new IllegalArgumentException("balance must be at least 0, was " + balance);
        }
        synchronized (lock) {
            accounts.computeIfAbsent(account, a -> new Account(0)).balance = balance;
        }
    }

    /**
     * @param account an account's name
     * @return the money available on it, reservations not counted; 0 for an unknown account
     */
    public long balance(String account) {
        synchronized (lock) {
            Account a = accounts.get(account);
            return a == null ? 0 : a.balance;
        }
    }

    /**
     * @param account an account's name
     * @return the money held on it by {@code TRIED} payments; 0 for an unknown account
     */
    public long reserved(String account) {
        synchronized (lock) {
            Account a = accounts.get(account);
            return a == null ? 0 : a.reserved;
        }
    }

    /** @return the money confirmed (and charged) payments took, less what refunds gave back */
    public long collected() {
        synchronized (lock) {
            return collected;
        }
    }

    /** @return every payment's state by id ({@link #TRIED}, {@link #CONFIRMED}, ...), a copy */
    public Map<String, String> states() {
        synchronized (lock) {
            Map<String, String> copy = new LinkedHashMap<>();
            payments.forEach((id, p) -> copy.put(id, p.state()));
            return copy;
        }
    }

    /**
     * @return how many calls broke the TCC contract: a confirm without a try or after a cancel, a cancel after a
     *     confirm, a refund of a tried or cancelled payment
     */
    public int violations() {
        synchronized (lock) {
            return violations;
        }
    }

    /** @return how many tries or charges came after their id's cancel or refund, and were refused (409) */
    public int fenced() {
        synchronized (lock) {
            return fenced;
        }
    }

    /**
     * Makes the next {@code times} calls of {@code operation} answer 503 without doing anything: a service that is
     * down for a while, for tests of retries and recovery.
     *
     * @param operation {@code try}, {@code confirm}, {@code cancel}, {@code charge}, {@code refund} or {@code get}
     * @param times how many calls fail, from now
     */
    public void failNext(String operation, int times) {
        synchronized (lock) {
            failures.put(operation, times);
        }
    }

    /**
     * Makes the next {@code times} calls of {@code operation} wait {@code delay} (on a timer, not on the event loop)
     * before they take effect: a slow network or service, for tests of a try that arrives after its cancel.
     *
     * @param operation {@code try}, {@code confirm}, {@code cancel}, {@code charge}, {@code refund} or {@code get}
     * @param times how many calls are delayed, from now
     * @param delay how long each waits
     */
    public void delayNext(String operation, int times, Duration delay) {
        Objects.requireNonNull(delay, "delay");
        synchronized (lock) {
            delays.put(operation, new Delay(times, delay));
        }
    }

    /** Stops the server, waiting (bounded) for it to unbind. */
    @Override
    public void close() {
        server.disposeNow(Duration.ofSeconds(10));
    }

    private Publisher<Void> handle(String operation, HttpServerRequest request, HttpServerResponse response) {
        String id;
        try {
            id = URLDecoder.decode(request.param("id"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) { // a malformed %-escape
            return response.status(HttpResponseStatus.BAD_REQUEST).send();
        }
        boolean withBody = "try".equals(operation) || "charge".equals(operation);
        Mono<String> body = withBody
                ? request.receive().aggregate().asString(StandardCharsets.UTF_8).defaultIfEmpty("")
                : Mono.just("");
        Mono<Reply> reply = body.flatMap(b -> {
            Mono<Reply> work =
                    Mono.fromSupplier(() -> withBody ? withBody(operation, id, b) : apply(operation, id, null, 0));
            Duration delay = takeDelay(operation);
            if (delay == null) {
                return work;
            }
            // Like a real service, it finishes what it received even when the caller has gone: that is how a try
            // comes after the cancel of its transaction.
            return Mono.fromFuture(Mono.delay(delay).then(work).toFuture(), true);
        });
        return reply.flatMap(r -> {
            response.status(r.status());
            if (r.body() == null) {
                return response.send().then();
            }
            return response.header(HttpHeaderNames.CONTENT_TYPE, "application/json")
                    .sendString(Mono.just(r.body()))
                    .then();
        });
    }

    private Duration takeDelay(String operation) {
        synchronized (lock) {
            Delay d = delays.get(operation);
            if (d == null || d.times() <= 0) {
                return null;
            }
            delays.put(operation, new Delay(d.times() - 1, d.delay()));
            return d.delay();
        }
    }

    private Reply withBody(String operation, String id, String body) {
        String account;
        long amount;
        try {
            Map<String, String> m = Json.read(body);
            account = m.get("account");
            amount = Long.parseLong(m.get("amount"));
        } catch (IllegalArgumentException e) { // bad JSON, or a missing or malformed amount
            return new Reply(HttpResponseStatus.BAD_REQUEST, null);
        }
        if (account == null || amount < 0) {
            return new Reply(HttpResponseStatus.BAD_REQUEST, null);
        }
        return apply(operation, id, account, amount);
    }

    /** One operation on payment {@code id}, under the lock. */
    private Reply apply(String operation, String id, String account, long amount) {
        synchronized (lock) {
            Integer failing = failures.get(operation);
            if (failing != null && failing > 0) {
                failures.put(operation, failing - 1);
                return Reply.of(HttpResponseStatus.SERVICE_UNAVAILABLE);
            }
            Payment p = payments.get(id);
            return switch (operation) {
                case "try" -> reserve(id, p, account, amount);
                case "confirm" -> confirm(id, p);
                case "cancel" -> cancel(id, p);
                case "charge" -> {
                    Reply tried = reserve(id, p, account, amount);
                    yield tried.status() == HttpResponseStatus.NO_CONTENT ? confirm(id, payments.get(id)) : tried;
                }
                case "refund" -> refund(id, p);
                default -> p == null ? Reply.of(HttpResponseStatus.NOT_FOUND) : describe(p);
            };
        }
    }

    private static Reply describe(Payment p) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("state", p.state());
        if (p.account() != null) { // a fence recorded without a try has none
            body.put("account", p.account());
            body.put("amount", p.amount());
        }
        return new Reply(HttpResponseStatus.OK, Json.write(body));
    }

    private Reply reserve(String id, Payment p, String account, long amount) {
        if (p != null) {
            // A repeat succeeds as the first call did; after a cancel or a refund the id is fenced.
            if (TRIED.equals(p.state()) || CONFIRMED.equals(p.state())) {
                return NO_CONTENT;
            }
            fenced++;
            return Reply.of(HttpResponseStatus.CONFLICT);
        }
        Account a = accounts.get(account);
        if (a == null) {
            return Reply.of(HttpResponseStatus.NOT_FOUND);
        }
        if (a.balance < amount) {
            // Nothing recorded: the cancel that follows is an empty rollback.
            return Reply.of(HttpResponseStatus.PAYMENT_REQUIRED);
        }
        a.balance -= amount;
        a.reserved += amount;
        payments.put(id, new Payment(TRIED, account, amount));
        return NO_CONTENT;
    }

    private Reply confirm(String id, Payment p) {
        if (p != null && CONFIRMED.equals(p.state())) {
            return NO_CONTENT;
        }
        if (p == null || !TRIED.equals(p.state())) {
            violations++;
            return Reply.of(HttpResponseStatus.CONFLICT);
        }
        Account a = accounts.get(p.account());
        a.reserved -= p.amount();
        collected += p.amount();
        payments.put(id, p.with(CONFIRMED));
        return NO_CONTENT;
    }

    private Reply cancel(String id, Payment p) {
        if (p == null) {
            payments.put(id, new Payment(CANCELLED, null, 0));
            return NO_CONTENT;
        }
        return switch (p.state()) {
            case CANCELLED -> NO_CONTENT;
            case TRIED -> {
                Account a = accounts.get(p.account());
                a.reserved -= p.amount();
                a.balance += p.amount();
                payments.put(id, p.with(CANCELLED));
                yield NO_CONTENT;
            }
            default -> {
                violations++;
                yield Reply.of(HttpResponseStatus.CONFLICT);
            }
        };
    }

    private Reply refund(String id, Payment p) {
        if (p == null) {
            payments.put(id, new Payment(REFUNDED, null, 0));
            return NO_CONTENT;
        }
        return switch (p.state()) {
            case REFUNDED -> NO_CONTENT;
            case CONFIRMED -> {
                accounts.get(p.account()).balance += p.amount();
                collected -= p.amount();
                payments.put(id, p.with(REFUNDED));
                yield NO_CONTENT;
            }
            default -> {
                violations++;
                yield Reply.of(HttpResponseStatus.CONFLICT);
            }
        };
    }
}
