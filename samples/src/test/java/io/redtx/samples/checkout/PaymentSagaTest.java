package io.redtx.samples.checkout;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.saga.SagaDefinition;
import io.redtx.api.saga.SagaOutcome;
import io.redtx.api.saga.SagaRetry;
import io.redtx.api.saga.SagaStep;
import io.redtx.runtime.RedisTransactionRuntime;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * The payment service as a saga step rather than a TCC participant: {@link HttpPaymentParticipant#charge} keyed by the
 * step's idempotency key, {@link HttpPaymentParticipant#refund} as its compensation, in a real saga on two real Redis
 * servers.
 */
@RedisTest
class PaymentSagaTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private PaymentService service;
    private TransactionRuntime runtime;
    private RedisServer stock;

    @BeforeEach
    void start(RedisServer stockServer, RedisServer ordersServer) {
        stock = stockServer;
        service = PaymentService.start();
        service.openAccount("alice", 100);
        service.openAccount("bob", 5);
        HttpPaymentParticipant payments = new HttpPaymentParticipant("payments", service.baseUrl());
        SagaDefinition order = SagaDefinition.builder("order")
                .step(SagaStep.transactional(
                                "reserve", (ctx, tx) -> tx.on("stock").decrBy("stock:sku-1", 1))
                        .withCompensation((ctx, tx) -> tx.on("stock").incrBy("stock:sku-1", 1)))
                .step(SagaStep.external(
                                "charge",
                                ctx -> payments.charge(
                                        ctx.idempotencyKey(),
                                        ctx.input().get("customer"),
                                        Long.parseLong(ctx.input().get("amount"))))
                        .withCompensation(ctx -> payments.refund(ctx.idempotencyKey()))
                        // A declined payment stays declined: no second attempt.
                        .withRetry(SagaRetry.none()))
                .step(SagaStep.transactional(
                        "ship",
                        (ctx, tx) -> "fail".equals(ctx.input().get("ship"))
                                ? Mono.error(new IllegalStateException("no courier"))
                                : tx.on("orders").set("order:" + ctx.sagaId(), "shipped")))
                .build();
        runtime = RedisTransactionRuntime.create(RuntimeOptions.builder()
                .participant("stock", stockServer.uri())
                .participant("orders", ordersServer.uri())
                .saga(order)
                .build());
        stockServer.command("SET", "stock:sku-1", "10");
    }

    @AfterEach
    void stop() {
        runtime.closeGracefully().block(WAIT);
        service.close();
    }

    private SagaOutcome run(String sagaId, Map<String, String> input) {
        return runtime.saga("order").start(sagaId, input).block(WAIT);
    }

    @Test
    void aCompletedSagaChargesOnceEvenWhenStartedAgain() {
        Map<String, String> input = Map.of("customer", "alice", "amount", "30");
        assertThat(run("o-1", input).status()).isEqualTo(SagaOutcome.Status.COMPLETED);
        assertThat(run("o-1", input).status()).isEqualTo(SagaOutcome.Status.COMPLETED);

        assertThat(service.states()).containsExactly(Map.entry("o-1/1", PaymentService.CONFIRMED));
        assertThat(service.balance("alice")).isEqualTo(70);
        assertThat(stock.command("GET", "stock:sku-1")).isEqualTo("9");
    }

    @Test
    void aLaterStepFailingRefundsTheChargeAndReleasesTheStock() {
        SagaOutcome outcome = run("o-2", Map.of("customer", "alice", "amount", "30", "ship", "fail"));

        assertThat(outcome.status()).as(outcome.toString()).isEqualTo(SagaOutcome.Status.COMPENSATED);
        assertThat(outcome.failedStep()).contains("ship");
        assertThat(service.states()).containsExactly(Map.entry("o-2/1", PaymentService.REFUNDED));
        assertThat(service.balance("alice")).isEqualTo(100);
        assertThat(service.collected()).isZero();
        assertThat(stock.command("GET", "stock:sku-1")).isEqualTo("10");
        assertThat(service.violations()).isZero();
    }

    @Test
    void aDeclinedChargeIsCompensatedByARefundThatFencesALateCharge() {
        SagaOutcome outcome = run("o-3", Map.of("customer", "bob", "amount", "30"));

        assertThat(outcome.status()).as(outcome.toString()).isEqualTo(SagaOutcome.Status.COMPENSATED);
        assertThat(outcome.failedStep()).contains("charge");
        // The charge's effect was unknown to the saga: its refund ran, found nothing and left a fence.
        assertThat(service.states()).containsExactly(Map.entry("o-3/1", PaymentService.REFUNDED));
        assertThat(service.balance("bob")).isEqualTo(5);
        new HttpPaymentParticipant("payments", service.baseUrl())
                .charge("o-3/1", "alice", 30)
                .as(StepVerifier::create)
                .expectError(PaymentFencedException.class)
                .verify(WAIT);
        assertThat(service.balance("alice")).isEqualTo(100);
        assertThat(service.violations()).isZero();
    }
}
