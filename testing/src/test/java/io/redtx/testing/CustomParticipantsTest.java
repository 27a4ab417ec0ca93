package io.redtx.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.ParticipantDurability;
import io.redtx.api.TransactionRuntime;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

@RedtxTest(participants = {"orders", "stock"})
class CustomParticipantsTest {

    @Test
    void startsOneInMemoryServerPerNamedParticipant(RedtxServers servers, TransactionRuntime runtime) {
        assertThat(servers.participants()).containsExactly("orders", "stock");
        assertThat(servers.options().build().participants()).containsOnlyKeys("orders", "stock");
        for (String name : servers.participants()) {
            assertThat(servers.server(name).command("CONFIG", "GET", "appendonly"))
                    .isEqualTo(List.of("appendonly", "no"));
        }

        StepVerifier.create(runtime.durability())
                .assertNext(levels -> assertThat(levels)
                        .extracting(ParticipantDurability::level)
                        .containsOnly(ParticipantDurability.Level.NONE))
                .verifyComplete();
        StepVerifier.create(runtime.inTransaction(tx -> tx.on("orders")
                        .set("order:1", "placed")
                        .then(tx.on("stock").decrBy("sku:1", 1))))
                .expectNext(-1L)
                .verifyComplete();
        StepVerifier.create(servers.get("stock", "sku:1")).expectNext("-1").verifyComplete();
    }
}
