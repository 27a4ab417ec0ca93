package io.redtx.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.ParticipantDurability;
import io.redtx.api.TransactionRuntime;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

@RedtxTest(
        participants = {"x", "y"},
        durable = true)
class DurableParticipantsTest {

    @Test
    void startsEveryServerWithAofAndAnFsyncPerWrite(RedtxServers servers, TransactionRuntime runtime) {
        assertThat(servers.durable()).isTrue();
        for (String name : servers.participants()) {
            assertThat(servers.server(name).command("CONFIG", "GET", "appendonly"))
                    .isEqualTo(List.of("appendonly", "yes"));
            assertThat(servers.server(name).command("CONFIG", "GET", "appendfsync"))
                    .isEqualTo(List.of("appendfsync", "always"));
        }
        StepVerifier.create(runtime.durability())
                .assertNext(levels -> assertThat(levels)
                        .extracting(ParticipantDurability::level)
                        .containsOnly(ParticipantDurability.Level.EVERY_WRITE_SYNCED))
                .verifyComplete();
    }

    @Test
    void anAcknowledgedCommitSurvivesKillAndRestart(RedtxServers servers, TransactionRuntime runtime) {
        StepVerifier.create(runtime.inTransaction(
                        tx -> tx.on("x").set("k", "kept").then(tx.on("y").set("k", "kept"))))
                .verifyComplete();

        servers.server("x").kill();
        servers.server("x").restart();

        StepVerifier.create(servers.get("x", "k")).expectNext("kept").verifyComplete();
    }
}
