package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.AdmissionOptions;
import io.redtx.api.IntakeOptions;
import io.redtx.api.TransactionOutcome;
import io.redtx.api.TransactionRejectedException;
import io.redtx.api.TransactionTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;
import reactor.test.publisher.TestPublisher;

/** The intake: bounded demand, order, deadlines, cancellation, rejections as outcomes. */
class IntakeTest extends ThreeParticipantsTestBase {

    /** Request i sets k<i> on a and on b once its gate (if any) opens, and returns i. */
    private static Mono<Integer> write(io.redtx.api.Transaction t, int i, Mono<Void> gate) {
        return gate.then(t.on("a").set("k" + i, "v"))
                .then(t.on("b").set("k" + i, "v"))
                .thenReturn(i);
    }

    @Test
    void demandNeverRunsAheadOfTheLimit() {
        var rt = runtime();
        TestPublisher<Integer> source = TestPublisher.create();
        AtomicLong requested = new AtomicLong();
        Map<Integer, Sinks.Empty<Void>> gates = new ConcurrentHashMap<>();
        Flux<TransactionOutcome<Integer, Integer>> outcomes = rt.intake(
                source.flux().doOnRequest(requested::addAndGet),
                (i, t) ->
                        write(t, i, gates.computeIfAbsent(i, k -> Sinks.empty()).asMono()),
                IntakeOptions.builder().maxInFlight(4).build());

        StepVerifier.create(outcomes, 0)
                .then(() -> assertThat(requested)
                        .as("asked ahead with no downstream demand")
                        .hasValue(4))
                .then(() -> source.next(0, 1, 2, 3))
                .then(() -> gates.values().forEach(Sinks.Empty::tryEmitEmpty))
                .then(() -> awaitTrue(() -> rt.inFlight() == 0))
                .then(() -> assertThat(requested)
                        .as("four finished outcomes nobody took: nothing more asked")
                        .hasValue(4))
                .thenRequest(2)
                .expectNextCount(2)
                .then(() -> awaitTrue(() -> requested.get() == 6))
                .then(() -> source.next(4, 5))
                .then(() -> gates.values().forEach(Sinks.Empty::tryEmitEmpty))
                .thenRequest(Long.MAX_VALUE)
                .then(source::complete)
                .expectNextCount(4)
                .verifyComplete();
        assertThat(requested.get()).isLessThanOrEqualTo(6 + 4 + 1); // every outcome taken, plus the limit ahead
    }

    @Test
    void orderedOutcomesFollowTheRequests() {
        var rt = runtime();
        Sinks.Empty<Void> slowFirst = Sinks.empty();
        var outcomes = rt.intake(
                Flux.range(0, 5),
                (i, t) -> write(t, i, i == 0 ? slowFirst.asMono() : Mono.empty())
                        .doOnNext(done -> {
                            if (done == 4) {
                                slowFirst.tryEmitEmpty(); // the first finishes last
                            }
                        }),
                IntakeOptions.builder().maxInFlight(5).ordered(true).build());

        StepVerifier.create(outcomes.map(TransactionOutcome::request))
                .expectNext(0, 1, 2, 3, 4)
                .verifyComplete();
    }

    @Test
    void unorderedOutcomesComeAsTheyFinish() {
        var rt = runtime();
        Sinks.Empty<Void> slowFirst = Sinks.empty();
        var outcomes = rt.intake(
                Flux.range(0, 2),
                (i, t) -> write(t, i, i == 0 ? slowFirst.asMono() : Mono.empty()),
                IntakeOptions.builder().maxInFlight(2).build());

        StepVerifier.create(outcomes.map(TransactionOutcome::request))
                .expectNext(1)
                .then(slowFirst::tryEmitEmpty)
                .expectNext(0)
                .verifyComplete();
    }

    @Test
    void aRequestPastItsDeadlineIsAbortedAndWritesNothing() {
        var rt = runtime();
        var outcomes = rt.intake(
                Flux.just(7),
                (i, t) -> write(t, i, Mono.delay(Duration.ofSeconds(2)).then()),
                IntakeOptions.builder().deadline(Duration.ofMillis(200)).build());

        StepVerifier.create(outcomes)
                .assertNext(o -> {
                    assertThat(o.status()).isEqualTo(TransactionOutcome.Status.ABORTED);
                    assertThat(o.error()).isInstanceOf(TransactionTimeoutException.class);
                    assertThat(o.mayHaveCommitted()).isFalse();
                })
                .verifyComplete();
        assertThat(get(a, "k7")).isNull();
        assertNoIntents();
    }

