package io.redtx.samples.webflux;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Sinks;

/** With one transaction in flight at most and overflow REJECT, a second checkout is refused with 503. */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"redtx.admission.max-in-flight=1", "redtx.admission.overflow=reject"})
@Import(HoldingGuardConfiguration.class)
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class OverloadTest extends CheckoutTestSupport {

    @LocalServerPort
    int port;

    @Autowired
    HoldingGuard guard;

    @Autowired
    CheckoutService service;

    @Test
    void aCheckoutBeyondMaxInFlightIs503WithRetryAfterAndTheHeldOneStillCommits() {
        guard.reset();
        setStock("widget", 10);
        setBalance("hold-alice", 10_000);
        setBalance("bob", 10_000);
        WebTestClient client = WebTestClient.bindToServer()
                .baseUrl("http://127.0.0.1:" + port)
                .responseTimeout(Duration.ofSeconds(10))
                .build();

        Sinks.One<Order> held = Sinks.one();
        service.checkout(new OrderRequest("hold-alice", "widget", 1)).subscribe(held::tryEmitValue, held::tryEmitError);
        await(() -> guard.entered() == 1, Duration.ofSeconds(5));
        assertThat(guard.entered()).as("held checkout inside its transaction").isEqualTo(1);

        client.post()
                .uri("/orders")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("customer", "bob", "sku", "widget", "quantity", 1))
                .exchange()
                .expectStatus()
                .isEqualTo(HttpStatus.SERVICE_UNAVAILABLE)
                .expectHeader()
                .valueEquals("Retry-After", "1")
                .expectHeader()
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.reason")
                .isEqualTo("OVERLOADED")
                .jsonPath("$.rejection")
                .isEqualTo("LIMIT_REACHED");
        assertThat(rawBalance("bob")).isEqualTo(10_000);

        guard.release();
        Order order = held.asMono().block(Duration.ofSeconds(10));
        assertThat(order).isNotNull();
        assertThat(rawStock("widget")).isEqualTo(9);
        assertThat(rawOrders()).containsOnlyKeys("order:" + order.id());

        // The slot is free again once the read model's consumer, whose transactions share it, handled the event.
        awaitEventsConsumed();
        client.post()
                .uri("/orders")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("customer", "bob", "sku", "widget", "quantity", 1))
                .exchange()
                .expectStatus()
                .isCreated();
        assertThat(rawBalance("bob")).isEqualTo(10_000 - 250);
        awaitNoIntents();
    }
}
