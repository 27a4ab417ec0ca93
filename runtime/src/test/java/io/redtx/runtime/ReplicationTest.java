package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.redtx.api.ParticipantErrorException;
import io.redtx.api.RedtxConfigurationException;
import io.redtx.api.RedtxException;
import io.redtx.api.Replication;
import io.redtx.api.RetryPolicy;
import io.redtx.api.TransactionOutcomeUnknownException;
import io.redtx.test.redis.RedisServer;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * A participant ("a") with a replica and {@link Replication}: a step is acted upon only once the replica holds it. The
 * replica is paused (SIGSTOP) to open the window that asynchronous replication leaves: with the requirement nothing is
 * acknowledged in it; without it, the same commit is acknowledged while only the master holds it.
 */
class ReplicationTest extends ThreeParticipantsTestBase {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final Replication ONE = Replication.acknowledgedBy(1, Duration.ofSeconds(1));

    static RedisServer replica;

    @BeforeAll
    static void startReplica() {
        // The master sends its first copy at once rather than after the default 5 s delay for diskless syncs.
        a.command("CONFIG", "SET", "repl-diskless-sync-delay", "0");
        replica = RedisServer.builder()
                .config("replicaof " + a.host() + " " + a.port())
                .start();
        awaitTrue(() -> String.valueOf(a.info("replication")).contains("state=online"));
    }

    @AfterAll
    static void stopReplica() {
        if (replica != null) {
            replica.close();
        }
    }

    @AfterEach
    void resumeReplica() {
        if (replica.isPaused()) {
            replica.resume();
        }
    }

    private RedisTransactionRuntime replicated(Replication requirement) {
        return runtime(o -> o.replication("a", requirement)
                .recovery(r -> r.lease(Duration.ofMillis(500)).interval(Duration.ZERO)));
    }

    @Test
    void anAcknowledgedCommitIsOnTheReplica() {
        RedisTransactionRuntime rt = replicated(ONE);
        rt.inTransaction(tx -> tx.on("a").set("one-phase", "1")).block(WAIT);
        assertThat(replica.command("GET", "one-phase")).isEqualTo("1");
        rt.inTransaction(tx -> tx.on("a").set("two-phase", "2").then(tx.on("b").set("two-phase", "2")))
                .block(WAIT);
        assertThat(replica.command("GET", "two-phase")).isEqualTo("2");
        // Many at once share the connections, and each waits for its own acknowledgement: scripts sent while a WAIT
        // is in flight share the next one.
        a.command("CONFIG", "RESETSTAT");
        // Each is on the replica when it is acknowledged (read then, off the event loops).
        List<String> missing = Flux.range(0, 200)
                .flatMap(
                        i -> rt.inTransaction(tx -> tx.on("a")
                                        .set("k" + i, "v" + i)
                                        .then(tx.on("b").set("k" + i, "v" + i)))
                                .then(Mono.fromCallable(() -> replica.command("GET", "k" + i))
                                        .subscribeOn(Schedulers.boundedElastic())
                                        .map(String::valueOf))
                                .filter(v -> !v.equals("v" + i))
                                .map(v -> "k" + i + "=" + v),
                        32)
                .collectList()
                .block(WAIT);
        assertThat(missing).as("acknowledged, not on the replica").isEmpty();
        String stats = String.valueOf(a.info("commandstats"));
        System.out.printf("replicated steps: %d WAITs for 200 two-phase commits%n", calls(stats, "wait"));
        // Each commit ran at least two replicated scripts on "a" (its prepare and its commit), each once a WAIT alone.
        assertThat(calls(stats, "wait")).isPositive().isLessThan(400);
        assertNoIntents();
    }

