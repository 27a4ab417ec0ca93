package io.redtx.samples.bank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.withinPercentage;

import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The bank demo run as a program (through picocli's {@code execute}, which returns the exit status instead of exiting),
 * on real servers: short runs of the default mode, {@code --json}, {@code --chaos} and {@code --participant}, and bad
 * options. Kept short: every run here lasts 1 to 6 seconds.
 */
@RedisTest
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class BankDemoTest {

    @Test
    void defaultRunOnDurableEmbeddedServersShowsProgressAndPassesTheInvariant() {
        Run run = run("--accounts", "300", "--duration", "2", "--warmup", "0", "--concurrency", "16");

        assertThat(run.status()).as(run.describe()).isZero();
        assertThat(run.out())
                .as(run.describe())
                .contains("3 embedded redis-server")
                .contains("AOF appendfsync always")
                // Only exhausted retries may fail a transfer: any other error (a BlockHound one, say) is a defect.
                .containsPattern("(?m)^outcomes: \\{transferred=\\d+, insufficientFunds=\\d+"
                        + "(, TransactionConflictException=\\d+)?\\}$")
                .containsPattern("(?m)^latency of committed transfers .*p99 [0-9.]+")
                .containsPattern("(?m)^invariant: total 300000, expected 300000; 3 groups, 0 inconsistent; .*: PASS$")
                .containsPattern("(?m)^RESULT: PASS ");
        assertThat(number(run.out(), "transfers committed: (\\d+)"))
                .as(run.describe())
                .isPositive();
        // The live line: rewritten in place on stderr, never on stdout.
        assertThat(run.err())
                .as(run.describe())
                .containsPattern(
                        "\r\\[1/2 s, 1 s left\\] \\d+ transfers/s, p99 \\S+ ms, \\d+ conflicts, \\d+ in flight");
        assertThat(run.out()).as(run.describe()).doesNotContainPattern("\\] \\d+ transfers/s");
    }

    @Test
    void jsonPrintsTheFiguresAsTheLastLineOfStdout() {
        Run run = run(
                "--accounts", "200", "--duration", "1", "--warmup", "0", "--in-memory", "--concurrency", "8", "--json");

        assertThat(run.status()).as(run.describe()).isZero();
        Map<String, Object> json = report(run.lastLine());
        assertThat(json)
                .as(run.lastLine())
                .containsKeys(
                        "mode",
                        "durationSec",
                        "transfersCommitted",
                        "txPerSec",
                        "p50Ms",
                        "p99Ms",
                        "p999Ms",
                        "outcomes",
                        "audits",
                        "invariant",
                        "faults",
                        "faultsInjected")
                .containsEntry("mode", "workers")
                .containsEntry("servers", "embedded")
                .containsEntry("persistence", "in-memory")
                .containsEntry("chaos", false)
                .containsEntry("invariant", "PASS")
                .containsEntry("intentsLeft", 0L)
                .containsEntry("faultsInjected", 0L)
                .containsEntry("result", "PASS");
        long committed = (Long) json.get("transfersCommitted");
        assertThat(committed).as(run.lastLine()).isPositive();
        assertThat((Double) json.get("durationSec")).isBetween(0.9, 1.5);
        assertThat((Double) json.get("txPerSec"))
                .isCloseTo(committed / (Double) json.get("durationSec"), withinPercentage(1));
        assertThat((Double) json.get("p99Ms")).isGreaterThanOrEqualTo((Double) json.get("p50Ms"));
        assertThat((Double) json.get("p999Ms")).isGreaterThanOrEqualTo((Double) json.get("p99Ms"));
        @SuppressWarnings("unchecked")
        Map<String, Object> outcomes = (Map<String, Object>) json.get("outcomes");
        assertThat(outcomes).containsEntry("transferred", committed).containsKey("insufficientFunds");
        // The human report comes first, with the same figures.
        assertThat(run.out()).contains("transfers committed: " + committed + " ");
    }

    static Stream<Arguments> badOptions() {
        return Stream.of(
                Arguments.of(new String[] {"--duration", "0"}, "--duration must be at least 1 (seconds), was 0"),
                Arguments.of(new String[] {"--duration", "soon"}, "Invalid value for option '--duration'"),
                Arguments.of(
                        new String[] {"--chaos", "--participant", "redis://127.0.0.1:6379"},
                        "--chaos cannot be used with --participant"),
                Arguments.of(new String[] {"--chaos", "--in-memory"}, "--chaos needs durable servers"),
                Arguments.of(new String[] {"--accounts", "150"}, "--accounts must be a positive multiple of 100"),
                Arguments.of(new String[] {"--participant", "http://127.0.0.1:6379"}, "--participant: participant"),
                Arguments.of(
                        new String[] {"--participants", "2", "--participant", "redis://127.0.0.1:6379"},
                        "--participants (embedded servers to start) and --participant"),
                Arguments.of(new String[] {"--bogus"}, "Unknown option: '--bogus'"));
    }

    @ParameterizedTest
    @MethodSource("badOptions")
    void badOptionsExitWithStatus2AndAMessageNamingTheOption(String[] args, String message) {
        Run run = run(args);

        assertThat(run.status()).as(run.describe()).isEqualTo(2);
        assertThat(run.err()).as(run.describe()).contains(message).contains("Usage: bank-demo");
        assertThat(run.out()).as("nothing ran").doesNotContain("seeded");
    }

    @Test
    void chaosKillsAndPausesParticipantsAndTheInvariantStillHolds() {
        Run run = run(
                "--chaos", "--accounts", "300", "--duration", "6", "--warmup", "0", "--concurrency", "16", "--json");

        assertThat(run.status()).as(run.describe()).isZero();
        assertThat(run.out())
                .as(run.describe())
                .containsPattern("(?m)^  \\[ +[0-9.]+ s\\] chaos: kill -9 p\\d \\(pid \\d+\\)$")
                .containsPattern("(?m)^  \\[ +[0-9.]+ s\\] chaos: p\\d restarted \\(pid \\d+, same port")
                .containsPattern("(?m)^  \\[ +[0-9.]+ s\\] chaos: SIGSTOP p\\d \\(pid \\d+\\) for 2200 ms, past the"
                        + " 1500 ms lease$")
                .containsPattern("(?m)^  \\[ +[0-9.]+ s\\] chaos: SIGCONT p\\d$")
                .containsPattern("(?m)^recovery pass: ");
        Map<String, Object> json = report(run.lastLine());
        @SuppressWarnings("unchecked")
        Map<String, Object> faults = (Map<String, Object>) json.get("faults");
        assertThat(faults).as(run.lastLine()).containsKeys(Chaos.KILL, Chaos.PAUSE);
        assertThat((Long) faults.get(Chaos.KILL)).isPositive();
        assertThat((Long) faults.get(Chaos.PAUSE)).isPositive();
        assertThat(json)
                .as(run.lastLine())
                .containsEntry("chaos", true)
                .containsEntry("persistence", "aof-always")
                .containsEntry("invariant", "PASS")
                .containsEntry("intentsLeft", 0L)
                .containsEntry("result", "PASS");
        assertThat((Long) json.get("transfersCommitted")).isPositive();
    }

    @Test
    void participantServersAreUsedInsteadOfEmbeddedOnesAndTheAccountsDeletedAfterwards(RedisServer a, RedisServer b) {
        Run run = run(
                "--participant",
                a.uri(),
                "--participant",
                b.uri(),
                "--accounts",
                "200",
                "--duration",
                "1",
                "--warmup",
                "0",
                "--concurrency",
                "8");

        assertThat(run.status()).as(run.describe()).isZero();
        assertThat(run.out())
                .as(run.describe())
                .contains("2 participant(s) p0=" + a.uri() + ", p1=" + b.uri())
                .doesNotContain("embedded")
                .contains("clean-up: deleted the account keys acct:0 .. acct:199")
                .containsPattern("(?m)^RESULT: PASS ");
        assertThat(number(run.out(), "transfers committed: (\\d+)"))
                .as(run.describe())
                .isPositive();
        // acct:0 lived on p0 = a and acct:1 on p1 = b: both gone, like every other account.
        assertThat(a.command("EXISTS", "acct:0", "acct:198")).isEqualTo(0L);
        assertThat(b.command("EXISTS", "acct:1", "acct:199")).isEqualTo(0L);
    }

    @Test
    void refusesToRunWhenAnAccountKeyAlreadyExistsOnAParticipant(RedisServer a) {
        a.command("SET", "acct:42", "someone else's");

        Run run = run("--participant", a.uri(), "--accounts", "100", "--duration", "1", "--warmup", "0");

        assertThat(run.status()).as(run.describe()).isEqualTo(1);
        assertThat(run.err())
                .as(run.describe())
                .contains("refusing to run: 1 of the account keys acct:0 .. acct:99 already exist");
        assertThat(run.out()).as(run.describe()).doesNotContain("seeded");
        assertThat(a.command("GET", "acct:42")).isEqualTo("someone else's");
        assertThat(a.command("EXISTS", "acct:0")).isEqualTo(0L);
    }

    /** What one run printed, and its exit status. */
    record Run(int status, String out, String err) {

        String lastLine() {
            String[] lines = out.strip().split("\\R");
            return lines[lines.length - 1];
        }

        String describe() {
            return "exit status " + status + "\n--- stdout ---\n" + out + "--- stderr ---\n" + err.replace('\r', '\n');
        }
    }

    /** Runs the program as {@code main} would, but returns the exit status; output is captured. */
    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        StringWriter picocliErr = new StringWriter();
        CommandLine cmd = new CommandLine(new BankDemo(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                null));
        cmd.setErr(new PrintWriter(picocliErr, true));
        int status = cmd.execute(args);
        Run run = new Run(
                status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8) + picocliErr);
        System.out.println("bank-demo " + String.join(" ", args) + "\n" + run.out());
        return run;
    }

    /**
     * The {@code --json} report line, which must be one JSON object: whole numbers as {@link Long}, the others as
     * {@link Double}, as the program has them.
     */
    private static Map<String, Object> report(String line) {
        return JsonMapper.builder()
                .enable(DeserializationFeature.USE_LONG_FOR_INTS)
                .build()
                .readValue(line, new TypeReference<Map<String, Object>>() {});
    }

    private static long number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as("'%s' in:%n%s", regex, text).isTrue();
        return Long.parseLong(m.group(1));
    }
}
