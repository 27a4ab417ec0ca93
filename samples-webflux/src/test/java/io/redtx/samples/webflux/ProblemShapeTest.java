package io.redtx.samples.webflux;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;

/**
 * Every error has the service's problem shape, the framework's included, and a 409 conflict tells the client when to
 * retry without naming how the service stores its data. With {@code redtx.retry.max-attempts=1} a conflict is not
 * retried away, so one can be provoked on purpose.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"redtx.retry.max-attempts=1"})
@Import({HoldingGuardConfiguration.class, ProblemShapeTest.BindingController.class})
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class ProblemShapeTest extends CheckoutTestSupport {

    @LocalServerPort
    int port;

    @Autowired
    HoldingGuard guard;

    WebTestClient client;

    @BeforeEach
    void client() {
        guard.reset();
        setStock("widget", 10);
        setBalance("alice", 10_000);
        client = WebTestClient.bindToServer()
                .baseUrl("http://127.0.0.1:" + port)
                .responseTimeout(Duration.ofSeconds(20))
                .build();
    }

    private WebTestClient.ResponseSpec postJson(String json) {
        return client.post()
                .uri("/orders")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(json)
                .exchange();
    }

    /** Asserts the service's problem shape, with the status and reason given, and returns the body for more. */
    private static WebTestClient.BodyContentSpec expectProblem(
            WebTestClient.ResponseSpec response, HttpStatus status, String reason, String type, String title) {
        return response.expectStatus()
                .isEqualTo(status)
                .expectHeader()
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.status")
                .isEqualTo(status.value())
                .jsonPath("$.reason")
                .isEqualTo(reason)
                .jsonPath("$.type")
                .isEqualTo("urn:redtx:samples:checkout:" + type)
                .jsonPath("$.title")
                .isEqualTo(title)
                .jsonPath("$.detail")
                .isNotEmpty();
    }

    private static WebTestClient.BodyContentSpec expectInvalid(WebTestClient.ResponseSpec response) {
        return expectProblem(response, HttpStatus.BAD_REQUEST, "INVALID_INPUT", "invalid-input", "Invalid input");
    }

    @Test
    void malformedJsonIsTheServicesInvalidInputProblem() {
        expectInvalid(postJson("{\"customer\":\"alice\","))
                .jsonPath("$.detail")
                .isEqualTo("the request body is not valid JSON");
        expectInvalid(postJson("[1, 2]"));
        assertNothingChanged();
    }

    @Test
    void aMissingBodyIsTheServicesInvalidInputProblem() {
        expectInvalid(client.post()
                .uri("/orders")
                .contentType(MediaType.APPLICATION_JSON)
                .exchange());
    }

    @Test
    void quantitiesThatAreNotPositiveWholeNumbersAreRefused() {
        Map<String, String> refused = Map.of(
                "1.5", "quantity must be a whole number of items, was 1.5",
                "\"2\"", "quantity must be a whole number of items, was the string \"2\"",
                "2.0", "quantity must be a whole number of items, was 2.0",
                "1e2", "quantity must be a whole number of items, was 1e2",
                "true", "quantity must be a whole number of items, was true",
                "[2]", "quantity must be a whole number of items, was an array",
                "0", "quantity must be 1 to 1000, was 0",
                "-1", "quantity must be 1 to 1000, was -1",
                "1001", "quantity must be 1 to 1000, was 1001",
                "99999999999", "quantity must be 1 to 1000, was 99999999999");
        refused.forEach((quantity, detail) -> expectInvalid(
                        postJson("{\"customer\":\"alice\",\"sku\":\"widget\",\"quantity\":" + quantity + "}"))
                .jsonPath("$.detail")
                .isEqualTo(detail));
        assertNothingChanged();
    }

    @Test
    void aWholeQuantityIsAccepted() {
        postJson("{\"customer\":\"alice\",\"sku\":\"widget\",\"quantity\":2}")
                .expectStatus()
                .isCreated();
        assertThat(rawStock("widget")).isEqualTo(8);
    }

    @Test
    void anOversizedBodyIs413WithTheSameShape() {
        // Over spring.http.codecs.max-in-memory-size (16KB in application.properties).
        String padding = "x".repeat(20_000);
        expectProblem(
                        postJson("{\"customer\":\"alice\",\"sku\":\"widget\",\"quantity\":1,\"note\":\"" + padding
                                + "\"}"),
                        HttpStatus.CONTENT_TOO_LARGE,
                        "CONTENT_TOO_LARGE",
                        "content-too-large",
                        "Content too large")
                .jsonPath("$.detail")
                .isEqualTo("the request body is larger than the service accepts");
        assertNothingChanged();
    }

    @Test
    void aFailedBindingIsTheServicesInvalidInputProblemNamingTheField() {
        expectInvalid(client.get().uri("/binding-check?quantity=many").exchange())
                .jsonPath("$.detail")
                .value(detail -> assertThat((String) detail).startsWith("quantity: "));
    }

    @Test
    void otherFrameworkErrorsGetTheSameShape() {
        expectProblem(
                client.post()
                        .uri("/orders")
                        .contentType(MediaType.TEXT_PLAIN)
                        .bodyValue("two widgets please")
                        .exchange(),
                HttpStatus.UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "unsupported-media-type",
                "Unsupported media type");
        expectProblem(
                client.delete().uri("/orders").exchange(),
                HttpStatus.METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                "method-not-allowed",
                "Method not allowed");
    }

    @Test
    void aConflictIs409WithRetryAfterAndNoInternalKeyNames() {
        setBalance("hold-bob", 10_000);
        // The guard holds the checkout after it read and decremented the stock, before the commit.
        CompletableFuture<ResponseEntity<String>> response = WebClient.create("http://127.0.0.1:" + port)
                .post()
                .uri("/orders")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("customer", "hold-bob", "sku", "widget", "quantity", 1))
                .exchangeToMono(r -> r.toEntity(String.class))
                .toFuture();
        await(() -> guard.entered() == 1, Duration.ofSeconds(10));
        // A write that changes what the checkout read: its commit fails read validation.
        setStock("widget", 7);
        guard.release();

        ResponseEntity<String> conflict = Mono.fromFuture(response).block(Duration.ofSeconds(20));
        assertThat(conflict.getStatusCode()).isEqualTo(HttpStatus.CONFLICT);
        assertThat(conflict.getHeaders().getFirst("Retry-After")).isEqualTo("1");
        assertThat(conflict.getHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
        assertThat(conflict.getBody())
                .contains("\"reason\":\"CONFLICT\"")
                .contains("\"type\":\"urn:redtx:samples:checkout:conflict\"")
                .contains("\"transactionId\"")
                .doesNotContain("stock:widget")
                .doesNotContain("balance:")
                .doesNotContain("\"key\"")
                .doesNotContain("participant");
        // Nothing of the checkout was applied.
        awaitNoIntents();
        assertThat(rawStock("widget")).isEqualTo(7);
        assertThat(rawBalance("hold-bob")).isEqualTo(10_000);
        assertNoOrderRecorded();
    }

    private static void assertNothingChanged() {
        assertThat(rawStock("widget")).isEqualTo(10);
        assertThat(rawBalance("alice")).isEqualTo(10_000);
        assertNoOrderRecorded();
    }

    /** A request object bound from query parameters, whose binding can fail. */
    record QuantityQuery(Integer quantity) {}

    /** A test-only endpoint whose binding failure is Spring's {@code WebExchangeBindException}. */
    @RestController
    static class BindingController {
        @GetMapping("/binding-check")
        Mono<String> check(@ModelAttribute QuantityQuery query) {
            return Mono.just("bound " + query.quantity());
        }
    }
}
