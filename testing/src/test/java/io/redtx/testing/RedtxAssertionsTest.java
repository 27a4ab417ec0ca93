package io.redtx.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisConnectionException;
import io.redtx.api.CommitProtocol;
import io.redtx.api.KeyLayout;
import io.redtx.api.TransactionRuntime;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

@RedtxTest
class RedtxAssertionsTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String FAKE_LOCK = KeyLayout.DEFAULT.lockPrefix() + "{x}";

    @Test
    void noIntentsLeftCompletesOnCleanServers(RedtxServers servers) {
        StepVerifier.create(servers.noIntentsLeft()).expectComplete().verify(WAIT);
    }

    @Test
    void noIntentsLeftErrorsNamingAFakeLockAndItsOwner(RedtxServers servers) {
        // A prepared intent's lock: the transaction id maps to 'w' for a written key (docs/protocol.md).
        servers.server("b").command("HSET", FAKE_LOCK, "other-tx", "w");

        StepVerifier.create(servers.noIntentsLeft())
                .expectErrorSatisfies(e -> assertThat(e)
                        .isExactlyInstanceOf(AssertionError.class)
                        .hasMessageContaining("namespace 'redtx:'")
                        .hasMessageContaining("participant 'b': 1 lock key [redtx:lk:{x} {other-tx=w}]")
                        .hasMessageNotContaining("participant 'a'")
                        .hasMessageNotContaining("participant 'c'"))
                .verify(WAIT);
    }

    @Test
    void noIntentsLeftReportsIndexEntriesAndPreparedRecordsButNotSettledMarkers(RedtxServers servers) {
        servers.server("a").command("ZADD", KeyLayout.DEFAULT.indexKey(), "1234", "tx-1");
        servers.server("a").command("HSET", KeyLayout.DEFAULT.transactionPrefix() + "tx-1", "st", "P", "lease", "1234");
        servers.server("c").command("HSET", KeyLayout.DEFAULT.transactionPrefix() + "tx-2", "st", "C");
        servers.server("c").command("HSET", KeyLayout.DEFAULT.transactionPrefix() + "tx-3", "st", "A");

        StepVerifier.create(servers.noIntentsLeft())
                .expectErrorSatisfies(e -> assertThat(e)
                        .isExactlyInstanceOf(AssertionError.class)
                        .hasMessageContaining("participant 'a': 0 lock keys; 1 index entry [tx-1 (score 1234)] in"
                                + " redtx:idx; 1 PREPARED record [redtx:tx:tx-1]")
                        .hasMessageNotContaining("tx-2")
                        .hasMessageNotContaining("tx-3"))
                .verify(WAIT);
    }

    @Test
    void settledMarkersAloneAreNotIntents(RedtxServers servers) {
        servers.server("a").command("HSET", KeyLayout.DEFAULT.transactionPrefix() + "done", "st", "C");
        servers.server("b").command("HSET", KeyLayout.DEFAULT.transactionPrefix() + "aborted", "st", "A");

        StepVerifier.create(servers.noIntentsLeft()).expectComplete().verify(WAIT);
    }

    @Test
    void listsTheFirstTwentyLocksAndCountsTheRest(RedtxServers servers) {
        for (int i = 0; i < 25; i++) {
            servers.server("a").command("HSET", KeyLayout.DEFAULT.lockPrefix() + "{k" + (100 + i) + "}", "tx", "w");
        }

        StepVerifier.create(servers.noIntentsLeft())
                .expectErrorSatisfies(e -> assertThat(e.getMessage())
                        .contains("25 lock keys [redtx:lk:{k100} {tx=w}, ")
                        .contains(KeyLayout.DEFAULT.lockPrefix() + "{k119} {tx=w}] and 5 more")
                        .doesNotContain("{k120}"))
                .verify(WAIT);
    }

    @Test
    void looksOnlyUnderTheGivenNamespaceTakenLiterally(RedtxServers servers) {
        servers.server("a").command("HSET", "app*:lk:{x}", "tx", "w");
        servers.server("b").command("HSET", "appX:lk:{y}", "tx", "w");

        StepVerifier.create(servers.noIntentsLeft()).expectComplete().verify(WAIT);
        StepVerifier.create(servers.noIntentsLeft("app*:"))
                .expectErrorSatisfies(e -> assertThat(e.getMessage())
                        .contains("participant 'a': 1 lock key [app*:lk:{x} {tx=w}]")
                        .doesNotContain("appX"))
                .verify(WAIT);
    }

    @Test
    void awaitNoIntentsCompletesOnceTheFakeIntentIsRemovedMidWait(RedtxServers servers) {
        servers.server("c").command("HSET", FAKE_LOCK, "other-tx", "w");
        Schedulers.boundedElastic()
                .schedule(() -> servers.server("c").command("DEL", FAKE_LOCK), 400, TimeUnit.MILLISECONDS);

        Duration took = StepVerifier.create(servers.awaitNoIntents(Duration.ofSeconds(10)))
                .expectComplete()
                .verify(WAIT);

        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(400));
    }

    @Test
    void awaitNoIntentsTimesOutWithAnAssertionErrorNamingWhatIsLeft(RedtxServers servers) {
        servers.server("a").command("HSET", FAKE_LOCK, "other-tx", "w");

        Duration took = StepVerifier.create(servers.awaitNoIntents(Duration.ofMillis(500)))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isExactlyInstanceOf(AssertionError.class)
                        .hasMessageStartingWith(
                                "redtx intents under namespace 'redtx:' still left after 500 ms; the last check:")
                        .hasMessageContaining("participant 'a': 1 lock key [redtx:lk:{x} {other-tx=w}]")
                        .hasCauseExactlyInstanceOf(AssertionError.class))
                .verify(WAIT);

        assertThat(took).isBetween(Duration.ofMillis(500), Duration.ofSeconds(10));
    }

    @Test
    void awaitNoIntentsWaitsForWhatARealTwoPhaseCommitLeaves(RedtxServers servers, TransactionRuntime runtime) {
        Mono<Void> transferThenClean = runtime.inTransactionWithResult(
                        tx -> tx.on("a").incrBy("acct:1", -5).then(tx.on("b").incrBy("acct:2", 5)))
                .doOnNext(r -> assertThat(r.commit().protocol()).isEqualTo(CommitProtocol.TWO_PHASE))
                .then(servers.awaitNoIntents(Duration.ofSeconds(10)));

        StepVerifier.create(transferThenClean).expectComplete().verify(WAIT);
        StepVerifier.create(servers.get("b", "acct:2")).expectNext("5").verifyComplete();
    }

    @Test
    void theStaticFormChecksAnyParticipantMap(RedtxServers servers) {
        servers.server("a").command("HSET", FAKE_LOCK, "other-tx", "w");
        Map<String, String> deployment = Map.of("orders", servers.uri("a"));

        StepVerifier.create(RedtxAssertions.noIntentsLeft(deployment, "redtx:"))
                .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining("participant 'orders': 1 lock key"))
                .verify(WAIT);
        StepVerifier.create(RedtxAssertions.noIntentsLeft(Map.of("stock", servers.uri("b"))))
                .expectComplete()
                .verify(WAIT);
    }

    @Test
    void anUnreachableParticipantIsAConnectionErrorAndAwaitingItTimesOut() throws IOException {
        Map<String, String> gone = Map.of("gone", "redis://127.0.0.1:" + closedPort());

        StepVerifier.create(RedtxAssertions.noIntentsLeft(gone))
                .expectError(RedisConnectionException.class)
                .verify(WAIT);
        StepVerifier.create(RedtxAssertions.awaitNoIntents(gone, Duration.ofMillis(300)))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isExactlyInstanceOf(AssertionError.class)
                        .hasMessageContaining("the last check failed")
                        .hasCauseInstanceOf(RedisConnectionException.class))
                .verify(WAIT);
    }

    @Test
    void checksNeverBlockAReactorThread(RedtxServers servers) {
        servers.server("a").command("HSET", FAKE_LOCK, "other-tx", "w");

        StepVerifier.create(servers.noIntentsLeft().subscribeOn(Schedulers.parallel()))
                .expectError(AssertionError.class)
                .verify(WAIT);
        StepVerifier.create(servers.awaitNoIntents(Duration.ofMillis(300)).subscribeOn(Schedulers.parallel()))
                .expectError(AssertionError.class)
                .verify(WAIT);
        servers.server("a").command("DEL", FAKE_LOCK);
        StepVerifier.create(servers.awaitNoIntents(Duration.ofSeconds(10)).subscribeOn(Schedulers.parallel()))
                .expectComplete()
                .verify(WAIT);
        StepVerifier.create(servers.get("a", "k").subscribeOn(Schedulers.parallel()))
                .expectComplete()
                .verify(WAIT);
    }

    @Test
    void blockHoundIsInstalledSoTheCheckAboveCanFail() {
        Mono<String> blocking = Mono.fromCallable(() -> {
                    Thread.sleep(1);
                    return "slept";
                })
                .subscribeOn(Schedulers.parallel());

        StepVerifier.create(blocking).expectError(BlockingOperationError.class).verify(WAIT);
    }

    @Test
    void shutsItsClientDownBeforeTerminating(RedtxServers servers) {
        long before = lettuceThreads();
        servers.server("a").command("HSET", FAKE_LOCK, "other-tx", "w");

        StepVerifier.create(servers.noIntentsLeft())
                .expectError(AssertionError.class)
                .verify(WAIT);
        StepVerifier.create(servers.awaitNoIntents(Duration.ofMillis(200)))
                .expectError(AssertionError.class)
                .verify(WAIT);

        // Netty's threads end just after their termination future completes: allow them a moment.
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (lettuceThreads() > before && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        assertThat(lettuceThreads()).isLessThanOrEqualTo(before);
    }

    @Test
    void refusesBadArgumentsAtOnce() {
        assertThatThrownBy(() -> RedtxAssertions.noIntentsLeft(Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("participantUris must name at least one participant");
        assertThatThrownBy(() -> RedtxAssertions.noIntentsLeft(Map.of("a", "redis://127.0.0.1:1"), ""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("namespace must not be empty");
        assertThatThrownBy(() -> RedtxAssertions.awaitNoIntents(Map.of("a", "redis://127.0.0.1:1"), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("timeout must be positive, was PT0S");
        assertThatThrownBy(() -> RedtxAssertions.noIntentsLeft(Map.of("a", "nonsense://user:s3cret@host")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("participant 'a' has an invalid Redis URI")
                .hasMessageNotContaining("s3cret");
        assertThatThrownBy(() -> RedtxAssertions.noIntentsLeft(Map.of("c", "redis-cluster://127.0.0.1:1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("participant 'c' is a Redis Cluster, which these assertions do not check yet");
    }

    private static long lettuceThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("lettuce-"))
                .count();
    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
