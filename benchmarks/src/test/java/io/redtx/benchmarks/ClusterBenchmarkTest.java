package io.redtx.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * The cluster benchmark run in-process with {@code --reshard}, short, on the real servers it starts (BlockHound
 * installed): slots move while it runs, every round keeps the invariant and leaves no intent, and it reports what the
 * resharding met.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClusterBenchmarkTest {

    private static final Pattern RESHARDING = Pattern.compile(
            "resharding, all cluster rounds: (\\d+) migrations .*; on a migrating slot: transfers (\\d+) of (\\d+)"
                    + " committed .*, audits (\\d+) of (\\d+) committed");

    @Test
    void aShortRunWhileSlotsMoveKeepsTheInvariantAndReportsTheResharding() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream original = System.out;
        int status;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            status = new CommandLine(new ClusterBenchmark())
                    .execute(
                            "--duration",
                            "2",
                            "--warmup",
                            "0",
                            "--rounds",
                            "1",
                            "--accounts",
                            "200",
                            "--concurrency",
                            "8",
                            "--reshard",
                            "--slot-keys",
                            "20",
                            "--seed",
                            "3");
        } finally {
            System.setOut(original);
        }
        String stdout = out.toString(StandardCharsets.UTF_8);
        System.out.println(stdout);

        assertThat(status).as(stdout).isZero();
        assertThat(stdout).contains("invariant and intents: PASS every round");
        Matcher m = RESHARDING.matcher(stdout);
        assertThat(m.find()).as(stdout).isTrue();
        assertThat(Integer.parseInt(m.group(1))).as("migrations").isPositive();
        assertThat(Long.parseLong(m.group(2))).isLessThanOrEqualTo(Long.parseLong(m.group(3)));
        assertThat(Long.parseLong(m.group(4))).isLessThanOrEqualTo(Long.parseLong(m.group(5)));
    }
}
