package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.DefaultEventLoop;
import io.redtx.api.ParticipantErrorException;
import io.redtx.api.RetryPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** Reads issued together on one participant go in one script, and each still gets its own answer. */
class ReadBatchTest extends ThreeParticipantsTestBase {

    @Test
    void readsIssuedTogetherOnAnEventLoopShareOneScript() {
        runtime(o -> o);
        for (int i = 0; i < 10; i++) {
            a.command("SET", "k" + i, "v" + i);
        }
        runtime.inTransaction(tx -> tx.on("a").get("warm-up")).block(Duration.ofSeconds(10));
        a.command("CONFIG", "RESETSTAT");
        // Where a running transaction's reads start: on a Netty event loop, here one of the test's own, so that the
        // ten reads are certainly subscribed within one of its tasks.
        DefaultEventLoop loop = new DefaultEventLoop();
        try {
            List<String> values = runtime.inTransaction(tx -> Flux.range(0, 10)
                            .flatMapSequential(i -> tx.on("a").get("k" + i), 10)
                            .collectList()
                            .subscribeOn(Schedulers.fromExecutor(loop)))
                    .block(Duration.ofSeconds(10));

            assertThat(values).containsExactly("v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9");
            // One script for the ten reads, one for the one-phase validation (11 without batching).
            assertThat(evalshaCalls(a)).isEqualTo(2);
        } finally {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    @Test
    void readsStartedOffAnEventLoopAreSentAtOnceAlone() {
        runtime(o -> o);
        runtime.inTransaction(tx -> tx.on("a").get("warm-up")).block(Duration.ofSeconds(10));
        a.command("CONFIG", "RESETSTAT");

        runtime.inTransaction(tx -> Flux.range(0, 3)
                        .flatMap(i -> tx.on("a").get("k" + i))
                        .collectList()
                        .subscribeOn(Schedulers.boundedElastic()))
                .block(Duration.ofSeconds(10));

        assertThat(evalshaCalls(a)).isEqualTo(4);
    }

    @Test
    void eachReadOfABatchGetsItsOwnAnswerOrError() {
        runtime(o -> o.retryPolicy(RetryPolicy.none()));
        a.command("SET", "string", "s");
        a.command("HSET", "hash", "f", "1", "g", "2");
        a.command("RPUSH", "list", "x");
        runtime.inTransaction(tx -> tx.on("a").get("warm-up")).block(Duration.ofSeconds(10));
        a.command("CONFIG", "RESETSTAT");
        DefaultEventLoop loop = new DefaultEventLoop();
        try {
            StepVerifier.create(runtime.inTransaction(tx -> Mono.zip(
                                    tx.on("a").get("string"),
                                    tx.on("a").get("absent").defaultIfEmpty("<none>"),
                                    tx.on("a").hgetAll("hash"),
                                    tx.on("a").hget("hash", "g"),
                                    tx.on("a").setIfAbsent("string", "other"),
                                    tx.on("a")
                                            .get("list")
                                            .onErrorResume(
                                                    ParticipantErrorException.class,
                                                    e -> Mono.just("error: " + e.getMessage())))
                            .subscribeOn(Schedulers.fromExecutor(loop))))
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
            // All six in one script, then the one-phase validation.
            assertThat(evalshaCalls(a)).isEqualTo(2);
        } finally {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }
}