    @Test
    void anHourLongDeadlineRunsOutInVirtualTimeOnly() {
        var rt = runtime();
        StepVerifier.withVirtualTime(() -> rt.intake(
                        Flux.just(1, 2),
                        (i, t) -> i == 1 ? Mono.<Integer>never() : Mono.just(i),
                        IntakeOptions.builder().deadline(Duration.ofHours(1)).build()))
                .assertNext(o -> assertThat(o.status()).isEqualTo(TransactionOutcome.Status.COMMITTED))
                .thenAwait(Duration.ofMinutes(59))
                .then(() -> assertThat(rt.inFlight())
                        .as("still running after 59 min")
                        .isEqualTo(1))
                .thenAwait(Duration.ofMinutes(1))
                .assertNext(o -> {
                    assertThat(o.request()).isEqualTo(1);
                    assertThat(o.status()).isEqualTo(TransactionOutcome.Status.ABORTED);
                    assertThat(o.error())
                            .isInstanceOf(TransactionTimeoutException.class)
                            .hasMessageContaining("after 1 h");
                })
                .expectComplete()
                .verify(Duration.ofSeconds(10));
        assertThat(rt.inFlight()).isZero();
    }

    @Test
    void aFailingSourceFailsTheStreamOnlyAfterTheOutcomesOfWhatItGave() {
        var rt = runtime();
        Sinks.Empty<Void> gate = Sinks.empty();
        TestPublisher<Integer> source = TestPublisher.create();
        StepVerifier.create(rt.intake(
                        source.flux(),
                        (i, t) -> write(t, i, gate.asMono()),
                        IntakeOptions.builder().maxInFlight(4).build()))
                .then(() -> source.next(1, 2))
                .then(() -> awaitTrue(() -> rt.inFlight() == 2))
                .then(() -> source.error(new IllegalStateException("the queue broke")))
                .then(gate::tryEmitEmpty)
                .expectNextMatches(o -> o.status() == TransactionOutcome.Status.COMMITTED)
                .expectNextMatches(o -> o.status() == TransactionOutcome.Status.COMMITTED)
                .expectErrorMessage("the queue broke")
                .verify(Duration.ofSeconds(10));
        assertThat(get(b, "k1")).isEqualTo("v");
        assertThat(get(b, "k2")).isEqualTo("v");
    }

    @Test
    void cancellingTheOutcomesRollsBackWhatIsInFlight() {
        var rt = runtime();
        Sinks.Empty<Void> never = Sinks.empty();
        var subscription = rt.intake(
                        Flux.range(0, 100),
                        (i, t) -> t.on("c").set("c" + i, "v").then(write(t, i, never.asMono())),
                        IntakeOptions.builder().maxInFlight(8).build())
                .subscribe();
        awaitTrue(() -> rt.inFlight() == 8);

        subscription.dispose();
        awaitTrue(() -> rt.inFlight() == 0);
        assertNoIntents();
        for (var s : servers()) {
            assertThat((List<?>) s.command("KEYS", "*")).as("keys on %s", s).isEmpty();
        }
    }

    @Test
    void aRequestTheRuntimeRejectsIsAFailedOutcomeNotAnError() {
        var rt = runtime(o -> o.admission(a -> a.maxInFlight(1).overflow(AdmissionOptions.Overflow.REJECT)));
        Sinks.Empty<Void> gate = Sinks.empty();
        var outcomes = rt.intake(
                Flux.range(0, 2),
                (i, t) -> write(t, i, i == 0 ? gate.asMono() : Mono.empty()),
                IntakeOptions.builder().maxInFlight(2).build());

        StepVerifier.create(outcomes)
                .assertNext(o -> {
                    assertThat(o.request()).isEqualTo(1);
                    assertThat(o.status()).isEqualTo(TransactionOutcome.Status.FAILED);
                    assertThat(o.error()).isInstanceOf(TransactionRejectedException.class);
                })
                .then(gate::tryEmitEmpty)
                .assertNext(o -> {
                    assertThat(o.request()).isZero();
                    assertThat(o.status()).isEqualTo(TransactionOutcome.Status.COMMITTED);
                    assertThat(o.value()).isZero();
                })
                .verifyComplete();
    }

    @Test
    void theIntakeStopsTakingRequestsWhenTheRuntimeCloses() {
        var rt = runtime();
        AtomicLong taken = new AtomicLong();
        var outcomes = rt.intake(
                Flux.interval(Duration.ofMillis(5)).doOnNext(i -> taken.incrementAndGet()),
                (i, t) -> t.on("a").set("i" + i, "v").thenReturn(i),
                IntakeOptions.defaults());

        StepVerifier.create(outcomes)
                .thenConsumeWhile(o -> o.request() < 5)
                .then(() -> rt.closeGracefully().subscribe())
                .thenConsumeWhile(o -> true)
                .verifyComplete();
        runtime = null; // closed here
    }
}
