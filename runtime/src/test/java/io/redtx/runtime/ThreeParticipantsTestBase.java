package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.RuntimeOptions;
import io.redtx.runtime.internal.protocol.ProtocolHooks;
import io.redtx.test.redis.IntentCount;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** Three real Redis servers shared by a test class (participants "a", "b", "c"), flushed before each test. */
@RedisTest
abstract class ThreeParticipantsTestBase {

    static RedisServer a;
    static RedisServer b;
    static RedisServer c;

    RedisTransactionRuntime runtime;

    @BeforeAll
    static void startServers(RedisServer first, RedisServer second, RedisServer third) {
        a = first;
        b = second;
        c = third;
    }

    @BeforeEach
    void flush() {
        for (RedisServer s : servers()) {
            if (s.isPaused()) {
                s.resume();
            }
            s.flushAll();
        }
    }

    @AfterEach
    void closeRuntime() {
        if (runtime != null) {
            runtime.closeGracefully().block(Duration.ofSeconds(30));
            runtime = null;
        }
    }

    /** Runs a blocking action of the test (an outside writer, say) off the Reactor threads. */
    static Mono<Void> outside(Runnable action) {
        return Mono.fromRunnable(action)
                .subscribeOn(Schedulers.boundedElastic())
                .then();
    }

    /** @return the EVALSHA calls {@code s} counted since it started or since {@code CONFIG RESETSTAT} */
    static long evalshaCalls(RedisServer s) {
        for (String line : String.valueOf(s.command("INFO", "commandstats")).split("\r?\n")) {
            if (line.startsWith("cmdstat_evalsha:calls=")) {
                return Long.parseLong(line.substring("cmdstat_evalsha:calls=".length(), line.indexOf(',')));
            }
        }
        return 0;
    }

    static List<RedisServer> servers() {
        return List.of(a, b, c);
    }

    static RuntimeOptions.Builder options() {
        return RuntimeOptions.builder()
                .participant("a", a.uri())
                .participant("b", b.uri())
                .participant("c", c.uri());
    }

    RedisTransactionRuntime runtime(UnaryOperator<RuntimeOptions.Builder> customize) {
        return runtime(customize, ProtocolHooks.NONE);
    }

    RedisTransactionRuntime runtime(UnaryOperator<RuntimeOptions.Builder> customize, ProtocolHooks hooks) {
        runtime = RedisTransactionRuntime.create(customize.apply(options()).build(), hooks);
        return runtime;
    }

    RedisTransactionRuntime runtime() {
        return runtime(o -> o);
    }

    static Object get(RedisServer server, String key) {
        return server.command("GET", key);
    }

    /**
     * No lock, no index entry, no PREPARED transaction key on any server, once the runtime's background work (the
     * forget step after a two-phase commit, background rollbacks) is done.
     */
    void assertNoIntents() {
        if (runtime != null) {
            awaitBackground();
        }
        assertThat(IntentCount.on("redtx:", servers())).isEqualTo(IntentCount.NONE);
    }

    /** Waits (bounded) until background rollbacks and roll-forwards are done. */
    void awaitBackground() {
        awaitTrue(() -> runtime.backgroundTasks() == 0);
    }

    /** Polls (on the test thread, never a Reactor one) until the condition holds; fails after 10 s. */
    static void awaitTrue(BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition not met within 10 s").isLessThan(deadline);
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
