package io.redtx.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.RedtxConfigurationException;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.TransactionStateException;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.SmartLifecycle;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import reactor.util.retry.Retry;

/** Verification at start-up and the graceful close at shutdown, against real servers. */
@RedisTest
class LifecycleTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(RedtxAutoConfiguration.class))
            .withPropertyValues("redtx.timeouts.connect=1s");

    @Test
    void startUpFailsOnAParticipantThatCannotBeReached(RedisServer orders) {
        runner.withPropertyValues(
                        "redtx.participants.orders=" + orders.uri(),
                        // Port 1 on loopback: nothing listens there, the connection is refused at once.
                        "redtx.participants.gone=redis://127.0.0.1:1")
                .run(context -> {
                    assertThat(context).hasFailed();
                    RedtxConfigurationException e =
                            InvalidPropertiesTest.find(context.getStartupFailure(), RedtxConfigurationException.class);
                    assertThat(e).isNotNull();
                    assertThat(e.problems()).containsOnlyKeys("gone");
                });
    }

    @Test
    void withoutVerificationAnUnreachableParticipantDoesNotStopTheStartUp(RedisServer orders) {
        runner.withPropertyValues(
                        "redtx.verify-on-startup=false",
                        "redtx.participants.orders=" + orders.uri(),
                        "redtx.participants.gone=redis://127.0.0.1:1")
                .run(context -> assertThat(context).hasNotFailed());
    }

    @Test
    void startUpVerifiesReachableParticipants(RedisServer orders, RedisServer stock) {
        runner.withPropertyValues(
                        "redtx.participants.orders=" + orders.uri(), "redtx.participants.stock=" + stock.uri())
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    // verify() connected at once (the runtime alone connects lazily): the test's own connection and
                    // the runtime's.
                    assertThat(connectedClients(orders)).isGreaterThanOrEqualTo(2);
                    assertThat(connectedClients(stock)).isGreaterThanOrEqualTo(2);
                    assertThat(context.getBean(RedtxRuntimeLifecycle.class).isRunning())
                            .isTrue();
                });
    }

    @Test
    void aTransactionInFlightAtCloseCompletesAndTheRuntimeIsClosed(RedisServer orders, RedisServer stock) {
        runner.withPropertyValues(
                        "redtx.participants.orders=" + orders.uri(), "redtx.participants.stock=" + stock.uri())
                .run(context -> {
                    TransactionRuntime runtime = context.getBean(TransactionRuntime.class);
                    CountDownLatch inside = new CountDownLatch(1);
                    CompletableFuture<String> inFlight = runtime.inTransaction(tx -> tx.on("orders")
                                    .set("order:1", "placed")
                                    .then(tx.on("stock").incrBy("stock:widget", -1))
                                    .then(Mono.fromRunnable(inside::countDown))
                                    // Still running when the context closes.
                                    .then(Mono.delay(Duration.ofMillis(500)))
                                    .thenReturn("committed"))
                            .toFuture();
                    assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();

                    context.close();

                    // The graceful close waited for it: done by the time close() returned, and committed everywhere.
                    assertThat(inFlight).isCompletedWithValue("committed");
                    assertThat(orders.command("GET", "order:1")).isEqualTo("placed");
                    assertThat(stock.command("GET", "stock:widget")).isEqualTo("-1");
                    StepVerifier.create(
                                    runtime.inTransaction(tx -> tx.on("orders").get("order:1")))
                            .expectError(TransactionStateException.class)
                            .verify(Duration.ofSeconds(5));
                });
    }

    @Test
    void stopOnAReactorThreadClosesWithoutBlockingIt(RedisServer orders) {
        runner.withPropertyValues("redtx.participants.orders=" + orders.uri()).run(context -> {
            TransactionRuntime runtime = context.getBean(TransactionRuntime.class);
            RedtxRuntimeLifecycle lifecycle = context.getBean(RedtxRuntimeLifecycle.class);
            // BlockHound fails a block() on this thread.
            Mono.fromRunnable(lifecycle::stop)
                    .subscribeOn(Schedulers.parallel())
                    .as(StepVerifier::create)
                    .verifyComplete();
            assertThat(lifecycle.isRunning()).isFalse();
            StepVerifier.create(Mono.defer(() ->
                                    runtime.inTransaction(tx -> tx.on("orders").get("k")))
                            .retryWhen(Retry.fixedDelay(100, Duration.ofMillis(20))
                                    .filter(e -> !(e instanceof TransactionStateException))))
                    .expectError(TransactionStateException.class)
                    .verify(Duration.ofSeconds(5));
        });
    }

    @Test
    void aCloseThatOutlastsTheShutdownTimeoutClosesAtOnce(RedisServer orders) {
        runner.withPropertyValues("redtx.participants.orders=" + orders.uri(), "redtx.shutdown-timeout=200ms")
                .run(context -> {
                    TransactionRuntime runtime = context.getBean(TransactionRuntime.class);
                    CountDownLatch inside = new CountDownLatch(1);
                    CompletableFuture<Object> slow = runtime.inTransaction(tx -> tx.on("orders")
                                    .set("order:1", "placed")
                                    .then(Mono.fromRunnable(inside::countDown))
                                    .then(Mono.delay(Duration.ofSeconds(2)))
                                    .thenReturn("late"))
                            .<Object>map(v -> v)
                            .onErrorResume(e -> Mono.just(e))
                            .toFuture();
                    assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
                    long started = System.nanoTime();

                    context.close();

                    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(1500));
                    // Closed at once under it: the transaction cannot commit, and wrote nothing.
                    assertThat(slow.get(10, TimeUnit.SECONDS)).isInstanceOf(Throwable.class);
                    assertThat(orders.command("GET", "order:1")).isNull();
                });
    }

    @Test
    void theRuntimeIsStillOpenWhenTheWebServerDrainsItsRequests(RedisServer orders) {
        AtomicReference<Object> seenWhileDraining = new AtomicReference<>();
        runner.withPropertyValues("redtx.participants.orders=" + orders.uri())
                .withBean(WebServerDrain.class, () -> new WebServerDrain(seenWhileDraining))
                .run(context -> {
                    orders.command("SET", "greeting", "hello");
                    context.getBean(WebServerDrain.class).runtime = context.getBean(TransactionRuntime.class);
                    context.close();
                    assertThat(seenWhileDraining.get()).isEqualTo("hello");
                });
    }

    private static int connectedClients(RedisServer server) {
        for (String line : server.info("clients").split("\r?\n")) {
            if (line.startsWith("connected_clients:")) {
                return Integer.parseInt(
                        line.substring("connected_clients:".length()).trim());
            }
        }
        throw new AssertionError("no connected_clients in INFO clients");
    }

    /**
     * Stands for Boot's web server graceful shutdown, in its phase: a request it lets finish during the drain still
     * runs a transaction.
     */
    static final class WebServerDrain implements SmartLifecycle {
        /** Boot's WebServerGracefulShutdownLifecycle.SMART_LIFECYCLE_PHASE. */
        static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 1024;

        private final AtomicReference<Object> seen;
        private volatile boolean running;
        volatile TransactionRuntime runtime;

        WebServerDrain(AtomicReference<Object> seen) {
            this.seen = seen;
        }

        @Override
        public void start() {
            running = true;
        }

        @Override
        public void stop() {
            running = false;
            try {
                seen.set(runtime.inTransaction(tx -> tx.on("orders").get("greeting"))
                        .block(Duration.ofSeconds(10)));
            } catch (RuntimeException e) {
                seen.set(e);
            }
        }

        @Override
        public boolean isRunning() {
            return running;
        }

        @Override
        public int getPhase() {
            return PHASE;
        }
    }
}
