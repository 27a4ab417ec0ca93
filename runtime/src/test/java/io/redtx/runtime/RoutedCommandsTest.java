package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.CommitProtocol;
import io.redtx.api.RedtxArgumentException;
import io.redtx.api.TransactionResult;
import io.redtx.api.routing.KeyRouter;
import io.redtx.test.redis.RedisServer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class RoutedCommandsTest extends ThreeParticipantsTestBase {

    /** What the runtime uses when no router is set: consistent hashing over every participant. */
    private static final KeyRouter DEFAULT = KeyRouter.consistentHashing(List.of("a", "b", "c"));

    private static RedisServer server(String participant) {
        return switch (participant) {
            case "a" -> a;
            case "b" -> b;
            case "c" -> c;
            default -> throw new AssertionError(participant);
        };
    }

    @Test
    void everyKeyLandsOnTheParticipantTheDefaultRouterNames() {
        RedisTransactionRuntime rt = runtime();
        KeyRouter router = DEFAULT;
        List<String> keys = IntStream.range(0, 60).mapToObj(i -> "user:" + i).toList();

        StepVerifier.create(rt.inTransaction(t -> Flux.fromIterable(keys)
                        .concatMap(k -> t.routed().set(k, "v-" + k))
                        .then()))
                .verifyComplete();

        Map<String, Integer> perParticipant = new HashMap<>();
        for (String k : keys) {
            String owner = router.participantFor(k);
            perParticipant.merge(owner, 1, Integer::sum);
            for (String p : List.of("a", "b", "c")) {
                assertThat(get(server(p), k)).as(k + " on " + p).isEqualTo(p.equals(owner) ? "v-" + k : null);
            }
        }
        assertThat(perParticipant).containsOnlyKeys("a", "b", "c"); // 60 keys reach all three
        assertNoIntents();
    }

    @Test
    void routedAndNamedAccessToOneKeyAreOneKeyOfTheTransaction() {
        RedisTransactionRuntime rt = runtime(o -> o.keyRouter(key -> key.startsWith("x") ? "a" : "b"));
        a.command("SET", "x1", "10");

        Mono<TransactionResult<Long>> tx = rt.inTransactionWithResult(t -> t.routed()
                .incrBy("x1", 5)
                .then(t.on("a").incrBy("x1", 1))
                .flatMap(v -> t.routed().set("y1", "seen " + v).thenReturn(v)));

        StepVerifier.create(tx)
                .assertNext(r -> {
                    assertThat(r.value()).isEqualTo(16L);
                    assertThat(r.commit().protocol()).isEqualTo(CommitProtocol.TWO_PHASE);
                    assertThat(r.commit().shards()).containsExactly("a", "b");
                })
                .verifyComplete();
        assertThat(get(a, "x1")).isEqualTo("16");
        assertThat(get(b, "y1")).isEqualTo("seen 16");
        assertNoIntents();
    }

    @Test
    void aRouterNamingAnUnknownParticipantOrFailingIsAnArgumentErrorAndNothingIsWritten() {
        RedisTransactionRuntime rt = runtime(o -> o.keyRouter(key -> switch (key) {
            case "nowhere" -> "z";
            case "null" -> null;
            case "boom" -> throw new IllegalStateException("router down");
            default -> "a";
        }));

        for (String bad : List.of("nowhere", "null", "boom")) {
            StepVerifier.create(rt.inTransaction(
                            t -> t.routed().set("ok", "1").then(t.routed().set(bad, "1"))))
                    .expectErrorSatisfies(e -> assertThat(e)
                            .isInstanceOf(RedtxArgumentException.class)
                            .hasMessageContaining("keyRouter")
                            .hasMessageContaining("'" + bad + "'"))
                    .verify();
        }
        StepVerifier.create(rt.inTransaction(t -> t.routed().get("")))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(RedtxArgumentException.class)
                        .hasMessageContaining("must not be null or empty"))
                .verify();
        for (RedisServer s : servers()) {
            assertThat(s.command("DBSIZE")).isEqualTo(0L);
        }
    }

    @Test
    void routedTransfersKeepTheBankTotal() {
        RedisTransactionRuntime rt = runtime();
        int accounts = 30;
        KeyRouter router = DEFAULT;
        for (int i = 0; i < accounts; i++) {
            server(router.participantFor("acct:" + i)).command("SET", "acct:" + i, "100");
        }
        Random random = new Random(7);
        List<int[]> transfers = IntStream.range(0, 200)
                .mapToObj(i -> new int[] {random.nextInt(accounts), random.nextInt(accounts), 1 + random.nextInt(20)})
                .filter(t -> t[0] != t[1])
                .toList();

        StepVerifier.create(Flux.fromIterable(transfers)
                        .flatMap(
                                tr -> rt.inTransaction(t -> t.routed()
                                        .get("acct:" + tr[0])
                                        .map(Long::parseLong)
                                        .filter(balance -> balance >= tr[2])
                                        .flatMap(balance -> t.routed()
                                                .decrBy("acct:" + tr[0], tr[2])
                                                .then(t.routed().incrBy("acct:" + tr[1], tr[2])))),
                                16)
                        .then())
                .verifyComplete();

        long total = 0;
        for (int i = 0; i < accounts; i++) {
            String v = (String) get(server(router.participantFor("acct:" + i)), "acct:" + i);
            assertThat(Long.parseLong(v)).isNotNegative();
            total += Long.parseLong(v);
        }
        assertThat(total).isEqualTo(100L * accounts);
        assertNoIntents();
    }
}
