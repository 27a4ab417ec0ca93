package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.RetryPolicy;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.TransactionStatus;
import io.redtx.api.admin.Intent;
import io.redtx.api.admin.IntentState;
import io.redtx.api.admin.KeyLock;
import io.redtx.api.admin.Resolution;
import io.redtx.api.admin.TransactionAdmin;
import io.redtx.runtime.internal.protocol.ProtocolHooks;
import io.redtx.test.redis.Persistence;
import io.redtx.test.redis.RedisCluster;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * The operator API on a Redis Cluster participant: a dead coordinator's intents in two slots served by two masters are
 * listed per slot (shard {@code c@<slot>}), shown, resolved and gone.
 */
@RedisTest
class AdminClusterTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    static RedisCluster cluster;

    @BeforeAll
    static void start() {
        cluster = RedisCluster.start(3, Persistence.IN_MEMORY);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static RuntimeOptions.Builder options() {
        return RuntimeOptions.builder()
                .participant("c", cluster.participantUri())
                .recovery(r -> r.lease(Duration.ofSeconds(60)).interval(Duration.ZERO))
                .retryPolicy(RetryPolicy.none());
    }

    /** Two keys whose slots are served by different masters. */
    private static List<String> keysOnTwoMasters() {
        String first = "k0";
        RedisServer master = cluster.masterFor(first);
        for (int i = 1; ; i++) {
            String other = "k" + i;
            if (!cluster.masterFor(other).equals(master)) {
                return List.of(first, other);
            }
        }
    }

    @Test
    void inDoubtListsEveryMastersSlotsAndResolveClearsThem() {
        List<String> keys = keysOnTwoMasters();
        AtomicReference<String> dead = new AtomicReference<>();
        RedisTransactionRuntime dying = RedisTransactionRuntime.create(options().build(), at -> {
            if (at.step() != ProtocolHooks.Step.AFTER_PREPARE) {
                return Mono.empty();
            }
            dead.set(at.transactionId());
            return Mono.error(new IllegalStateException("coordinator died"));
        });
        try {
            StepVerifier.create(dying.inTransaction(
                            t -> t.on("c").set(keys.get(0), "1").then(t.on("c").set(keys.get(1), "2"))))
                    .expectError(ProtocolHooks.Halted.class)
                    .verify(WAIT);
        } finally {
            dying.close();
        }
        String id = dead.get();

        try (TransactionRuntime runtime =
                RedisTransactionRuntime.create(options().build())) {
            TransactionAdmin admin = runtime.admin();
            List<Intent> found = admin.inDoubt(100).collectList().block(WAIT);
            assertThat(found)
                    .extracting(Intent::shard, Intent::keys)
                    .containsExactlyInAnyOrder(
                            org.assertj.core.groups.Tuple.tuple(
                                    "c@" + RedisCluster.slot(keys.get(0)), List.of(keys.get(0))),
                            org.assertj.core.groups.Tuple.tuple(
                                    "c@" + RedisCluster.slot(keys.get(1)), List.of(keys.get(1))));
            assertThat(found).allSatisfy(i -> {
                assertThat(i.transactionId()).isEqualTo(id);
                assertThat(i.participant()).isEqualTo("c");
                assertThat(i.state()).isEqualTo(IntentState.PREPARED);
            });
            assertThat(admin.show(id).block(WAIT).intents()).hasSize(2);
            assertThat(admin.locks(keys.get(1)).block(WAIT).transactions())
                    .extracting(KeyLock::shard, KeyLock::transactionId)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("c@" + RedisCluster.slot(keys.get(1)), id));

            StepVerifier.create(admin.resolve(id, true))
                    .expectNext(new Resolution(id, Resolution.Action.ROLLED_BACK, TransactionStatus.ABORTED))
                    .verifyComplete();
            assertThat(admin.inDoubt(100).collectList().block(WAIT)).isEmpty();
            assertThat(admin.locks(keys.get(1)).block(WAIT).free()).isTrue();
        }
    }
}
