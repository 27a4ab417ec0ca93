package io.redtx.samples.webflux;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.KeyLayout;
import io.redtx.test.redis.IntentCount;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Three real {@code redis-server}s (one per participant, started once per test class by {@link RedisTest} and
 * stopped after it), wired into the Spring context as {@code redtx.participants.*}, and raw access to what they hold.
 * Subclasses are {@code @SpringBootTest}s with {@code @DirtiesContext}, so the context (and its runtime) is closed
 * before the servers are stopped.
 */
@RedisTest
abstract class CheckoutTestSupport {

    static RedisServer stock;
    static RedisServer orders;
    static RedisServer balances;

    @BeforeAll
    static void startServers(RedisServer stockServer, RedisServer ordersServer, RedisServer balancesServer) {
        stock = stockServer;
        orders = ordersServer;
        balances = balancesServer;
    }

    @DynamicPropertySource
    static void participants(DynamicPropertyRegistry registry) {
        registry.add("redtx.participants.stock", () -> stock.uri());
        registry.add("redtx.participants.orders", () -> orders.uri());
        registry.add("redtx.participants.balances", () -> balances.uri());
    }

    @BeforeEach
    void emptyServers() {
        awaitNoIntents(); // a previous test's background rollback must not land in this one
        servers().forEach(RedisServer::flushAll);
    }

    static List<RedisServer> servers() {
        return List.of(stock, orders, balances);
    }

    static void setStock(String sku, long count) {
        stock.command("SET", CheckoutService.stockKey(sku), Long.toString(count));
    }

    static void setBalance(String customer, long cents) {
        balances.command("SET", CheckoutService.balanceKey(customer), Long.toString(cents));
    }

    static Long rawStock(String sku) {
        return asLong(stock.command("GET", CheckoutService.stockKey(sku)));
    }

    static Long rawBalance(String customer) {
        return asLong(balances.command("GET", CheckoutService.balanceKey(customer)));
    }

    /** @return every {@code order:*} hash on the orders server, by key */
    static Map<String, Map<String, String>> rawOrders() {
        List<?> keys = (List<?>) orders.command("KEYS", "order:*");
        return keys.stream().map(String.class::cast).collect(Collectors.toMap(k -> k, k -> {
            List<?> flat = (List<?>) orders.command("HGETALL", k);
            Map<String, String> hash = new java.util.HashMap<>();
            for (int i = 0; i < flat.size(); i += 2) {
                hash.put((String) flat.get(i), (String) flat.get(i + 1));
            }
            return hash;
        }));
    }

    /** @return the user keys of a server (everything outside redtx's namespace) */
    static List<String> userKeys(RedisServer server) {
        return ((List<?>) server.command("KEYS", "*"))
                .stream()
                        .map(String.class::cast)
                        .filter(k -> !k.startsWith("redtx:"))
                        .sorted()
                        .toList();
    }

    /**
     * Waits (at most 10 s) until no server holds a redtx lock, intent-index entry or PREPARED record, and none has for
     * 300 ms: a prepare still in flight when its transaction was cancelled may land after a first empty look, and must
     * be rolled back by the runtime, not by lease expiry (10 s) and recovery.
     */
    static void awaitNoIntents() {
        awaitNoIntents(Duration.ofMillis(300));
    }

    /**
     * Like {@link #awaitNoIntents()}, with a shorter quiet period for loops.
     *
     * @param quiet how long the servers must have held no intent
     */
    static void awaitNoIntents(Duration quiet) {
        long quietNanos = quiet.toNanos();
        long[] emptySince = {0};
        boolean[] empty = {false};
        await(
                () -> {
                    boolean none = IntentCount.on("redtx:", servers()).none();
                    if (none && !empty[0]) {
                        emptySince[0] = System.nanoTime();
                    }
                    empty[0] = none;
                    return none && System.nanoTime() - emptySince[0] >= quietNanos;
                },
                Duration.ofSeconds(10));
        assertThat(IntentCount.on("redtx:", servers())).isEqualTo(IntentCount.NONE);
        for (RedisServer server : servers()) {
            assertThat((List<?>) server.command("KEYS", KeyLayout.DEFAULT.lockKeyPattern()))
                    .as("lock keys on %s", server)
                    .isEmpty();
        }
    }

    static void await(BooleanSupplier condition, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    private static Long asLong(Object reply) {
        return reply == null ? null : Long.parseLong((String) reply);
    }
}
