package io.redtx.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The lock benchmark run in-process through picocli's {@code execute}, on the real server it starts: short runs with
 * {@code --json}. BlockHound is installed in this JVM (blockhound-junit-platform), so a blocking call on a Reactor or
 * Netty thread fails a pair, and the run with it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LockBenchmarkTest {

    @Test
    void shortRunOfAllFourWorkloadsCompletesPairsInBothPhasesAndTheGuardedCountersAddUp() {
        Run run = run("--duration", "1", "--warmup", "0", "--concurrency", "4", "--locks", "10", "--json");

        assertThat(run.byName)
                .as(run.describe)
                .containsOnlyKeys("redtx-lock", "redtx-lock-guarded", "redisson-rlock", "redisson-fencedlock");
        run.byName.forEach((name, w) -> {
            for (String phase : List.of("latency", "throughput")) {
                Map<String, Object> p = map(w.get(phase));
                assertThat((Long) p.get("pairs"))
                        .as(name + " " + phase + " in " + run.describe)
                        .isPositive();
                assertThat((Double) p.get("pairsPerSec")).as(name + " " + phase).isPositive();
                assertThat((Long) p.get("pairP99Us")).as(name + " " + phase).isGreaterThanOrEqualTo((Long)
                        p.get("pairP50Us"));
                assertThat(map(p.get("failures")))
                        .as(name + " " + phase + " in " + run.describe)
                        .isEmpty();
            }
        });
        Map<String, Object> guarded = run.byName.get("redtx-lock-guarded");
        assertThat((Long) guarded.get("guardedCommits")).as(run.describe).isPositive();
        assertThat(guarded.get("guardedCounterTotal")).as(run.describe).isEqualTo(guarded.get("guardedCommits"));
        assertThat(guarded).containsEntry("guardedCheck", "PASS");
        // One lock script to acquire and one to release: the uncontended pair's round trips to the server.
        Map<String, Object> commands =
                map(map(run.byName.get("redtx-lock").get("latency")).get("commandsPerPair"));
        assertThat((Double) commands.get("evalsha")).as(run.describe).isGreaterThanOrEqualTo(2.0);
        assertThat(map(run.byName.get("redtx-lock").get("ratioTo")))
                .containsOnlyKeys("redisson-rlock", "redisson-fencedlock");
        assertThat(run.stdout)
                .containsPattern("(?m)^  configured: Redisson 4\\.7\\.0 single server")
                .containsPattern("(?m)^redtx-lock-guarded +[0-9.]+ ")
                .containsPattern("(?m)^RESULT: PASS");
    }

    @Test
    void contendedRunOnOneLockHandsItFromHolderToHolder() {
        Run run = run(
                "--duration",
                "1",
                "--warmup",
                "0",
                "--concurrency",
                "8",
                "--locks",
                "1",
                "--phases",
                "throughput",
                "--workloads",
                // redtx only: Redisson's contended reactive lock once kept a worker waiting past the one-minute drain
                // in this smoke run (the program itself still runs both, as the README shows).
                "redtx-lock",
                "--json");

        assertThat(run.byName).as(run.describe).containsOnlyKeys("redtx-lock");
        run.byName.forEach((name, w) -> {
            assertThat(w.get("latency")).isNull();
            Map<String, Object> p = map(w.get("throughput"));
            assertThat((Long) p.get("locks")).isEqualTo(1L);
            assertThat((Long) p.get("pairs")).as(name + " in " + run.describe).isPositive();
            assertThat(map(p.get("failures"))).as(name + " in " + run.describe).isEmpty();
        });
    }

    /** The program's output and its JSON line's workloads by name; fails unless it exits 0. */
    private record Run(String stdout, String describe, Map<String, Map<String, Object>> byName) {}

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        StringWriter picocliErr = new StringWriter();
        CommandLine cmd = new CommandLine(new LockBenchmark(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)));
        cmd.setErr(new PrintWriter(picocliErr, true));

        int status = cmd.execute(args);

        String stdout = out.toString(StandardCharsets.UTF_8);
        String describe = "exit status " + status + "\n--- stdout ---\n" + stdout + "--- stderr ---\n"
                + err.toString(StandardCharsets.UTF_8).replace('\r', '\n') + picocliErr;
        System.out.println(stdout);
        assertThat(status).as(describe).isZero();
        String[] lines = stdout.strip().split("\\R");
        Map<String, Object> json = JsonMapper.builder()
                .enable(DeserializationFeature.USE_LONG_FOR_INTS)
                .build()
                .readValue(lines[lines.length - 1], new TypeReference<Map<String, Object>>() {});
        Map<String, Map<String, Object>> byName = new LinkedHashMap<>();
        for (Object o : (List<?>) json.get("workloads")) {
            Map<String, Object> w = map(o);
            byName.put((String) w.get("name"), w);
        }
        return new Run(stdout, describe, byName);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }
}
