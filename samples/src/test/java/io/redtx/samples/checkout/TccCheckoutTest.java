package io.redtx.samples.checkout;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * The checkout sample run as a program (picocli's {@code execute} returns the exit status), with small numbers, on real
 * servers: the batch has committed, declined and out-of-stock checkouts, and the consistency check passes.
 */
@RedisTest
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TccCheckoutTest {

    @Test
    void aBatchWithDeclinedAndOutOfStockCheckoutsEndsConsistent() {
        Run run = run("--checkouts", "80", "--concurrency", "8", "--items", "3", "--stock", "20");

        assertThat(run.status()).as(run.describe()).isZero();
        assertThat(run.out())
                .as(run.describe())
                .contains("2 embedded redis-server(s)")
                // Any other outcome (a BlockHound error in a participant, say) is a defect.
                .containsPattern("(?m)^80 checkouts in [0-9.]+ s: \\{committed=\\d+"
                        + "(, conflict \\(retries exhausted\\)=\\d+)?, out of stock=\\d+, payment declined=\\d+\\}$")
                .containsPattern("committed=\\d+")
                .containsPattern("payment declined=\\d+")
                .containsPattern("out of stock=\\d+")
                .containsPattern("(?m)^check: \\d+ placed, .*violations 0: PASS$")
                .containsPattern("(?m)^RESULT: PASS$");
        assertThat(number(run.out(), "committed=(\\d+)")).isPositive();
        assertThat(number(run.out(), "payment declined=(\\d+)")).isPositive();
        assertThat(number(run.out(), "out of stock=(\\d+)")).isPositive();
    }

    @Test
    void redisServersGivenOnTheCommandLineAreUsedInsteadOfEmbeddedOnes(RedisServer inventory, RedisServer orders) {
        Run run = run("--redis", inventory.uri(), "--redis", orders.uri(), "--checkouts", "30", "--concurrency", "4");

        assertThat(run.status()).as(run.describe()).isZero();
        assertThat(run.out()).as(run.describe()).doesNotContain("embedded").contains("RESULT: PASS");
        // The stock lives on the first server, the orders on the second.
        assertThat(inventory.command("KEYS", "stock:*")).asList().hasSize(6);
        assertThat(orders.command("KEYS", "order:*")).asList().isNotEmpty();
    }

    @Test
    void badOptionsExitWithStatus2() {
        Run run = run("--redis", "redis://127.0.0.1:1");

        assertThat(run.status()).as(run.describe()).isEqualTo(2);
        assertThat(run.err()).contains("--redis must be given twice");
    }

    record Run(int status, String out, String err) {
        String describe() {
            return "exit status " + status + "\n--- stdout ---\n" + out + "--- stderr ---\n" + err;
        }
    }

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        CommandLine cmd = new CommandLine(new TccCheckout(new PrintStream(out, true, StandardCharsets.UTF_8)));
        cmd.setErr(new PrintWriter(err, true));
        int status = cmd.execute(args);
        Run run = new Run(status, out.toString(StandardCharsets.UTF_8), err.toString());
        System.out.println("tcc-checkout " + String.join(" ", args) + "\n" + run.out());
        return run;
    }

    private static long number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as(regex + " in\n" + text).isTrue();
        return Long.parseLong(m.group(1));
    }
}
