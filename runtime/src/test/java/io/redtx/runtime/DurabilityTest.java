package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.ParticipantDurability;
import io.redtx.api.ParticipantDurability.Level;
import io.redtx.api.ParticipantErrorException;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionRuntime;
import io.redtx.test.redis.Persistence;
import io.redtx.test.redis.RedisConfig;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

@RedisTest
class DurabilityTest {

    private final List<TransactionRuntime> runtimes = new ArrayList<>();

    @AfterEach
    void close() {
        runtimes.forEach(r -> r.closeGracefully().block(Duration.ofSeconds(10)));
    }

    private TransactionRuntime runtime(RuntimeOptions options) {
        TransactionRuntime r = RedisTransactionRuntime.create(options);
        runtimes.add(r);
        return r;
    }

    @Test
    void durabilityTellsWhatSurvivesARestartOfEachParticipant(
            RedisServer inMemory,
            @RedisConfig(persistence = Persistence.DURABLE) RedisServer synced,
            @RedisConfig(persistence = Persistence.DURABLE, config = "appendfsync everysec") RedisServer periodic) {
        TransactionRuntime rt = runtime(RuntimeOptions.builder()
                .participant("mem", inMemory.uri())
                .participant("synced", synced.uri())
                .participant("periodic", periodic.uri())
                .build());

        StepVerifier.create(rt.durability())
                .assertNext(list -> {
                    assertThat(list)
                            .extracting(ParticipantDurability::participant, ParticipantDurability::level)
                            .containsExactly(
                                    org.assertj.core.groups.Tuple.tuple("mem", Level.NONE),
                                    org.assertj.core.groups.Tuple.tuple("synced", Level.EVERY_WRITE_SYNCED),
                                    org.assertj.core.groups.Tuple.tuple("periodic", Level.PERIODIC));
                    assertThat(list.get(1).appendFsync()).isEqualTo("always");
                    assertThat(list.get(2).appendFsync()).isEqualTo("everysec");
                })
                .verifyComplete();
    }

    @Test
    void requireSyncedWritesRefusesAParticipantWithoutAofAlwaysAndWritesNothing(RedisServer inMemory) {
        TransactionRuntime rt = runtime(RuntimeOptions.builder()
                .participant("mem", inMemory.uri())
                .connections(c -> c.requireSyncedWrites(true))
                .build());

        StepVerifier.create(rt.inTransaction(t -> t.on("mem").set("k", "v")))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOfSatisfying(ParticipantErrorException.class, p -> {
                    assertThat(p.participant()).isEqualTo("mem");
                    assertThat(p)
                            .hasMessageContaining(
                                    "requireSyncedWrites needs appendonly yes and " + "appendfsync always, found NONE");
                }))
                .verify(Duration.ofSeconds(10));
        assertThat(inMemory.command("DBSIZE")).isEqualTo(0L);
    }

    @Test
    void requireSyncedWritesAcceptsAofAlways(@RedisConfig(persistence = Persistence.DURABLE) RedisServer synced) {
        TransactionRuntime rt = runtime(RuntimeOptions.builder()
                .participant("synced", synced.uri())
                .connections(c -> c.requireSyncedWrites(true))
                .build());

        StepVerifier.create(rt.inTransaction(t -> t.on("synced").set("k", "v"))).verifyComplete();
        assertThat(synced.command("GET", "k")).isEqualTo("v");
    }
}
