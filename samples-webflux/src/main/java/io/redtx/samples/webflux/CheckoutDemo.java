package io.redtx.samples.webflux;

import io.redtx.test.redis.Persistence;
import io.redtx.test.redis.RedisServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Runs the checkout service on three embedded {@code redis-server} processes (one per participant), with some stock
 * and two customers with money, for trying it by hand:
 *
 * <pre>
 * ./mvnw -q -pl samples-webflux -am compile exec:java
 * curl -i -H 'Content-Type: application/json' -d '{"customer":"alice","sku":"widget","quantity":2}' localhost:8080/orders
 * curl localhost:8080/stock/widget
 * curl localhost:8080/balances/alice
 * curl localhost:8080/customers/alice/summary
 * </pre>
 *
 * <p>Arguments are passed to Spring Boot ({@code -Dexec.args="--server.port=9090"}). Ctrl-C prints the read model's
 * figures (each customer's summary and what the order events consumer did), then stops the service (closing
 * the redtx runtime gracefully) and then the servers.
 */
public final class CheckoutDemo {

    private CheckoutDemo() {}

    /**
     * Starts three servers, seeds them, and runs {@link CheckoutApplication} on them until the JVM is stopped.
     *
     * @param args Spring Boot arguments
     */
    public static void main(String[] args) {
        RedisServer stock = RedisServer.start(Persistence.IN_MEMORY);
        RedisServer orders = RedisServer.start(Persistence.IN_MEMORY);
        RedisServer balances = RedisServer.start(Persistence.IN_MEMORY);
        stock.command("MSET", "stock:widget", "100", "stock:gadget", "10", "stock:gizmo", "1");
        balances.command("MSET", "balance:alice", "100000", "balance:bob", "2500");

        List<String> all = new ArrayList<>(List.of(
                "--redtx.participants.stock=" + stock.uri(),
                "--redtx.participants.orders=" + orders.uri(),
                "--redtx.participants.balances=" + balances.uri()));
        all.addAll(List.of(args));
        SpringApplication app = new SpringApplication(CheckoutApplication.class);
        // One hook, in order: the service (and its graceful runtime close) first, then the servers it uses.
        app.setRegisterShutdownHook(false);
        ConfigurableApplicationContext context = app.run(all.toArray(String[]::new));
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            printReadModel(context);
                            context.close();
                            stock.close();
                            orders.close();
                            balances.close();
                        },
                        "checkout-demo-shutdown"));
        System.out.println("stock on " + stock.uri() + ", orders on " + orders.uri() + ", balances on " + balances.uri()
                + "; seeded widget=100 gadget=10 gizmo=1, alice=100000 bob=2500 cents");
    }

    /**
     * Prints the read model's figures: each customer's summary as this process's consumer last committed it, and the
     * consumer's counts. From memory, not Redis: the embedded servers' own shutdown hook stops them concurrently with
     * this one.
     */
    private static void printReadModel(ConfigurableApplicationContext context) {
        OrderEventsConsumer consumer = context.getBean(OrderEventsConsumer.class);
        Map<String, CustomerSummary> summaries = consumer.latestSummaries();
        if (summaries.isEmpty()) {
            System.out.println("read model: no order counted");
        }
        summaries
                .values()
                .forEach(summary -> System.out.printf(
                        "read model: %s: orders %d, spent %d cents%n",
                        summary.customer(), summary.orders(), summary.spent()));
        System.out.printf(
                "order events: %d applied, %d acknowledged without effect (already processed), %d failed attempts%n",
                consumer.applied(), consumer.skipped(), consumer.failed());
    }
}
