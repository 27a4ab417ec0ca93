package io.redtx.samples.webflux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.redtx.api.KeyCommands;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

/** The checkout endpoints against three real Redis servers. */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            // The race below has up to 20 checkouts on one hot key: give conflicts room to be retried away.
            "redtx.retry.max-attempts=200",
            "redtx.retry.max-backoff=20ms"
        })
@Import(HoldingGuardConfiguration.class)
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class CheckoutApiTest extends CheckoutTestSupport {

    private static final long WIDGET_PRICE = 250;
    private static final ParameterizedTypeReference<Map<String, Object>> JSON_OBJECT =
            new ParameterizedTypeReference<>() {};

    @LocalServerPort
    int port;

    @Autowired
    HoldingGuard guard;

    @Autowired
    CheckoutService service;

    WebTestClient client;

    @BeforeEach
    void client() {
        guard.reset();
        client = WebTestClient.bindToServer()
                .baseUrl("http://127.0.0.1:" + port)
                .responseTimeout(Duration.ofSeconds(20))
                .build();
    }

    private WebTestClient.ResponseSpec post(Object body) {
        return client.post()
                .uri("/orders")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body)
                .exchange();
    }

    private static Map<String, Object> order(String customer, String sku, Object quantity) {
        Map<String, Object> body = new HashMap<>();
        body.put("customer", customer);
        body.put("sku", sku);
        body.put("quantity", quantity);
        return body;
    }

    @Test
    void checkoutReservesStockRecordsTheOrderAndDebitsTheBalanceOnThreeServers() {
        setStock("widget", 10);
        setBalance("alice", 10_000);

        Order placed = post(order("alice", "widget", 3))
                .expectStatus()
                .isCreated()
                .expectHeader()
                .valueMatches("Location", "/orders/[0-9a-f]{32}")
                .expectBody(Order.class)
                .returnResult()
                .getResponseBody();

        assertThat(placed).isNotNull();
        assertThat(placed.amount()).isEqualTo(3 * WIDGET_PRICE);
        assertThat(placed.transactionId()).isNotBlank();
        assertThat(rawStock("widget")).isEqualTo(7);
        assertThat(rawBalance("alice")).isEqualTo(10_000 - 3 * WIDGET_PRICE);
        assertThat(rawOrders())
                .containsOnlyKeys("order:" + placed.id())
                .containsEntry(
                        "order:" + placed.id(),
                        Map.of(
                                "id", placed.id(),
                                "customer", "alice",
                                "sku", "widget",
                                "qty", "3",
                                "amount", "750",
                                "tx", placed.transactionId()));
        assertThat(orderEvents())
                .singleElement()
                .satisfies(event -> assertThat(event.fields())
                        .containsEntry("event", CheckoutService.ORDER_PLACED)
                        .containsEntry("order", placed.id())
                        .containsEntry("amount", "750")
                        .containsEntry(KeyCommands.TRANSACTION_FIELD, placed.transactionId()));

        client.get()
                .uri("/orders/{id}", placed.id())
                .exchange()
                .expectStatus()
                .isOk()
                .expectBody(Order.class)
                .isEqualTo(placed);
        client.get()
                .uri("/stock/widget")
                .exchange()
                .expectBody(StockLevel.class)
                .isEqualTo(new StockLevel("widget", 7));
        client.get()
                .uri("/balances/alice")
                .exchange()
                .expectBody(Balance.class)
                .isEqualTo(new Balance("alice", 10_000 - 750));
        awaitNoIntents();
    }

    @Test
    void insufficientStockIs409AndChangesNothingAnywhere() {
        setStock("widget", 2);
        setBalance("alice", 10_000);

        post(order("alice", "widget", 3))
                .expectStatus()
                .isEqualTo(HttpStatus.CONFLICT)
                .expectHeader()
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.reason")
                .isEqualTo("INSUFFICIENT_STOCK")
                .jsonPath("$.detail")
                .isEqualTo("only 2 of 'widget' in stock, 3 ordered");

        assertNothingChanged(2, "alice", 10_000);
    }

    @Test
    void insufficientBalanceIs409AndChangesNothingAnywhere() {
        setStock("widget", 10);
        setBalance("alice", 3 * WIDGET_PRICE - 1);

        post(order("alice", "widget", 3))
                .expectStatus()
                .isEqualTo(HttpStatus.CONFLICT)
                .expectHeader()
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.reason")
                .isEqualTo("INSUFFICIENT_BALANCE")
                .jsonPath("$.detail")
                .isEqualTo("balance of 'alice' is 749 cents, the order costs 750");

        assertNothingChanged(10, "alice", 3 * WIDGET_PRICE - 1);
    }

    private static void assertNothingChanged(long stockLeft, String customer, long balance) {
        assertThat(rawStock("widget")).isEqualTo(stockLeft);
        assertThat(rawBalance(customer)).isEqualTo(balance);
        assertNoOrderRecorded();
        assertThat(userKeys(stock)).containsExactly("stock:widget");
        assertThat(userKeys(balances)).containsExactly("balance:" + customer);
        awaitNoIntents();
    }

    @Test
    void badInputIs400ProblemNamingTheField() {
        setStock("widget", 10);
        setBalance("alice", 10_000);

        expectInvalid(post(order("alice", "widget", 0)), "quantity must be 1 to 1000, was 0");
        expectInvalid(post(order("alice", "widget", null)), "quantity is missing");
        expectInvalid(
                post(order("al ice", "widget", 1)),
                "customer must be 1 to 64 characters of [A-Za-z0-9._-], was 'al ice'");
        expectInvalid(
                post(order("alice", "unicorn", 1)), "sku 'unicorn' is not in the catalog [gadget, gizmo, widget]");
        expectInvalid(post(order("alice", "widget", "many")), null);
        expectInvalid(
                client.post()
                        .uri("/orders")
                        .contentType(MediaType.APPLICATION_JSON)
                        .bodyValue("{not json")
                        .exchange(),
                null);
        expectInvalid(
                client.post()
                        .uri("/orders")
                        .contentType(MediaType.APPLICATION_JSON)
                        .exchange(),
                null);
        expectInvalid(client.get().uri("/balances/{c}", "a b").exchange(), null);

        assertThat(rawStock("widget")).isEqualTo(10);
        assertThat(rawBalance("alice")).isEqualTo(10_000);
        assertNoOrderRecorded();
    }

    private static void expectInvalid(WebTestClient.ResponseSpec response, String detail) {
        WebTestClient.BodyContentSpec body = response.expectStatus()
                .isBadRequest()
                .expectHeader()
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.reason")
                .isEqualTo("INVALID_INPUT");
        if (detail != null) {
            body.jsonPath("$.detail").isEqualTo(detail);
        }
    }

    @Test
    void unknownOrderAndSkuAre404() {
        client.get()
                .uri("/orders/{id}", "0123456789abcdef0123456789abcdef")
                .exchange()
                .expectStatus()
                .isNotFound()
                .expectBody()
                .jsonPath("$.reason")
                .isEqualTo("NOT_FOUND");
        client.get().uri("/stock/unicorn").exchange().expectStatus().isNotFound();
        client.get().uri("/stock/gizmo").exchange().expectBody(StockLevel.class).isEqualTo(new StockLevel("gizmo", 0));
    }

    @Test
    void concurrentCheckoutsForTheLastItemsSellExactlyTheStock() {
        int available = 5;
        List<String> customers = List.of("c1", "c2", "c3", "c4");
        setStock("widget", available);
        customers.forEach(c -> setBalance(c, 100_000));

        WebClient web = WebClient.create("http://127.0.0.1:" + port);
        List<Map<String, Object>> results = Flux.range(0, 20)
                .flatMap(
                        i -> web.post()
                                .uri("/orders")
                                .contentType(MediaType.APPLICATION_JSON)
                                .bodyValue(order(customers.get(i % customers.size()), "widget", 1))
                                .exchangeToMono(r -> r.bodyToMono(JSON_OBJECT).map(body -> {
                                    Map<String, Object> result = new HashMap<>(body);
                                    result.put("status", r.statusCode().value());
                                    return result;
                                })),
                        20)
                .collectList()
                .block(Duration.ofSeconds(30));

        assertThat(results).hasSize(20);
        assertThat(results).filteredOn(r -> r.get("status").equals(201)).hasSize(available);
        assertThat(results).filteredOn(r -> !r.get("status").equals(201)).allSatisfy(r -> {
            assertThat(r.get("status")).isEqualTo(409);
            assertThat(r.get("reason")).isEqualTo("INSUFFICIENT_STOCK");
        });

        assertThat(rawStock("widget")).isZero();
        Map<String, Map<String, String>> recorded = rawOrders();
        assertThat(recorded).hasSize(available);
        long recordedAmount = recorded.values().stream()
                .mapToLong(o -> Long.parseLong(o.get("amount")))
                .sum();
        long debited =
                customers.stream().mapToLong(c -> 100_000 - rawBalance(c)).sum();
        assertThat(debited).isEqualTo(recordedAmount).isEqualTo(available * WIDGET_PRICE);
        for (String c : customers) {
            long ordered = recorded.values().stream()
                    .filter(o -> o.get("customer").equals(c))
                    .mapToLong(o -> Long.parseLong(o.get("amount")))
                    .sum();
            assertThat(100_000 - rawBalance(c)).as("debit of %s", c).isEqualTo(ordered);
        }
        awaitNoIntents();
    }

    /** Connects the runtime to all three participants, so that a test's timing does not include connecting. */
    private void warmUp() {
        Duration limit = Duration.ofSeconds(10);
        service.stock("widget").block(limit);
        service.balance("nobody").block(limit);
        service.order("0123456789abcdef0123456789abcdef").onErrorComplete().block(limit);
    }

    @Test
    void clientDisconnectCancelsTheCheckoutAndRollsItBack() {
        setStock("widget", 10);
        setBalance("hold-alice", 10_000);
        warmUp();
        WebTestClient impatient =
                client.mutate().responseTimeout(Duration.ofSeconds(1)).build();

        // The guard holds the checkout inside its transaction; the client gives up and closes the connection.
        assertThatThrownBy(() -> impatient
                        .post()
                        .uri("/orders")
                        .contentType(MediaType.APPLICATION_JSON)
                        .bodyValue(order("hold-alice", "widget", 4))
                        .exchange())
                .hasMessageContaining("Timeout");
        assertThat(guard.entered()).isEqualTo(1);
        await(() -> guard.cancelled() == 1, Duration.ofSeconds(5));
        assertThat(guard.cancelled()).as("server-side checkout cancelled").isEqualTo(1);

        // Had the checkout survived the disconnect, opening the gate would let it commit now.
        guard.release();
        awaitNoIntents();
        assertThat(rawStock("widget")).isEqualTo(10);
        assertThat(rawBalance("hold-alice")).isEqualTo(10_000);
        assertNoOrderRecorded();
    }

    @Test
    void cancellingCheckoutsAtRandomMomentsLeavesEachAllOrNothing() {
        long initialStock = 1_000;
        long initialBalance = 1_000_000;
        setStock("widget", initialStock);
        setBalance("bob", initialBalance);
        warmUp();
        AtomicInteger committed = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        int rounds = 30;
        int recorded = 0;

        for (int i = 0; i < rounds; i++) {
            Disposable checkout = service.checkout(new OrderRequest("bob", "widget", 2))
                    .subscribe(o -> committed.incrementAndGet(), e -> failed.incrementAndGet());
            // From at once (before the first read) to ~8 ms (usually past the commit point).
            long pause = i == 0 ? 0 : ThreadLocalRandom.current().nextLong(8_000_000);
            LockSupport.parkNanos(pause);
            checkout.dispose();

            awaitNoIntents(Duration.ofMillis(50));
            int before = recorded;
            recorded = rawOrders().size();
            assertThat(recorded - before).as("orders recorded in round %d", i).isBetween(0, 1);
            assertThat(initialStock - rawStock("widget"))
                    .as("stock taken, round %d", i)
                    .isEqualTo(2L * recorded);
            assertThat(initialBalance - rawBalance("bob"))
                    .as("debited, round %d", i)
                    .isEqualTo(2L * WIDGET_PRICE * recorded);
        }
        awaitNoIntents();
        assertThat(failed).hasValue(0);
        // The first round was cancelled before anything could commit; a value emitted means it did commit.
        assertThat(recorded).isLessThan(rounds).isGreaterThanOrEqualTo(committed.get());
        System.out.printf(
                "cancelled checkouts: %d of %d rolled back, %d committed%n", rounds - recorded, rounds, recorded);
    }
}
