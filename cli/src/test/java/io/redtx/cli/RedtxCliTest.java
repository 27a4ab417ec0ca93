package io.redtx.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.RetryPolicy;
import io.redtx.api.RuntimeOptions;
import io.redtx.runtime.RedisTransactionRuntime;
import io.redtx.runtime.internal.protocol.ProtocolHooks;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The program's command line, run in-process against real servers that hold what a coordinator that died left: found,
 * shown, resolved, gone; its JSON read back, its exit statuses, bad usage.
 */
@RedisTest
class RedtxCliTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static RedisServer a;
    private static RedisServer b;

    @BeforeAll
    static void startServers(RedisServer first, RedisServer second) {
        a = first;
        b = second;
    }

    @BeforeEach
    void flush() {
        a.flushAll();
        b.flushAll();
    }

    record Run(int status, String out, String err) {
        JsonNode json() {
            return JSON.readTree(out);
        }
    }

    /** Runs the program's command line as {@code main} would, its output captured. */
    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = RedtxCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int status = cl.execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    /** {@code command}, then the participants a and b, then {@code rest}. */
    private static Run cli(String command, String... rest) {
        List<String> args = new ArrayList<>(List.of(command, "-p", "a=" + a.uri(), "-p", "b=" + b.uri()));
        args.addAll(List.of(rest));
        return run(args.toArray(new String[0]));
    }

    /**
     * A transaction that sets x on a and y on b, whose coordinator dies after the prepares, as if its process had
     * ended: its intents stay with a 60 s lease.
     */
    private static String deadCoordinator() {
        AtomicReference<String> dead = new AtomicReference<>();
        RuntimeOptions options = RuntimeOptions.builder()
                .participant("a", a.uri())
                .participant("b", b.uri())
                .recovery(r -> r.lease(Duration.ofSeconds(60)).interval(Duration.ZERO))
                .retryPolicy(RetryPolicy.none())
                .build();
        RedisTransactionRuntime dying = RedisTransactionRuntime.create(options, at -> {
            if (at.step() != ProtocolHooks.Step.AFTER_PREPARE) {
                return Mono.empty();
            }
            dead.set(at.transactionId());
            return Mono.error(new IllegalStateException("coordinator died"));
        });
        try {
            StepVerifier.create(dying.inTransaction(
                            t -> t.on("a").set("x", "1").then(t.on("b").set("y", "2"))))
                    .expectError(ProtocolHooks.Halted.class)
                    .verify(Duration.ofSeconds(10));
        } finally {
            dying.close();
        }
        return dead.get();
    }

    @Test
    void inDoubtListsTheIntentsOfADeadCoordinatorAndExitsOne() {
        String id = deadCoordinator();

        Run text = cli("in-doubt");
        assertThat(text.status()).isEqualTo(RedtxCli.FOUND);
        assertThat(text.out()).contains("TRANSACTION", id, "PREPARED", "left", "2 intents");

        Run json = cli("in-doubt", "--json");
        assertThat(json.status()).isEqualTo(RedtxCli.FOUND);
        JsonNode intents = json.json().get("intents");
        assertThat(intents).hasSize(2);
        assertThat(intents.get(0).get("transactionId").asString()).isEqualTo(id);
        assertThat(intents.get(0).get("participant").asString()).isEqualTo("a");
        assertThat(intents.get(0).get("state").asString()).isEqualTo("PREPARED");
        assertThat(intents.get(0).get("keys").get(0).asString()).isEqualTo("x");
        assertThat(intents.get(1).get("keys").get(0).asString()).isEqualTo("y");
        assertThat(intents.get(0).get("leaseExpired").asBoolean()).isFalse();
        assertThat(intents.get(0).get("leaseRemainingMs").asLong()).isBetween(1L, 60_000L);
        assertThat(intents.get(0).get("primary").asBoolean()
                        ^ intents.get(1).get("primary").asBoolean())
                .as("exactly one holds the record")
                .isTrue();
    }

    @Test
    void statusShowsTheTransactionWithTheKeysOfEachIntent() {
        String id = deadCoordinator();

        Run text = cli("status", id);
        assertThat(text.status()).isEqualTo(RedtxCli.OK);
        assertThat(text.out()).contains("transaction " + id + ": IN_DOUBT", "a: PREPARED", "keys x", "keys y");

        JsonNode json = cli("status", id, "--json").json();
        assertThat(json.get("status").asString()).isEqualTo("IN_DOUBT");
        assertThat(json.get("primary").asString()).isIn("a", "b");
        assertThat(json.get("intents")).hasSize(2);
        assertThat(json.get("intents").get(1).get("keys").get(0).asString()).isEqualTo("y");
    }

    @Test
    void statusOfAnUnknownTransactionExitsOne() {
        Run run = cli("status", "18c0000000-nobody", "--json");

        assertThat(run.status()).isEqualTo(RedtxCli.FOUND);
        assertThat(run.json().get("status").asString()).isEqualTo("UNKNOWN");
        assertThat(run.json().get("intents")).isEmpty();
    }

    @Test
    void resolveNeedsForceWhileTheLeaseRunsThenTheTransactionIsGone() {
        String id = deadCoordinator();

        Run refused = cli("resolve", id, "--json");
        assertThat(refused.status()).isEqualTo(RedtxCli.FOUND);
        assertThat(refused.json().get("action").asString()).isEqualTo("LEASE_RUNNING");
        assertThat(cli("in-doubt").status()).isEqualTo(RedtxCli.FOUND);

        Run forced = cli("resolve", id, "--force");
        assertThat(forced.status()).isEqualTo(RedtxCli.OK);
        assertThat(forced.out()).contains(id, "rolled back", "status ABORTED");

        Run after = cli("in-doubt");
        assertThat(after.status()).isEqualTo(RedtxCli.OK);
        assertThat(after.out()).contains("no transaction in doubt");
        assertThat(cli("status", id, "--json").json().get("status").asString()).isEqualTo("ABORTED");
        assertThat(a.command("GET", "x")).isNull();
        assertThat(cli("resolve", id, "--json").json().get("action").asString()).isEqualTo("ALREADY_SETTLED");
    }

    @Test
    void locksShowTheTransactionHoldingAKeyUntilItIsResolved() {
        String id = deadCoordinator();

        Run held = cli("locks", "x", "--json");
        assertThat(held.status()).isEqualTo(RedtxCli.FOUND);
        JsonNode tx = held.json().get("transactions").get(0);
        assertThat(tx.get("transactionId").asString()).isEqualTo(id);
        assertThat(tx.get("participant").asString()).isEqualTo("a");
        assertThat(tx.get("write").asBoolean()).isTrue();
        assertThat(tx.get("state").asString()).isEqualTo("PREPARED");
        assertThat(cli("locks", "x").out()).contains("transaction " + id + " on a: writes x, PREPARED");

        cli("resolve", id, "--force");
        Run free = cli("locks", "x");
        assertThat(free.status()).isEqualTo(RedtxCli.OK);
        assertThat(free.out()).contains("nothing holds x");
    }

    @Test
    void recoverRunsAPassAndReportsIt() {
        Run run = cli("recover", "--json");

        assertThat(run.status()).isEqualTo(RedtxCli.OK);
        assertThat(run.json().get("expiredIntents").asLong()).isZero();
        assertThat(run.json().get("left").asLong()).isZero();
    }

    @Test
    void durabilityReportsEveryParticipantAndExitsOneUnlessAllSyncEveryWrite() {
        Run run = cli("durability", "--json");

        JsonNode participants = run.json().get("participants");
        assertThat(participants).hasSize(2);
        assertThat(participants.get(0).get("participant").asString()).isEqualTo("a");
        boolean allSynced = true;
        for (JsonNode p : participants) {
            allSynced &= p.get("level").asString().equals("EVERY_WRITE_SYNCED");
        }
        assertThat(run.status()).isEqualTo(allSynced ? RedtxCli.OK : RedtxCli.FOUND);
        assertThat(cli("durability").out()).contains("PARTICIPANT", "LEVEL");
    }

    @Test
    void participantsComeFromTheStartersPropertiesFile(@TempDir Path dir) throws IOException {
        String id = deadCoordinator();
        Path file = dir.resolve("application.properties");
        Files.writeString(
                file,
                "# the application's own file\n"
                        + "redtx.participants.b=" + b.uri() + "\n"
                        + "redtx.participants.a=" + a.uri() + "\n"
                        + "redtx.namespace=redtx:\n"
                        + "redtx.recovery.record-retention=5m\n");

        Run run = run("in-doubt", "--config", file.toString(), "--json");

        assertThat(run.status()).isEqualTo(RedtxCli.FOUND);
        // The file's order: b first.
        assertThat(run.json().get("intents").get(0).get("participant").asString())
                .isEqualTo("b");
        assertThat(run.json().get("intents").get(0).get("transactionId").asString())
                .isEqualTo(id);
        // Another namespace sees nothing.
        assertThat(run("in-doubt", "--config", file.toString(), "--namespace", "other:")
                        .status())
                .isEqualTo(RedtxCli.OK);
    }

    @Test
    void badUsageExitsTwo() {
        assertThat(run().status()).isEqualTo(RedtxCli.USAGE);
        assertThat(run("frobnicate").status()).isEqualTo(RedtxCli.USAGE);
        Run noParticipant = run("in-doubt");
        assertThat(noParticipant.status()).isEqualTo(RedtxCli.USAGE);
        assertThat(noParticipant.err()).contains("no participant");
        assertThat(cli("resolve").status()).isEqualTo(RedtxCli.USAGE);
        assertThat(cli("in-doubt", "--timeout", "soon").status()).isEqualTo(RedtxCli.USAGE);
        Run badLimit = cli("in-doubt", "--limit", "0");
        assertThat(badLimit.status()).isEqualTo(RedtxCli.USAGE);
        assertThat(badLimit.err()).contains("limit must be 1 to 10000, was 0");
        assertThat(run("in-doubt", "-p", "a=http://nowhere").status()).isEqualTo(RedtxCli.USAGE);
        assertThat(run("in-doubt", "--config", "/nonexistent/redtx.properties").status())
                .isEqualTo(RedtxCli.USAGE);
    }

    @Test
    void anUnreachableParticipantExitsThree() {
        Run run = run("in-doubt", "-p", "a=" + a.uri(), "-p", "gone=redis://127.0.0.1:1", "--timeout", "1s");

        assertThat(run.status()).isEqualTo(RedtxCli.UNREACHABLE);
        assertThat(run.err()).contains("gone");
    }
}
