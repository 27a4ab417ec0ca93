package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.RedtxException;
import io.redtx.api.RetryPolicy;
import io.redtx.test.redis.RedisServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;

/**
 * Nothing the runtime starts drops an error: conflicts on hot keys (reads batched on one participant meeting foreign
 * intents, prepares refused together), time limits that fire after their step was given up, cancellations and a paused
 * participant, with Reactor's {@code onErrorDropped} hook counting every dropped error and where it was dropped.
 */
class NoDroppedErrorsTest extends ThreeParticipantsTestBase {

    private final Map<String, LongAdder> dropped = new ConcurrentHashMap<>();

    @BeforeEach
    void countDroppedErrors() {
        Hooks.onErrorDropped(e -> {
            StringWriter where = new StringWriter();
            new Exception(String.valueOf(e)).printStackTrace(new PrintWriter(where));
            dropped.computeIfAbsent(
                            String.join("\n", where.toString().lines().limit(12).toList()), k -> new LongAdder())
                    .increment();
        });
    }

    @AfterEach
    void resetHook() {
        Hooks.resetOnErrorDropped();
    }

    @Test
    void conflictsTimeoutsCancelsAndAPauseDropNoError() throws Exception {
        for (RedisServer s : List.of(a, b)) {
            for (int i = 0; i < 4; i++) {
                s.command("SET", "acct" + i, "1000");
            }
        }
        runtime(o -> o.retryPolicy(RetryPolicy.builder().maxAttempts(3).build())
                .timeouts(t -> t.read(Duration.ofMillis(300))
                        .prepare(Duration.ofMillis(300))
                        .commit(Duration.ofMillis(300))
                        .transaction(Duration.ofMillis(700))));
        LongAdder failures = new LongAdder();
        var load = Flux.range(0, 4000)
                .flatMap(
                        i -> {
                            String p = i % 2 == 0 ? "a" : "b";
                            String q = i % 2 == 0 ? "b" : "a";
                            // Two reads on one participant share a batch; the write on the other makes it 2PC.
                            Mono<Object> work = runtime.inTransaction(tx -> Mono.zip(
                                                    tx.on(p).decrBy("acct" + (i % 4), 1),
                                                    tx.on(p).incrBy("acct" + ((i + 1) % 4), 1),
                                                    tx.on(q).incrBy("acct" + ((i + 2) % 4), 0))
                                            .thenReturn(i))
                                    .cast(Object.class);
                            // Some callers give up early: their attempts are cancelled mid-way.
                            if (i % 7 == 0) {
                                work = work.timeout(Duration.ofMillis(1 + i % 5), Mono.empty());
                            }
                            return work.onErrorResume(RedtxException.class, e -> {
                                failures.increment();
                                return Mono.empty();
                            });
                        },
                        48)
                .then()
                .toFuture();
        TimeUnit.MILLISECONDS.sleep(800);
        b.pause();
        TimeUnit.MILLISECONDS.sleep(800);
        b.resume();
        load.get(120, TimeUnit.SECONDS);
        // status() of a transaction while two participants cannot answer.
        a.pause();
        b.pause();
        try {
            runtime.status("nobody")
                    .onErrorResume(RedtxException.class, e -> Mono.empty())
                    .block(Duration.ofSeconds(10));
        } finally {
            a.resume();
            b.resume();
        }
        awaitBackground();
        TimeUnit.MILLISECONDS.sleep(500); // late replies and time limits of abandoned commands

        long drops = dropped.values().stream().mapToLong(LongAdder::sum).sum();
        System.out.printf("%d transactions failed with a redtx error; %d errors dropped%n", failures.sum(), drops);
        dropped.forEach((where, count) -> System.out.println("DROPPED x" + count + "\n" + where + "\n"));
        assertThat(failures.sum()).as("the load met conflicts and time limits").isPositive();
        assertThat(drops).isZero();
    }
}
