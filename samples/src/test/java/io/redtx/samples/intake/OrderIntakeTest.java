package io.redtx.samples.intake;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.IntakeOptions;
import io.redtx.api.TransactionOutcome;
import io.redtx.api.TransactionRuntime;
import io.redtx.samples.intake.OrderIntake.Order;
import io.redtx.samples.intake.OrderIntake.OutOfStockException;
import io.redtx.test.redis.RedisServer;
import io.redtx.testing.RedtxServers;
import io.redtx.testing.RedtxTest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/** The plain Reactor intake sample on two real servers, through the user-facing test support. */
@RedtxTest(participants = {OrderIntake.STOCK, OrderIntake.ORDERS})
class OrderIntakeTest {

    private RedtxServers servers;
    private RedisServer stock;
    private RedisServer orders;
    private OrderIntake intake;

    @BeforeEach
    void start(RedtxServers redtx, TransactionRuntime runtime) {
        servers = redtx;
        stock = redtx.server(OrderIntake.STOCK);
        orders = redtx.server(OrderIntake.ORDERS);
        intake = new OrderIntake(runtime);
    }

    @AfterEach
    void nothingLeftUnsettled() {
        StepVerifier.create(servers.awaitNoIntents(Duration.ofSeconds(10))).verifyComplete();
    }

    @Test
    void everyOrderIsPlacedOnBothServersOrOnNeitherAndStockNeverGoesNegative() {
        Flux.range(0, 3).concatMap(i -> intake.restock("sku-" + i, 40)).blockLast(Duration.ofSeconds(10));

        List<TransactionOutcome<Order, Long>> outcomes = intake.place(
                        OrderIntake.randomOrders(200, 3, 7),
                        IntakeOptions.builder().maxInFlight(16).build())
                .collectList()
                .block(Duration.ofSeconds(60));

        assertThat(outcomes).hasSize(200);
        assertThat(outcomes)
                .noneMatch(o -> o.status() == TransactionOutcome.Status.FAILED)
                .filteredOn(o -> o.status() == TransactionOutcome.Status.ABORTED)
                .isNotEmpty() // 200 orders of 1-3 items each want more than 120
                .allSatisfy(o -> assertThat(o.error()).isInstanceOf(OutOfStockException.class));
        long sold = 0;
        for (TransactionOutcome<Order, Long> o : outcomes) {
            Object recorded = orders.command("HGET", "order:" + o.request().id(), "quantity");
            if (o.status() == TransactionOutcome.Status.COMMITTED) {
                assertThat(recorded).isEqualTo(Integer.toString(o.request().quantity()));
                sold += o.request().quantity();
            } else {
                assertThat(recorded)
                        .as("aborted order %s recorded", o.request().id())
                        .isNull();
            }
        }
        long left = 0;
        for (int i = 0; i < 3; i++) {
            long count = Long.parseLong((String) stock.command("GET", "stock:sku-" + i));
            assertThat(count).isNotNegative();
            left += count;
        }
        assertThat(sold + left).isEqualTo(120);
    }

    @Test
    void theSourceIsAskedForNoMoreThanTheInFlightLimitAhead() {
        intake.restock("sku-0", 1_000).block(Duration.ofSeconds(10));
        AtomicLong requested = new AtomicLong();
        AtomicLong emitted = new AtomicLong();
        AtomicLong mostAhead = new AtomicLong();
        Flux<Order> source = OrderIntake.randomOrders(300, 1, 3)
                .doOnRequest(n -> mostAhead.accumulateAndGet(requested.addAndGet(n) - emitted.get(), Math::max))
                .doOnNext(o -> emitted.incrementAndGet());

        List<TransactionOutcome<Order, Long>> outcomes = intake.place(
                        source, IntakeOptions.builder().maxInFlight(8).build())
                .collectList()
                .block(Duration.ofSeconds(60));

        // Every order gets its outcome; a few may lose all their retries to the others (one hot item, 8 in flight).
        assertThat(outcomes).hasSize(300).noneMatch(o -> o.status() == TransactionOutcome.Status.FAILED);
        assertThat(mostAhead.get()).isBetween(1L, 8L);
    }

    @Test
    void anOrderForMoreThanIsLeftIsAbortedWithItsCause() {
        intake.restock("sku-0", 2).block(Duration.ofSeconds(10));
        TransactionOutcome<Order, Long> outcome = intake.place(
                        Flux.just(new Order("big", "sku-0", 3)), IntakeOptions.defaults())
                .single()
                .block(Duration.ofSeconds(10));

        assertThat(outcome.status()).isEqualTo(TransactionOutcome.Status.ABORTED);
        assertThat(outcome.error()).isInstanceOf(OutOfStockException.class).hasMessageContaining("2 left");
        assertThat(outcome.mayHaveCommitted()).isFalse();
        assertThat(stock.command("GET", "stock:sku-0")).isEqualTo("2");
        assertThat(orders.command("EXISTS", "order:big")).isEqualTo(0L);
    }
}
