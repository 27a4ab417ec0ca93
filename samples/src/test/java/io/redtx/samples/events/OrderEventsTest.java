package io.redtx.samples.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.TransactionRuntime;
import io.redtx.api.message.ConsumerOptions;
import io.redtx.test.redis.RedisServer;
import io.redtx.testing.RedtxServers;
import io.redtx.testing.RedtxTest;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/** The message-based sample on two real servers: every order settled once, also when a consumer stops mid-batch. */
@RedtxTest(participants = {OrderEvents.STOCK, OrderEvents.ORDERS})
class OrderEventsTest {

    private RedtxServers servers;
    private RedisServer stock;
    private RedisServer orders;
    private OrderEvents shop;

    @BeforeEach
    void start(RedtxServers redtx, TransactionRuntime runtime) {
        servers = redtx;
        stock = redtx.server(OrderEvents.STOCK);
        orders = redtx.server(OrderEvents.ORDERS);
        shop = new OrderEvents(runtime);
    }

    @AfterEach
    void nothingLeftUnsettled() {
        StepVerifier.create(servers.awaitNoIntents(Duration.ofSeconds(10))).verifyComplete();
    }

    @Test
    void eachOrderIsSettledOnceEvenWhenAConsumerStopsWithMessagesInHand() {
        Flux.range(0, 3).concatMap(i -> shop.restock("sku-" + i, 60)).blockLast(Duration.ofSeconds(10));
        ConsumerOptions options = OrderEvents.consumerOptions()
                .mutate()
                .claimIdle(Duration.ofMillis(300))
                .concurrency(4)
                .build();
        // The brief consumer reads eight messages at once and stops after settling two: six stay pending, to be
        // reclaimed by the steady one.
        Disposable brief =
                shop.settle(options.mutate().concurrency(8).build()).take(2).subscribe();
        Disposable steady = shop.settle(options).subscribe();
        try {
            OrderEvents.randomOrders(150, 3, 7).flatMap(shop::place, 16).blockLast(Duration.ofSeconds(60));
            OrderEvents.Summary s = OrderEvents.Summary.await(orders, stock, 150, 3, 60, Duration.ofSeconds(30));
            System.out.println("orders settled: " + s);
            assertThat(s.unsettled()).isZero();
            assertThat(s.rejected()).isPositive(); // 150 orders of 1-3 items each want more than 180
            assertThat(s.stockTaken()).isEqualTo(s.quantityConfirmed());
            assertThat(s.consistent()).isTrue();
            assertThat(orders.command("XLEN", OrderEvents.EVENTS)).isEqualTo(150L);
            awaitNoPending();
        } finally {
            steady.dispose();
            brief.dispose();
        }
    }

    private void awaitNoPending() {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (((Long) ((List<?>) orders.command("XPENDING", OrderEvents.EVENTS, OrderEvents.GROUP)).get(0)) != 0) {
            assertThat(System.nanoTime()).as("entries still pending after 10 s").isLessThan(deadline);
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
