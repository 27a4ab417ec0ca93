package io.redtx.samples.checkout;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * The payment service's TCC contract, through its real client over loopback HTTP: idempotent steps, the fence a
 * cancel (or a refund) leaves for a late try (or charge), business refusals, and the client's error mapping.
 */
class PaymentServiceTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private PaymentService service;
    private HttpPaymentParticipant payments;

    @BeforeEach
    void start() {
        service = PaymentService.start();
        service.openAccount("alice", 100);
        payments = new HttpPaymentParticipant("payments", service.baseUrl());
    }

    @AfterEach
    void stop() {
        service.close();
    }

    /** Runs {@code call} on a Reactor thread (where BlockHound watches) and waits for it to complete. */
    private static void ok(Mono<Void> call) {
        call.subscribeOn(Schedulers.parallel())
                .as(StepVerifier::create)
                .expectComplete()
                .verify(WAIT);
    }

    @Test
    void tryReservesAndConfirmCollectsOnceHoweverOftenEachIsCalled() {
        ok(payments.tryReserve("tx-1", HttpPaymentParticipant.request("alice", 30)));
        ok(payments.tryReserve("tx-1", HttpPaymentParticipant.request("alice", 30)));
        assertThat(service.balance("alice")).isEqualTo(70);
        assertThat(service.reserved("alice")).isEqualTo(30);
        assertThat(service.states()).containsExactly(Map.entry("tx-1", PaymentService.TRIED));

        ok(payments.confirm("tx-1"));
        ok(payments.confirm("tx-1"));
        assertThat(service.balance("alice")).isEqualTo(70);
        assertThat(service.reserved("alice")).isZero();
        assertThat(service.collected()).isEqualTo(30);
        assertThat(service.states()).containsExactly(Map.entry("tx-1", PaymentService.CONFIRMED));
        assertThat(service.violations()).isZero();
    }

    @Test
    void cancelReleasesATriedPaymentAndRepeatsSucceed() {
        ok(payments.tryReserve("tx-1", HttpPaymentParticipant.request("alice", 30)));
        ok(payments.cancel("tx-1"));
        ok(payments.cancel("tx-1"));
        assertThat(service.balance("alice")).isEqualTo(100);
        assertThat(service.reserved("alice")).isZero();
        assertThat(service.states()).containsExactly(Map.entry("tx-1", PaymentService.CANCELLED));
        assertThat(service.violations()).isZero();
    }

    @Test
    void cancelBeforeTheTryFencesTheLateTryWhichReservesNothing() {
        ok(payments.cancel("tx-1"));
        payments.tryReserve("tx-1", HttpPaymentParticipant.request("alice", 30))
                .as(StepVerifier::create)
                .expectErrorSatisfies(e ->
                        assertThat(e).isInstanceOf(PaymentFencedException.class).hasMessageContaining("fenced"))
                .verify(WAIT);
        assertThat(service.fenced()).isEqualTo(1);
        assertThat(service.balance("alice")).isEqualTo(100);
        assertThat(service.reserved("alice")).isZero();
        assertThat(service.states()).containsExactly(Map.entry("tx-1", PaymentService.CANCELLED));
    }

    @Test
    void aTryThatArrivesAfterItsCancelIsFencedByTheService() {
        service.delayNext("try", 1, Duration.ofMillis(500));
        // The caller gives up on the slow try, as the runtime's prepare timeout would, and cancels.
        payments.tryReserve("tx-1", HttpPaymentParticipant.request("alice", 30))
                .timeout(Duration.ofMillis(100))
                .as(StepVerifier::create)
                .expectError(TimeoutException.class)
                .verify(WAIT);
        ok(payments.cancel("tx-1"));
        assertThat(service.states()).containsExactly(Map.entry("tx-1", PaymentService.CANCELLED));
        // The try still takes effect at the service, after the cancel: refused, it reserves nothing.
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (service.fenced() == 0) {
            assertThat(System.nanoTime()).as("the late try never came").isLessThan(deadline);
            ok(Mono.delay(Duration.ofMillis(20)).then());
        }
        assertThat(service.states()).containsExactly(Map.entry("tx-1", PaymentService.CANCELLED));
        assertThat(service.balance("alice")).isEqualTo(100);
        assertThat(service.reserved("alice")).isZero();
        assertThat(service.violations()).isZero();
    }

    @Test
    void aTryTheBalanceCannotCoverIsDeclinedAndRecordsNothing() {
        payments.tryReserve("tx-1", HttpPaymentParticipant.request("alice", 101))
                .as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOfSatisfying(
                                PaymentDeclinedException.class,
                                d -> assertThat(d.status()).isEqualTo(402)))
                .verify(WAIT);
        assertThat(service.states()).isEmpty();
        ok(payments.cancel("tx-1")); // the empty rollback that follows
        assertThat(service.balance("alice")).isEqualTo(100);
        assertThat(service.violations()).isZero();
    }

    @Test
    void aTryOnAnUnknownAccountIsDeclined() {
        payments.tryReserve("tx-1", HttpPaymentParticipant.request("bob", 1))
                .as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOfSatisfying(
                                PaymentDeclinedException.class,
                                d -> assertThat(d.status()).isEqualTo(404)))
                .verify(WAIT);
    }

    @Test
    void confirmWithoutATryFailsAndCountsAViolation() {
        payments.confirm("tx-1")
                .as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOfSatisfying(
                                PaymentServiceException.class,
                                s -> assertThat(s.status()).isEqualTo(409)))
                .verify(WAIT);
        assertThat(service.violations()).isEqualTo(1);
    }

    @Test
    void cancelAfterConfirmLeavesThePaymentConfirmedAndCountsAViolation() {
        ok(payments.tryReserve("tx-1", HttpPaymentParticipant.request("alice", 30)));
        ok(payments.confirm("tx-1"));
        payments.cancel("tx-1")
                .as(StepVerifier::create)
                .expectError(PaymentServiceException.class)
                .verify(WAIT);
        assertThat(service.states()).containsExactly(Map.entry("tx-1", PaymentService.CONFIRMED));
        assertThat(service.violations()).isEqualTo(1);
    }

    @Test
    void chargeIsIdempotentAndRefundGivesTheMoneyBackOnce() {
        // A saga step's key holds a '/': it must reach the service as one path segment.
        ok(payments.charge("order-7/1", "alice", 40));
        ok(payments.charge("order-7/1", "alice", 40));
        assertThat(service.balance("alice")).isEqualTo(60);
        assertThat(service.collected()).isEqualTo(40);
        assertThat(service.states()).containsExactly(Map.entry("order-7/1", PaymentService.CONFIRMED));

        ok(payments.refund("order-7/1"));
        ok(payments.refund("order-7/1"));
        assertThat(service.balance("alice")).isEqualTo(100);
        assertThat(service.collected()).isZero();
        assertThat(service.states()).containsExactly(Map.entry("order-7/1", PaymentService.REFUNDED));
        assertThat(service.violations()).isZero();
    }

    @Test
    void refundBeforeTheChargeFencesTheLateCharge() {
        ok(payments.refund("order-7/1"));
        payments.charge("order-7/1", "alice", 40)
                .as(StepVerifier::create)
                .expectError(PaymentFencedException.class)
                .verify(WAIT);
        assertThat(service.balance("alice")).isEqualTo(100);
        assertThat(service.collected()).isZero();
    }

    @Test
    void aFailingServiceIsAPlainErrorAndTheNextCallSucceeds() {
        service.failNext("confirm", 1);
        ok(payments.tryReserve("tx-1", HttpPaymentParticipant.request("alice", 30)));
        payments.confirm("tx-1")
                .as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOfSatisfying(
                                PaymentServiceException.class,
                                s -> assertThat(s.status()).isEqualTo(503)))
                .verify(WAIT);
        assertThat(service.states()).containsExactly(Map.entry("tx-1", PaymentService.TRIED));
        ok(payments.confirm("tx-1"));
        assertThat(service.states()).containsExactly(Map.entry("tx-1", PaymentService.CONFIRMED));
    }

    @Test
    void aNotFoundOnAConfirmIsTheServicesFailureNotADeclinedPayment() {
        // A wrong base URL: every path is unknown to the service's router.
        new HttpPaymentParticipant("payments", service.baseUrl() + "/elsewhere")
                .confirm("tx-1")
                .as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOfSatisfying(
                                PaymentServiceException.class,
                                s -> assertThat(s.status()).isEqualTo(404)))
                .verify(WAIT);
    }

    @Test
    void aServiceThatIsGoneIsAConnectionError() {
        String url = service.baseUrl();
        service.close();
        new HttpPaymentParticipant("payments", url)
                .cancel("tx-1")
                .as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e)
                        .isNotInstanceOfAny(
                                PaymentDeclinedException.class,
                                PaymentFencedException.class,
                                PaymentServiceException.class))
                .verify(WAIT);
        service = PaymentService.start(); // for stop()
    }

    @Test
    void concurrentTriesOnOneAccountReserveNoMoreThanItHolds() {
        // 200 tries of 1 on 100: the service takes them one at a time, on its event loops, without blocking them.
        List<Throwable> errors = Flux.range(0, 200)
                .flatMap(
                        i -> payments.tryReserve("tx-" + i, HttpPaymentParticipant.request("alice", 1))
                                .then(Mono.<Throwable>empty())
                                .onErrorResume(Mono::just),
                        64)
                .collectList()
                .block(Duration.ofSeconds(60));
        assertThat(errors)
                .hasSize(100)
                .allSatisfy(e -> assertThat(e)
                        .isInstanceOfSatisfying(
                                PaymentDeclinedException.class,
                                d -> assertThat(d.status()).isEqualTo(402)));
        assertThat(service.balance("alice")).isZero();
        assertThat(service.reserved("alice")).isEqualTo(100);
        assertThat(service.states()).hasSize(100);
        assertThat(service.states().values()).containsOnly(PaymentService.TRIED);
    }

    @Test
    void theHttpEndpointsAnswerTheDocumentedStatuses() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(WAIT).build();
        String body = "{\"account\":\"alice\",\"amount\":30}";
        assertThat(post(http, "/payments/a/try", body)).isEqualTo(204);
        assertThat(post(http, "/payments/a/try", body)).isEqualTo(204);
        assertThat(post(http, "/payments/b/try", "{\"account\":\"alice\",\"amount\":1000}"))
                .isEqualTo(402);
        assertThat(post(http, "/payments/c/try", "{\"account\":\"nobody\",\"amount\":1}"))
                .isEqualTo(404);
        assertThat(post(http, "/payments/d/cancel", null)).isEqualTo(204);
        assertThat(post(http, "/payments/d/try", body)).isEqualTo(409);
        assertThat(post(http, "/payments/e/confirm", null)).isEqualTo(409);
        assertThat(post(http, "/payments/a/confirm", null)).isEqualTo(204);
        assertThat(post(http, "/payments/a/try", "not json")).isEqualTo(400);

        HttpResponse<String> get = http.send(
                HttpRequest.newBuilder(URI.create(service.baseUrl() + "/payments/a"))
                        .timeout(WAIT)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.body()).contains("\"state\":\"CONFIRMED\"").contains("\"amount\":30");
        HttpResponse<String> missing = http.send(
                HttpRequest.newBuilder(URI.create(service.baseUrl() + "/payments/zzz"))
                        .timeout(WAIT)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(missing.statusCode()).isEqualTo(404);
    }

    private int post(HttpClient http, String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(service.baseUrl() + path))
                .timeout(WAIT)
                .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
