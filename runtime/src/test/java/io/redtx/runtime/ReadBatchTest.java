package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.ParticipantErrorException;
import io.redtx.api.RetryPolicy;
import io.redtx.test.redis.RedisServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** Reads issued together on one participant go in one script, and each still gets its own answer. */
class ReadBatchTest extends ThreeParticipantsTestBase {

    @Test
    void readsIssuedTogetherOnAnEventLoopShareOneScript() {
        runtime(o -> o);
        a.command("SET", "first", "0");
        for (int i = 0; i < 10; i++) {
            a.command("SET", "k" + i, "v" + i);
        }
        runtime.inTransaction(tx -> tx.on("a").get("warm-up")).block(Duration.ofSeconds(10));
        a.command("CONFIG", "RESETSTAT");

        // The first read is sent from the test thread; the ten after it start on the event loop that delivered its
        // reply, all within one task.
        List<String> values = runtime.inTransaction(tx -> tx.on("a")
                        .get("first")
                        .flatMapMany(ignored -> Flux.range(0, 10)
                                .flatMapSequential(i -> tx.on("a").get("k" + i), 10))
                        .collectList())
                .block(Duration.ofSeconds(10));

        assertThat(values).containsExactly("v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9");
        // The first read, the batch of ten, the one-phase validation: 3 scripts (12 without batching).
        assertThat(evalshaCalls(a)).isEqualTo(3);
    }

    @Test
    void eachReadOfABatchGetsItsOwnAnswerOrError() {
        runtime(o -> o.retryPolicy(RetryPolicy.none()));
        a.command("SET", "first", "0");
        a.command("SET", "string", "s");
        a.command("HSET", "hash", "f", "1", "g", "2");
        a.command("RPUSH", "list", "x");

        StepVerifier.create(runtime.inTransaction(tx -> tx.on("a")
                        .get("first")
                        .then(Mono.zip(
                                tx.on("a").get("string"),
                                tx.on("a").get("absent").defaultIfEmpty("<none>"),
                                tx.on("a").hgetAll("hash"),
                                tx.on("a").hget("hash", "g"),
                                tx.on("a").setIfAbsent("string", "other"),
                                tx.on("a")
                                        .get("list")
                                        .onErrorResume(
                                                ParticipantErrorException.class,
                                                e -> Mono.just("error: " + e.getMessage()))))))
                .assertNext(t -> {
                    assertThat(t.getT1()).isEqualTo("s");
                    assertThat(t.getT2()).isEqualTo("<none>");
                    assertThat(t.getT3()).isEqualTo(Map.of("f", "1", "g", "2"));
                    assertThat(t.getT4()).isEqualTo("2");
                    assertThat(t.getT5()).isFalse(); // it exists
                    assertThat(t.getT6()).startsWith("error: ").contains("WRONGTYPE key 'list' holds a list");
                })
                .expectComplete()
                .verify(Duration.ofSeconds(10));
    }

    private static long evalshaCalls(RedisServer s) {
        for (String line : String.valueOf(s.command("INFO", "commandstats")).split("\r?\n")) {
            if (line.startsWith("cmdstat_evalsha:calls=")) {
                return Long.parseLong(line.substring("cmdstat_evalsha:calls=".length(), line.indexOf(',')));
            }
        }
        return 0;
    }
}
