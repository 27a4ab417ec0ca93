package io.redtx.samples.webflux;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.KeyCommands;
import io.redtx.api.TransactionOutcome;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.message.Delivery;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The order events: published by the checkout's transaction (so only for committed orders) and turned into the
 * customer summaries by {@link OrderEventsConsumer}, each event's effect exactly once. Waits poll from the test thread,
 * never from a Reactor thread.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            // Concurrent checkouts of one customer conflict on its balance, and their events on its summary.
            "redtx.retry.max-attempts=200",
            "redtx.retry.max-backoff=20ms"
        })
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class OrderEventsTest extends CheckoutTestSupport {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final ParameterizedTypeReference<Map<String, Object>> PROBLEM =
            new ParameterizedTypeReference<>() {};

    @LocalServerPort
    int port;

    @Autowired
    TransactionRuntime runtime;

    @Autowired
    OrderEventsConsumer consumer;

    WebTestClient client;

    @BeforeEach
    void client() {
        client = WebTestClient.bindToServer()
                .baseUrl("http://127.0.0.1:" + port)
                .responseTimeout(WAIT)
                .build();
    }

    /** What became of one {@code POST /orders}. */
    private record Result(int status, Order order, String reason) {}

    private Mono<Result> checkout(WebClient web, String customer, String sku, int quantity) {
        return web.post()
                .uri("/orders")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("customer", customer, "sku", sku, "quantity", quantity))
                .exchangeToMono(r -> r.statusCode().value() == 201
                        ? r.bodyToMono(Order.class).map(o -> new Result(201, o, null))
                        : r.bodyToMono(PROBLEM)
                                .map(problem -> new Result(
                                        r.statusCode().value(), null, String.valueOf(problem.get("reason")))));
    }

    private Result checkout(String customer, String sku, int quantity) {
        return checkout(WebClient.create("http://127.0.0.1:" + port), customer, sku, quantity)
                .block(WAIT);
    }

    private CustomerSummary summary(String customer) {
        return client.get()
                .uri("/customers/{customer}/summary", customer)
                .exchange()
                .expectStatus()
                .isOk()
                .expectBody(CustomerSummary.class)
                .returnResult()
                .getResponseBody();
    }

    /** Polls the summary endpoint until it shows {@code expected}, at most {@link #WAIT}; then asserts it. */
    private void awaitSummary(CustomerSummary expected) {
        await(() -> expected.equals(summary(expected.customer())), WAIT);
        assertThat(summary(expected.customer())).isEqualTo(expected);
    }

    @Test
    void theReadModelCountsExactlyTheCommittedOrdersAndTheStreamHoldsOneEventPerOrder() {
        setStock("widget", 12);
        setStock("gadget", 3);
        setBalance("alice", 100_000);
        setBalance("bob", 2_500);
        setBalance("carol", 1_000);
        long appliedBefore = consumer.applied();
        List<Result> results = new ArrayList<>();

        // Refused inside the transaction: rolled back, so no event either.
        Result tooDear = checkout("bob", "gadget", 2);
        assertThat(tooDear.status()).isEqualTo(409);
        assertThat(tooDear.reason()).isEqualTo("INSUFFICIENT_BALANCE");
        results.add(tooDear);
        results.add(checkout("bob", "gadget", 1));
        results.add(checkout("carol", "widget", 4));

        // 16 at once for the 8 widgets left: alice's conflict on her balance and her summary, carol has no money left.
        WebClient web = WebClient.create("http://127.0.0.1:" + port);
        results.addAll(Flux.range(0, 16)
                .flatMap(i -> checkout(web, i % 4 == 3 ? "carol" : "alice", "widget", 1), 16)
                .collectList()
                .block(WAIT));

        List<Order> committed = results.stream()
                .filter(r -> r.status() == 201)
                .map(Result::order)
                .toList();
        assertThat(results)
                .filteredOn(r -> r.status() != 201)
                .isNotEmpty()
                .allSatisfy(r -> assertThat(r.status()).isEqualTo(409));
        assertThat(committed).hasSize(2 + 8).extracting(Order::customer).contains("alice", "bob", "carol");

        for (String customer : List.of("alice", "bob", "carol")) {
            List<Order> theirs = committed.stream()
                    .filter(o -> o.customer().equals(customer))
                    .toList();
            CustomerSummary expected = new CustomerSummary(
                    customer,
                    theirs.size(),
                    theirs.stream().mapToLong(Order::amount).sum());
            awaitSummary(expected);
            assertThat(consumer.latestSummaries()).containsEntry(customer, expected);
        }
        awaitEventsConsumed();
        assertThat(pendingEvents()).isZero();
        assertThat(consumer.applied() - appliedBefore)
                .as("events applied to the read model")
                .isEqualTo(committed.size());

        // One event per committed order, carrying the order and the transaction that committed it; nothing else.
        Map<String, Order> byId = committed.stream().collect(Collectors.toMap(Order::id, o -> o));
        List<Event> events = orderEvents();
        assertThat(events).hasSize(committed.size());
        assertThat(events).extracting(e -> e.fields().get("order")).containsExactlyInAnyOrderElementsOf(byId.keySet());
        assertThat(events).allSatisfy(e -> {
            Order order = byId.get(e.fields().get("order"));
            assertThat(e.fields())
                    .containsEntry("event", CheckoutService.ORDER_PLACED)
                    .containsEntry("customer", order.customer())
                    .containsEntry("sku", order.sku())
                    .containsEntry("qty", Long.toString(order.quantity()))
                    .containsEntry("amount", Long.toString(order.amount()))
                    .containsEntry(KeyCommands.TRANSACTION_FIELD, order.transactionId());
        });
        assertThat(rawOrders()).hasSameSizeAs(events);
        assertThat(events)
                .noneMatch(e -> e.fields().get("customer").equals("bob")
                        && e.fields().get("qty").equals("2"));
        awaitNoIntents();
    }

    @Test
    void aCustomerWithoutOrdersHasAnEmptySummaryAndABadNameIs400() {
        assertThat(summary("nobody")).isEqualTo(new CustomerSummary("nobody", 0, 0));
        client.get()
                .uri("/customers/{customer}/summary", "no body")
                .exchange()
                .expectStatus()
                .isBadRequest()
                .expectBody()
                .jsonPath("$.reason")
                .isEqualTo("INVALID_INPUT");
    }

    @Test
    void eventsReplayedByRewindingTheGroupAreNotCountedAgain() {
        setStock("widget", 10);
        setBalance("dave", 10_000);
        for (int i = 0; i < 3; i++) {
            assertThat(checkout("dave", "widget", 1).status()).isEqualTo(201);
        }
        CustomerSummary counted = new CustomerSummary("dave", 3, 750);
        awaitSummary(counted);
        awaitEventsConsumed();
        long appliedBefore = consumer.applied();
        long skippedBefore = consumer.skipped();

        // Every event is delivered again, as new, to the running consumer.
        orders.command("XGROUP", "SETID", CheckoutService.ORDER_EVENTS, OrderEventsConsumer.GROUP, "0");
        await(() -> consumer.skipped() - skippedBefore >= 3, WAIT);
        awaitEventsConsumed();

        assertThat(consumer.skipped() - skippedBefore)
                .as("redelivered events acknowledged only")
                .isEqualTo(3);
        assertThat(consumer.applied()).isEqualTo(appliedBefore);
        assertThat(summary("dave")).isEqualTo(counted);
        awaitNoIntents();
    }

    @Test
    void anEventAnotherConsumerTookAndNeverAcknowledgedIsTakenOverAndCountedOnce() {
        setStock("widget", 10);
        setBalance("erin", 10_000);
        consumer.stop();
        try {
            Order order = checkout("erin", "widget", 2).order();
            // Another consumer of the group reads the event and dies without acknowledging it.
            Delivery taken = runtime.consume(
                            consumer.options().mutate().claimIdle(Duration.ZERO).build())
                    .next()
                    .block(WAIT);
            assertThat(taken.fields()).containsEntry("order", order.id());
            assertThat(taken.deliveryCount()).isEqualTo(1);
            assertThat(pendingEvents()).isEqualTo(1);
            assertThat(rawSummary("erin")).isEmpty();
            long appliedBefore = consumer.applied();

            consumer.start();
            awaitSummary(new CustomerSummary("erin", 1, 500));
            awaitEventsConsumed();
            assertThat(consumer.applied() - appliedBefore).isEqualTo(1);
            // The first consumer's late acknowledgement changes nothing.
            taken.ack().block(WAIT);
            assertThat(summary("erin")).isEqualTo(new CustomerSummary("erin", 1, 500));
        } finally {
            consumer.start();
        }
        awaitNoIntents();
    }

    @Test
    void anEventHandledByASlowConsumerAndTakenOverMeanwhileIsCountedOnce() throws Exception {
        setStock("widget", 10);
        setBalance("frank", 10_000);
        consumer.stop();
        try {
            Order order = checkout("frank", "widget", 1).order();
            // A slow consumer of the group takes the event and holds its transaction open past the claim idle time
            // (1 s here), so the application's consumer takes the event over and handles it meanwhile.
            CompletableFuture<TransactionOutcome<Delivery, CustomerSummary>> slow = runtime.<CustomerSummary>
                            consumeTransactionally(
                                    consumer.options()
                                            .mutate()
                                            .claimIdle(Duration.ZERO)
                                            .build(),
                                    (delivery, tx) ->
                                            consumer.handle(delivery, tx).delayElement(Duration.ofMillis(1_500)))
                    .next()
                    .toFuture();
            await(() -> pendingEvents() == 1, WAIT);
            long appliedBefore = consumer.applied();

            consumer.start();
            TransactionOutcome<Delivery, CustomerSummary> slowOutcome = slow.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            awaitEventsConsumed();

            assertThat(slowOutcome.status()).isEqualTo(TransactionOutcome.Status.COMMITTED);
            assertThat(slowOutcome.request().fields()).containsEntry("order", order.id());
            long slowApplied = slowOutcome.value() == null ? 0 : 1;
            long appApplied = consumer.applied() - appliedBefore;
            System.out.printf(
                    "event handled by a slow and a taking-over consumer: applied by slow %d, by the application %d%n",
                    slowApplied, appApplied);
            assertThat(slowApplied + appApplied)
                    .as("commits that counted the event")
                    .isEqualTo(1);
            assertThat(summary("frank")).isEqualTo(new CustomerSummary("frank", 1, 250));
            assertThat(pendingEvents()).isZero();
        } finally {
            consumer.start();
        }
        awaitNoIntents();
    }
}