    @Test
    void whileTheReplicaLagsNoCommitIsAcknowledged() {
        // No retry: each attempt would meet the same lagging replica.
        RedisTransactionRuntime rt = runtime(o -> o.replication("a", ONE)
                .retryPolicy(RetryPolicy.none())
                .recovery(r -> r.lease(Duration.ofMillis(500)).interval(Duration.ZERO)));
        rt.verify().block(WAIT); // connected while the replica answers
        replica.pause();

        assertThatThrownBy(() ->
                        rt.inTransaction(tx -> tx.on("a").set("one-phase", "1")).block(WAIT))
                .isInstanceOf(TransactionOutcomeUnknownException.class)
                .hasMessageContaining("may be lost in a failover")
                .hasMessageContaining("only 0 of the 1 replica(s) of participant 'a' acknowledged a step within 1 s");
        // A two-phase commit stops at the prepare on "a": not acknowledged, and "b" is rolled back.
        assertThatThrownBy(() -> rt.inTransaction(tx ->
                                tx.on("b").set("two-phase", "2").then(tx.on("a").set("two-phase", "2")))
                        .block(WAIT))
                .isInstanceOf(RedtxException.class)
                .hasMessageContaining("replica");
        awaitTrue(() -> get(b, "two-phase") == null);
        assertThat(get(a, "two-phase")).isNull();

        replica.resume();
        awaitTrue(() -> {
            rt.recover().block(WAIT);
            return intentsLeft() == 0;
        });
        assertThat(get(a, "two-phase")).isNull();
        assertThat(get(b, "two-phase")).isNull();
        // The one-phase commit ran on the master: its outcome was unknown, and it is replicated now.
        awaitTrue(() -> "1".equals(replica.command("GET", "one-phase")));
        assertNoIntents();
    }

    @Test
    void withoutTheRequirementTheSameCommitIsAcknowledgedWhileOnlyTheMasterHoldsIt() {
        RedisTransactionRuntime rt = replicated(Replication.NONE);
        rt.verify().block(WAIT);
        replica.pause();
        // Acknowledged while the replica, stopped, cannot hold it: a failover now would lose an acknowledged commit.
        rt.inTransaction(tx -> tx.on("a").set("one-phase", "1")).block(WAIT);
        assertThat(get(a, "one-phase")).isEqualTo("1");
    }

    @Test
    void aRequirementTheMasterCannotMeetIsRefusedWhenItConnects() {
        RedisTransactionRuntime rt = replicated(Replication.acknowledgedBy(2, Duration.ofMillis(300)));
        assertThatThrownBy(() -> rt.verify().block(WAIT))
                .isInstanceOf(RedtxConfigurationException.class)
                .hasMessageContaining("'a': " + a.uri()
                        + ": replication needs 2 replica(s) acknowledging every step, but the master has 1 connected");
        assertThatThrownBy(
                        () -> rt.inTransaction(tx -> tx.on("a").set("x", "1")).block(WAIT))
                .isInstanceOf(ParticipantErrorException.class)
                .hasMessageContaining("replication needs 2");
        assertThat(get(a, "x")).isNull();
    }

    @Test
    void badRequirementsAreRefusedByTheOptions() {
        assertThatThrownBy(() -> options().replication("zz", ONE).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("replication is set for participant 'zz', which is not defined (participants [a, b, c])");
        assertThatThrownBy(() -> Replication.acknowledgedBy(0, Duration.ofMillis(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("replication replicas must be at least 1, was 0");
        assertThatThrownBy(() -> Replication.acknowledgedBy(1, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("replication timeout must be at least 1 ms");
        assertThat(options()
                        .replication("a", ONE)
                        .replication("a", Replication.NONE)
                        .build()
                        .replication("a"))
                .isEqualTo(Replication.NONE);
        assertThat(options().replication("a", ONE).build().replication("a")).isEqualTo(ONE);
    }

    /** The calls of {@code command} in an {@code INFO commandstats} reply. */
    private static long calls(String stats, String command) {
        Matcher m = Pattern.compile("cmdstat_" + command + ":calls=(\\d+)").matcher(stats);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private static long intentsLeft() {
        return (Long) a.command("ZCARD", "redtx:idx") + (Long) b.command("ZCARD", "redtx:idx");
    }
}
