package io.redtx.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import io.redtx.api.RetryPolicy;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionConflictException;
import io.redtx.api.TransactionRuntime;
import io.redtx.runtime.RedisTransactionRuntime;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** The meters of a real runtime on two real servers after a known workload: the SPI wired end to end. */
@RedisTest
class RuntimeMetricsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final MeterRegistry meters = new SimpleMeterRegistry();
    private TransactionRuntime runtime;

    @AfterEach
    void close() {
        if (runtime != null) {
            runtime.closeGracefully().block(Duration.ofSeconds(30));
        }
    }

    private double count(String name, String tag, String value) {
        return meters.get(name).tag(tag, value).counter().count();
    }

    @Test
    void metersAndObservationsAfterAKnownWorkload(RedisServer a, RedisServer b) {
        ObservationRegistry observations = ObservationRegistry.create();
        observations.observationConfig().observationHandler(new DefaultMeterObservationHandler(meters));
        runtime = RedisTransactionRuntime.create(RuntimeOptions.builder()
                .participant("a", a.uri())
                .participant("b", b.uri())
                .recovery(r -> r.interval(Duration.ZERO))
                .retryPolicy(RetryPolicy.builder()
                        .maxAttempts(2)
                        .minBackoff(Duration.ofMillis(1))
                        .build())
                .metrics(MicrometerTransactionMetrics.create(meters))
                .observer(ObservationTransactionObserver.create(observations))
                .build());

        for (int i = 0; i < 4; i++) {
            runtime.inTransaction(t -> t.on("a").set("k", "v")).block(WAIT);
        }
        for (int i = 0; i < 2; i++) {
            runtime.inTransaction(t -> t.on("a").set("k", "v").then(t.on("b").set("k", "v")))
                    .block(WAIT);
        }
        StepVerifier.create(runtime.inTransaction(t -> Mono.error(new IllegalStateException("boom"))))
                .verifyError(IllegalStateException.class);
        // Every attempt's read is changed behind its back: two conflicts, one retry, then the conflict is final.
        AtomicInteger changes = new AtomicInteger();
        StepVerifier.create(runtime.inTransaction(t -> t.on("a")
                        .get("x")
                        .then(Mono.fromRunnable(() -> a.command("SET", "x", "v" + changes.incrementAndGet()))
                                .subscribeOn(Schedulers.boundedElastic()))
                        .then(t.on("b").set("y", "1"))))
                .verifyError(TransactionConflictException.class);
        runtime.recover().block(WAIT);

        assertThat(count("redtx.transactions.committed", "protocol", "one_phase"))
                .isEqualTo(4);
        assertThat(count("redtx.transactions.committed", "protocol", "two_phase"))
                .isEqualTo(2);
        assertThat(count("redtx.transactions.aborted", "cause", "user_error")).isEqualTo(1);
        assertThat(count("redtx.transactions.aborted", "cause", "conflict")).isEqualTo(1);
        assertThat(count("redtx.conflicts", "reason", "read_changed")).isEqualTo(2);
        assertThat(meters.get("redtx.retries").counter().count()).isEqualTo(1);
        assertThat(meters.get("redtx.phase.duration")
                        .tag("phase", "one_phase")
                        .timer()
                        .count())
                .isEqualTo(4);
        assertThat(meters.get("redtx.phase.duration")
                        .tag("phase", "prepare")
                        .timer()
                        .count())
                .isEqualTo(2 + 2);
        assertThat(meters.get("redtx.phase.duration")
                        .tag("phase", "commit_point")
                        .timer()
                        .count())
                .isEqualTo(2);
        assertThat(meters.get("redtx.transaction.duration")
                        .tag("protocol", "two_phase")
                        .timer()
                        .count())
                .isEqualTo(2);
        assertThat(meters.get("redtx.transactions.in_flight").gauge().value()).isZero();
        assertThat(count("redtx.recovery.intents", "outcome", "expired")).isZero();

        // One observation per transaction, timed by the default handler with the outcome as a tag.
        assertThat(meters.get("redtx.transaction").tag("redtx.outcome", "committed").timers().stream()
                        .mapToLong(t -> t.count())
                        .sum())
                .isEqualTo(6);
        assertThat(meters.get("redtx.transaction")
                        .tag("redtx.outcome", "aborted")
                        .tag("redtx.abort.cause", "conflict")
                        .timer()
                        .count())
                .isEqualTo(1);
    }
}
