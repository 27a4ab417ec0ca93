package io.redtx.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.redtx.api.CommitProtocol;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.TransactionStateException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** The extension on the default participants; the order matters: later tests check what earlier ones left. */
@RedtxTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedtxExtensionTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private static RedtxServers firstServers;
    private static TransactionRuntime firstDefaultRuntime;
    private static TransactionRuntime firstCustomRuntime;
    private static Map<String, String> firstUris;

    @Test
    @Order(1)
    void injectsServersAndADefaultRuntimeOverEveryParticipant(RedtxServers servers, TransactionRuntime runtime) {
        assertThat(servers.participants()).containsExactly("a", "b", "c");
        assertThat(servers.uris().values()).doesNotHaveDuplicates().allMatch(u -> u.startsWith("redis://127.0.0.1:"));
        assertThat(servers.server("b").ping()).isEqualTo("PONG");
        assertThat(servers.durable()).isFalse();

        StepVerifier.create(runtime.inTransactionWithResult(tx -> tx.on("a")
                        .set("k", "on-a")
                        .then(tx.on("b").set("k", "on-b"))
                        .thenReturn("done")))
                .assertNext(r -> assertThat(r.commit().protocol()).isEqualTo(CommitProtocol.TWO_PHASE))
                .verifyComplete();
        StepVerifier.create(servers.get("a", "k")).expectNext("on-a").verifyComplete();
        StepVerifier.create(servers.get("b", "k")).expectNext("on-b").verifyComplete();

        firstServers = servers;
        firstUris = servers.uris();
        firstDefaultRuntime = runtime;
        firstCustomRuntime = servers.runtime(o -> o.recovery(r -> r.lease(Duration.ofSeconds(3))));
        StepVerifier.create(firstCustomRuntime.inTransaction(tx -> tx.on("c").set("left", "over")))
                .verifyComplete();
        StepVerifier.create(servers.get("c", "left")).expectNext("over").verifyComplete();
    }

    @Test
    @Order(2)
    void emptiesEveryServerBeforeEachTest(RedtxServers servers) {
        assertThat(firstServers).as("test 1 ran first").isNotNull();
        for (String name : servers.participants()) {
            assertThat(servers.server(name).command("DBSIZE")).as(name).isEqualTo(0L);
        }
        StepVerifier.create(servers.get("c", "left")).verifyComplete();
    }

    @Test
    @Order(3)
    void closesTheRuntimesOfThePreviousTest() {
        for (TransactionRuntime closed : List.of(firstDefaultRuntime, firstCustomRuntime)) {
            StepVerifier.create(closed.inTransaction(tx -> tx.on("a").set("k", "v")))
                    .expectErrorSatisfies(e -> assertThat(e)
                            .isInstanceOf(TransactionStateException.class)
                            .hasMessageContaining("closed"))
                    .verify(WAIT);
        }
        assertThatThrownBy(() -> firstServers.runtime())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("injectsServersAndADefaultRuntimeOverEveryParticipant");
    }

    @Test
    @Order(4)
    void killsOneServerAndPausesAnother(RedtxServers servers) {
        servers.server("c").kill();
        servers.server("b").pause();
        assertThat(servers.server("c").isAlive()).isFalse();
        assertThat(servers.server("b").isPaused()).isTrue();
    }

    @Test
    @Order(5)
    void restartsKilledAndResumesPausedServersBeforeTheNextTest(RedtxServers servers) {
        assertThat(servers.server("c").isAlive()).isTrue();
        assertThat(servers.server("b").isPaused()).isFalse();
        assertThat(servers.server("b").ping()).isEqualTo("PONG");
        assertThat(servers.server("c").ping()).isEqualTo("PONG");
        assertThat(servers.uris()).as("same ports for the whole class").isEqualTo(firstUris);
    }

    @Test
    @Order(6)
    void everyTransactionRuntimeParameterOfATestIsTheSameDefaultRuntime(
            TransactionRuntime one, TransactionRuntime two, RedtxServers servers) {
        assertThat(one).isSameAs(two);
        assertThat(servers.runtime()).isNotSameAs(one);
    }

    @Test
    @Order(7)
    void optionsArePreWiredWithEveryParticipant(RedtxServers servers) {
        assertThat(servers.options().build().participants()).isEqualTo(servers.uris());
        assertThat(servers.uri("a")).isEqualTo(servers.server("a").uri());
    }

    @Test
    @Order(8)
    void anUnknownParticipantIsRefusedWithTheKnownNames(RedtxServers servers) {
        assertThatThrownBy(() -> servers.uri("z"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no participant named 'z'; the participants are [a, b, c]");
        assertThatThrownBy(() -> servers.get("z", "k")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @Order(9)
    void getIsLazyAndEmptyForAMissingKey(RedtxServers servers) {
        Mono<String> read = servers.get("a", "later");
        StepVerifier.create(read).verifyComplete();
        servers.server("a").command("SET", "later", "now");
        StepVerifier.create(read).expectNext("now").verifyComplete();
    }

    @Nested
    class NestedClassWithoutItsOwnAnnotation {

        @Test
        void sharesTheServersOfItsEnclosingClass(RedtxServers servers) {
            assertThat(servers.participants()).containsExactly("a", "b", "c");
            if (firstUris != null) {
                assertThat(servers.uris()).isEqualTo(firstUris);
            }
        }
    }
}
