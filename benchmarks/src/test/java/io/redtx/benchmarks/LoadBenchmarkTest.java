package io.redtx.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The load program run in-process through picocli's {@code execute} (which returns the exit status), on the real
 * servers it starts: a short run of all nine default workloads with {@code --json}. BlockHound is installed in this JVM by
 * blockhound-junit-platform, so a blocking call on a Reactor or Netty thread during the run fails a transfer.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LoadBenchmarkTest {

    /** What one in-process run of the program printed, and its exit status. */
    record Run(int status, String stdout, String stderr, String usageErrors) {

        /** @return everything it printed, for an assertion's description */
        String describe() {
            return "exit status " + status + "\n--- stdout ---\n" + stdout + "--- stderr ---\n"
                    + stderr.replace('\r', '\n') + usageErrors;
        }

        /** @return the JSON object of the last line of stdout ({@code --json}) */
        Map<String, Object> json() {
            String[] lines = stdout.strip().split("\\R");
            // Whole numbers as Long, the others as Double, as the program has them.
            return JsonMapper.builder()
                    .enable(DeserializationFeature.USE_LONG_FOR_INTS)
                    .build()
                    .readValue(lines[lines.length - 1], new TypeReference<Map<String, Object>>() {});
        }
    }

    /** Runs the program in-process through picocli's {@code execute} (which returns the exit status). */
    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        StringWriter usageErrors = new StringWriter();
        CommandLine cmd = new CommandLine(new LoadBenchmark(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)));
        cmd.setErr(new PrintWriter(usageErrors, true));
        int status = cmd.execute(args);
        return new Run(
                status,
                out.toString(StandardCharsets.UTF_8),
                err.toString(StandardCharsets.UTF_8),
                usageErrors.toString());
    }

    @Test
    void shortRunOfTheDefaultWorkloadsEndsWithTheirJsonAndPassesTheBalanceAndMessageChecks() {
        Run run = run(
                "--duration", "1", "--warmup", "0", "--accounts", "200", "--concurrency", "4", "--json", "--seed", "7");

        String stdout = run.stdout();
        String describe = run.describe();
        System.out.println(stdout);
        assertThat(run.status()).as(describe).isZero();
        Map<String, Object> json = run.json();
        assertThat(json).as(describe).containsOnlyKeys("workloads");
        Map<String, Map<String, Object>> byName = new LinkedHashMap<>();
        for (Object o : (List<?>) json.get("workloads")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> w = (Map<String, Object>) o;
            byName.put((String) w.get("name"), w);
        }
        assertThat(byName.keySet())
                .as(describe)
                .containsExactly(
                        "raw-fanout",
                        "lua-single",
                        "watch-multi",
                        "redisson-rtx",
                        "redisson-rtx-rcs",
                        "redtx-1pc",
                        "redtx-1pc-outbox",
                        "redtx-2pc",
                        "redtx-2pc-outbox");
        byName.forEach((name, w) -> {
            assertThat((Double) w.get("txPerSec")).as(name + " in " + describe).isPositive();
            assertThat((Double) w.get("p99Ms")).as(name).isGreaterThanOrEqualTo((Double) w.get("p50Ms"));
            assertThat((Double) w.get("p999Ms")).as(name).isGreaterThanOrEqualTo((Double) w.get("p99Ms"));
            // Only redtx may fail a transfer, and only by exhausting its retries on conflicts.
            @SuppressWarnings("unchecked")
            Map<String, Object> failures = (Map<String, Object>) w.get("failures");
            assertThat(failures.keySet()).as(name + " in " + describe).isSubsetOf("TransactionConflictException");
        });
        for (String atomic : List.of(
                "lua-single",
                "watch-multi",
                "redisson-rtx",
                "redtx-1pc",
                "redtx-1pc-outbox",
                "redtx-2pc",
                "redtx-2pc-outbox")) {
            assertThat(byName.get(atomic))
                    .as(describe)
                    .containsEntry("balanceCheck", "PASS")
                    .containsEntry("totalBalanceDrift", 0L);
        }
        assertThat(byName.get("redtx-2pc")).containsEntry("intentsLeft", 0L);
        assertThat(byName.get("redtx-2pc-outbox")).containsEntry("intentsLeft", 0L);
        // A message exists iff its transfer committed: as many appended as transfers moved money, over the whole
        // workload; the plain workloads publish nothing and have no message figures.
        for (String outbox : List.of("redtx-1pc-outbox", "redtx-2pc-outbox")) {
            Map<String, Object> w = byName.get(outbox);
            @SuppressWarnings("unchecked")
            Map<String, Object> messages = (Map<String, Object>) w.get("outboxMessages");
            assertThat(messages).as(outbox + " in " + describe).containsEntry("match", true);
            assertThat((Long) messages.get("appended"))
                    .as(outbox)
                    .isEqualTo(messages.get("committedTransfers"))
                    .isGreaterThanOrEqualTo((Long) w.get("transfers"))
                    .isPositive();
            assertThat(w.get("outboxCostPct")).as(outbox).isInstanceOf(Double.class);
            assertThat((Double) w.get("txPerSecRatioToPlain"))
                    .as(outbox)
                    .isCloseTo(1 - (Double) w.get("outboxCostPct") / 100, within(0.01));
            // One XADD per transfer, run inside the commit scripts.
            assertThat(commands(w))
                    .as(outbox)
                    .hasEntrySatisfying("xadd", v -> assertThat(v).isCloseTo(1.0, within(0.1)));
        }
        for (String plain : List.of("raw-fanout", "lua-single", "redtx-1pc", "redtx-2pc")) {
            assertThat(byName.get(plain))
                    .as(plain)
                    .containsEntry("outboxMessages", null)
                    .containsEntry("outboxCostPct", null);
            assertThat(commands(byName.get(plain))).as(plain).doesNotContainKey("xadd");
        }
        // The commandstats deltas: what each baseline sends per transfer is known (a few transfers in flight when the
        // window opened sent part of their commands before it, hence the tolerance).
        assertThat(commands(byName.get("raw-fanout")))
                .as(describe)
                .containsOnlyKeys("get", "incrby")
                .hasEntrySatisfying("get", v -> assertThat(v).isCloseTo(1.0, within(0.05)))
                .hasEntrySatisfying("incrby", v -> assertThat(v).isCloseTo(2.0, within(0.1)));
        assertThat(commands(byName.get("watch-multi")))
                .as(describe)
                .containsKeys("watch", "get", "multi", "decrby", "incrby", "exec")
                .hasEntrySatisfying("exec", v -> assertThat(v).isGreaterThanOrEqualTo(0.95));
        assertThat(byName.get("redisson-rtx-rcs")).as(describe).containsEntry("balanceCheck", "n/a");
        assertThat(commands(byName.get("lua-single")))
                .as(describe)
                .hasEntrySatisfying("evalsha", v -> assertThat(v).isCloseTo(1.0, within(0.05)))
                .doesNotContainKey("script|load");
        assertThat((Double) byName.get("redtx-2pc").get("scriptCallsPerTransfer"))
                .as(describe)
                .isGreaterThanOrEqualTo(3.0);
        assertThat(stdout)
                .containsPattern("(?m)^  balances: .*: PASS$")
                .containsPattern("(?m)^    script calls: ")
                .containsPattern("(?m)^redtx-2pc +[0-9.]+ ")
                .containsPattern("(?m)^redtx-2pc-outbox +[0-9.]+ ")
                .containsPattern("(?m)^  outbox messages: [0-9]+ appended .*; match: true; .*: PASS$")
                .containsPattern("(?m)^outbox cost: -?[0-9.]+% throughput \\(redtx-1pc-outbox .*against redtx-1pc ")
                .containsPattern("(?m)^outbox cost: -?[0-9.]+% throughput \\(redtx-2pc-outbox .*against redtx-2pc ")
                .containsPattern("(?m)^RESULT: PASS");
    }

    @Test
    void theReplicatedWorkloadsRunOnReplicasAndPrintWhatTheWaitCosts() {
        Run run = run(
                "--workloads",
                "redtx-1pc,redtx-1pc-replicated,redtx-2pc,redtx-2pc-replicated",
                "--replicas",
                "1",
                "--duration",
                "1",
                "--warmup",
                "0",
                "--accounts",
                "200",
                "--concurrency",
                "4",
                "--seed",
                "7");

        assertThat(run.status()).as(run.describe()).isZero();
        assertThat(run.stdout())
                .containsPattern("(?m)^replication cost: -?[0-9.]+% throughput \\(redtx-1pc-replicated .*against"
                        + " redtx-1pc .*\\), p99 [0-9.]+ ms against [0-9.]+ ms$")
                .containsPattern("(?m)^replication cost: -?[0-9.]+% throughput \\(redtx-2pc-replicated .*against"
                        + " redtx-2pc ")
                .containsPattern("(?m)^RESULT: PASS");
    }

    /** Audits beside the transfers: counted and checked for the redtx workloads, absent from the others. */
    @Test
    void auditsRunBesideTheRedtxTransfersAndSeeEveryGroupWhole() {
        Run run = run(
                "--workloads",
                "raw-fanout,redtx-2pc",
                "--audits",
                "2",
                "--duration",
                "1",
                "--warmup",
                "0",
                "--accounts",
                "200",
                "--concurrency",
                "4",
                "--seed",
                "7",
                "--json");

        String stdout = run.stdout();
        assertThat(run.status()).as(run.describe()).isZero();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> workloads =
                (List<Map<String, Object>>) run.json().get("workloads");
        assertThat(workloads.get(0)).containsEntry("name", "raw-fanout").containsEntry("audits", null);
        @SuppressWarnings("unchecked")
        Map<String, Object> audits = (Map<String, Object>) workloads.get(1).get("audits");
        assertThat(audits).as(stdout).containsEntry("inconsistent", 0L).containsEntry("failures", Map.of());
        assertThat((Long) audits.get("done")).as(stdout).isPositive();
        assertThat(stdout).containsPattern("(?m)^  audits beside the transfers: [0-9]+ done ");
    }

    @Test
    void aReplicatedWorkloadWithoutReplicasIsRefused() {
        Run run = run("--workloads", "redtx-2pc-replicated");

        assertThat(run.status()).isEqualTo(2);
        assertThat(run.usageErrors()).contains("--workloads: redtx-2pc-replicated needs --replicas 1");
    }

    @Test
    void anUnknownWorkloadIsRefusedWithTheListOfKnownOnes() {
        Run run = run("--workloads", "redtx-1pc,redtx-3pc-outbox");

        assertThat(run.status()).isEqualTo(2);
        assertThat(run.usageErrors())
                .contains("--workloads: unknown workload 'redtx-3pc-outbox'; known: raw-fanout, lua-single,"
                        + " watch-multi, redisson-rtx, redisson-rtx-rcs, redtx-1pc, redtx-1pc-outbox, redtx-1pc-replicated,"
                        + " redtx-2pc, redtx-2pc-outbox, redtx-2pc-replicated");
    }

    @Test
    void blockHoundIsInstalledInThisJvm() {
        Mono<String> sleeping = Mono.fromCallable(() -> {
                    Thread.sleep(1);
                    return "slept";
                })
                .subscribeOn(Schedulers.parallel());
        assertThatThrownBy(() -> sleeping.block(Duration.ofSeconds(5)))
                .hasCauseInstanceOf(BlockingOperationError.class);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Double> commands(Map<String, Object> workload) {
        return (Map<String, Double>) (Map<String, ?>) workload.get("commandsPerTransfer");
    }
}
