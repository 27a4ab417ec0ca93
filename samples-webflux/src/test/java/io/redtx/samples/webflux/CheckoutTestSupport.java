package io.redtx.samples.webflux;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.KeyLayout;
import io.redtx.test.redis.IntentCount;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import java.time.Duration;
import java.util.LinkedHashMap;
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
        // An event whose transaction did not commit (admission refused it, its retries ran out) comes back in a
        // second rather than 30: the tests wait for the read model to catch up before each test's flush.
        registry.add("checkout.order-events.claim-idle", () -> "1s");
        registry.add("checkout.order-events.poll-interval", () -> "20ms");
    }

    @BeforeEach
    void emptyServers() {
        // A previous test's background rollback, late commit or read model update must not land in this one.
        awaitNoIntents();
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
     * Waits (at most 20 s) until no server holds a redtx lock, intent-index entry or PREPARED record and the read model
     * has handled every order event ({@link #eventsConsumed()}), and both have held for 300 ms: a prepare still in
     * flight when its transaction was cancelled may land after a first empty look, and must be rolled back by the
     * runtime, not by lease expiry (10 s) and recovery; a checkout cancelled after its commit point appends its event
     * late, and the consumer's transaction for it makes intents of its own.
     */
    static void awaitNoIntents() {
        awaitNoIntents(Duration.ofMillis(300));
    }

    /**
     * Like {@link #awaitNoIntents()}, with a shorter quiet period for loops.
     *
     * @param quiet how long the servers must have held no intent and no unhandled event
     */
    static void awaitNoIntents(Duration quiet) {
        long quietNanos = quiet.toNanos();
        long[] emptySince = {0};
        boolean[] empty = {false};
        await(
                () -> {
                    boolean none = eventsConsumed()
                            && IntentCount.on("redtx:", servers()).none();
                    if (none && !empty[0]) {
                        emptySince[0] = System.nanoTime();
                    }
                    empty[0] = none;
                    return none && System.nanoTime() - emptySince[0] >= quietNanos;
                },
                Duration.ofSeconds(20));
        assertThat(eventsConsumed())
                .as("read model caught up with %s: %s", CheckoutService.ORDER_EVENTS, groupInfo())
                .isTrue();
        assertThat(IntentCount.on("redtx:", servers())).isEqualTo(IntentCount.NONE);
        for (RedisServer server : servers()) {
            assertThat((List<?>) server.command("KEYS", KeyLayout.DEFAULT.lockKeyPattern()))
                    .as("lock keys on %s", server)
                    .isEmpty();
        }
    }

    /** Waits (at most 20 s) until {@link #eventsConsumed()}, for the events of checkouts that already completed. */
    static void awaitEventsConsumed() {
        await(CheckoutTestSupport::eventsConsumed, Duration.ofSeconds(20));
        assertThat(eventsConsumed())
                .as("read model caught up with %s: %s", CheckoutService.ORDER_EVENTS, groupInfo())
                .isTrue();
    }

    /**
     * @return whether the read model's group has handled every event of the stream: it was delivered the last entry
     *     and has nothing pending, so each event's transaction committed (or the event was dead-lettered) and no
     *     consumer transaction starts until the next event
     */
    static boolean eventsConsumed() {
        if (!"stream".equals(orders.command("TYPE", CheckoutService.ORDER_EVENTS))) {
            return true; // no order since the last flush
        }
        String last = (String) pairs((List<?>) orders.command("XINFO", "STREAM", CheckoutService.ORDER_EVENTS))
                .get("last-generated-id");
        Map<String, Object> group = groupInfo();
        if (group == null) {
            return "0-0".equals(last);
        }
        return ((Long) group.get("pending")) == 0 && last.equals(group.get("last-delivered-id"));
    }

    /** @return {@code XINFO GROUPS} of the read model's group, null if it does not exist */
    static Map<String, Object> groupInfo() {
        if (!"stream".equals(orders.command("TYPE", CheckoutService.ORDER_EVENTS))) {
            return null;
        }
        for (Object group : (List<?>) orders.command("XINFO", "GROUPS", CheckoutService.ORDER_EVENTS)) {
            Map<String, Object> info = pairs((List<?>) group);
            if (OrderEventsConsumer.GROUP.equals(info.get("name"))) {
                return info;
            }
        }
        return null;
    }

    /** @return events delivered to the read model's group and not acknowledged (0 without the group) */
    static long pendingEvents() {
        Map<String, Object> group = groupInfo();
        return group == null ? 0 : (Long) group.get("pending");
    }

    /**
     * Asserts that the orders server holds no order and no order event: at most the empty stream (with its group) that
     * the read model's consumer makes when it finds none.
     */
    static void assertNoOrderRecorded() {
        assertThat(userKeys(orders)).isSubsetOf(CheckoutService.ORDER_EVENTS);
        assertThat(orderEvents()).isEmpty();
    }

    /** One entry of the order events stream. */
    record Event(String id, Map<String, String> fields) {}

    /** @return the entries of the {@code order-events} stream, oldest first */
    static List<Event> orderEvents() {
        if (!"stream".equals(orders.command("TYPE", CheckoutService.ORDER_EVENTS))) {
            return List.of();
        }
        return ((List<?>) orders.command("XRANGE", CheckoutService.ORDER_EVENTS, "-", "+"))
                .stream()
                        .map(List.class::cast)
                        .map(entry -> {
                            Map<String, String> fields = new LinkedHashMap<>();
                            pairs((List<?>) entry.get(1)).forEach((k, v) -> fields.put(k, (String) v));
                            return new Event((String) entry.get(0), fields);
                        })
                        .toList();
    }

    /** @return the read model's hash of a customer, read raw (empty if none) */
    static Map<String, Object> rawSummary(String customer) {
        return pairs((List<?>) balances.command("HGETALL", CheckoutService.summaryKey(customer)));
    }

    private static Map<String, Object> pairs(List<?> flat) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            map.put((String) flat.get(i), flat.get(i + 1));
        }
        return map;
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
