package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.RecoveryReport;
import io.redtx.api.TransactionPhase;
import io.redtx.api.TransactionTimeoutException;
import io.redtx.api.metrics.TransactionMetrics;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * {@code RuntimeOptions.timer(...)}: the runtime keeps its time on the given scheduler, so a test moves it (here a
 * {@link VirtualTimeScheduler}) instead of waiting, while the participants stay real Redis servers.
 */
class TimerTest extends ThreeParticipantsTestBase {

    private final VirtualTimeScheduler time = VirtualTimeScheduler.create();

    @AfterEach
    void disposeTime() {
        time.dispose();
    }

    @Test
    void aTransactionsTimeLimitPassesWhenTheGivenTimerSaysSo() {
        RedisTransactionRuntime rt = runtime(o -> o.timer(time).timeouts(t -> t.transaction(Duration.ofMinutes(10))));
        StepVerifier.create(rt.inTransaction(t -> t.on("a").set("x", "1").then(Mono.never())))
                .expectSubscription()
                .then(() -> time.advanceTimeBy(Duration.ofMinutes(10)))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(TransactionTimeoutException.class);
                    assertThat(((TransactionTimeoutException) e).phase()).isEqualTo(TransactionPhase.TRANSACTION);
                })
                .verify(Duration.ofSeconds(10)); // real time: ten virtual minutes pass at once
        assertThat(a.command("GET", "x")).isNull();
    }

    @Test
    void recoveryPassesRunWhenTheGivenTimerReachesTheirPeriod() {
        List<RecoveryReport> passes = new CopyOnWriteArrayList<>();
        TransactionMetrics metrics = new TransactionMetrics() {
            @Override
            public void recovered(RecoveryReport report) {
                passes.add(report);
            }
        };
        runtime(o -> o.timer(time).metrics(metrics).recovery(r -> r.interval(Duration.ofHours(1))));
        time.advanceTimeBy(Duration.ofMinutes(59));
        assertThat(passes).as("before the first period").isEmpty();
        time.advanceTimeBy(Duration.ofMinutes(1));
        // A pass asks every participant: it ends on a Lettuce thread shortly after the timer fired.
        awaitTrue(() -> passes.size() == 1);
        time.advanceTimeBy(Duration.ofHours(1));
        awaitTrue(() -> passes.size() == 2);
    }
}
