package io.redtx.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A short run of the consumer benchmark: every workload consumes every message, the checks pass. */
class ConsumerBenchmarkTest {

    @Test
    void aShortRunConsumesEveryMessageOnceInEveryWorkload() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        int status = ConsumerBenchmark.run(out, "--messages", "2000", "--concurrency", "16", "--json");
        String printed = bytes.toString(StandardCharsets.UTF_8);
        System.out.print(printed);
        assertThat(status).isZero();
        assertThat(printed)
                .contains("lettuce-xreadgroup", "consume-ack", "consume-tx-local", "consume-tx-remote")
                .contains("RESULT: PASS")
                .containsPattern(
                        "\\{\"msgsPerSec\": \\{\"publish\": \\d+, \"lettuce-xreadgroup\": \\d+, .*\"pass\": true}");
    }

    @Test
    void anUnknownWorkloadIsABadOption() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int status = ConsumerBenchmark.run(new PrintStream(bytes, true, StandardCharsets.UTF_8), "--workloads", "nope");
        assertThat(status).isEqualTo(2);
    }
}
