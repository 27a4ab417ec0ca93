package io.redtx.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import io.micrometer.common.KeyValue;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import io.redtx.api.CommitProtocol;
import io.redtx.api.CommitResult;
import io.redtx.api.metrics.AbortCause;
import io.redtx.api.metrics.TransactionObserver.Scope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;

class ObservationTransactionObserverTest {

    private static final String KEY = ObservationTransactionObserver.OBSERVATION_CONTEXT_KEY;

    private final RecordingHandler handler = new RecordingHandler();
    private final ObservationRegistry registry = registryWith(handler);
    private final ObservationTransactionObserver observer = ObservationTransactionObserver.create(registry);

    @Test
    void createRejectsNullRegistry() {
        assertThatNullPointerException()
                .isThrownBy(() -> ObservationTransactionObserver.create(null))
                .withMessage("registry");
    }

    @Test
    void observationContextKeyIsTheOneMicrometerAndReactorUse() {
        // A compile-time constant: inlined, so this does not load the class (which needs context-propagation).
        assertThat(KEY).isEqualTo(ObservationThreadLocalAccessor.KEY);
    }

    @Test
    void startStartsANamedObservationThatRunsUntilTheTransactionEnds() {
        observer.start(Context.empty());

        assertThat(handler.started).singleElement().satisfies(c -> {
            assertThat(c.getName()).isEqualTo("redtx.transaction");
            assertThat(c.getContextualName()).isEqualTo("redtx transaction");
        });
        assertThat(handler.stopped).isEmpty();
    }

    @Test
    void committedTransactionStopsObservationWithProtocolAndId() {
        Scope scope = observer.start(Context.empty());
        scope.attempt("tx-1", 1);
        scope.attempt("tx-2", 2);

        scope.committed(result("tx-2", CommitProtocol.TWO_PHASE, 2));

        assertThat(handler.stopped).singleElement().satisfies(c -> {
            assertThat(low(c))
                    .containsExactlyInAnyOrderEntriesOf(Map.of(
                            "redtx.outcome", "committed", "redtx.protocol", "two_phase", "redtx.abort.cause", "none"));
            assertThat(high(c))
                    .containsExactlyInAnyOrderEntriesOf(Map.of("redtx.transaction.id", "tx-2", "redtx.attempts", "2"));
            assertThat(c.getError()).isNull();
        });
    }

    @Test
    void attemptRecordsTheLatestIdAndCountBeforeTheEnd() {
        Scope scope = observer.start(Context.empty());

        scope.attempt("tx-1", 1);
        scope.attempt("tx-2", 2);

        assertThat(high(handler.started.get(0)))
                .containsExactlyInAnyOrderEntriesOf(Map.of("redtx.transaction.id", "tx-2", "redtx.attempts", "2"));
    }

    @Test
    void abortedTransactionRecordsCauseAndError() {
        Scope scope = observer.start(Context.empty());
        scope.attempt("tx-1", 1);
        IllegalStateException error = new IllegalStateException("boom");

        scope.aborted(AbortCause.USER_ERROR, error);

        assertThat(handler.stopped).singleElement().satisfies(c -> {
            assertThat(low(c))
                    .containsExactlyInAnyOrderEntriesOf(Map.of(
                            "redtx.outcome", "aborted", "redtx.protocol", "none", "redtx.abort.cause", "user_error"));
            assertThat(c.getError()).isSameAs(error);
        });
        assertThat(handler.errors).containsExactly(error);
    }

    @Test
    void abortedTransactionWithoutErrorRecordsNone() {
        Scope scope = observer.start(Context.empty());

        scope.aborted(AbortCause.CANCELLED, null);

        assertThat(handler.stopped).singleElement().satisfies(c -> {
            assertThat(low(c)).containsEntry("redtx.abort.cause", "cancelled");
            assertThat(c.getError()).isNull();
        });
        assertThat(handler.errors).isEmpty();
    }

    @Test
    void refusedTransactionHasNoIdNorAttempts() {
        Scope scope = observer.start(Context.empty());

        scope.aborted(AbortCause.REJECTED, new IllegalStateException("full"));

        assertThat(high(handler.stopped.get(0))).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyOutcome")
    void allLowCardinalityKeysPresentOnEveryOutcome(String outcome, Consumer<Scope> ending) {
        ending.accept(observer.start(Context.empty()));

        assertThat(handler.stopped)
                .singleElement()
                .satisfies(c -> assertThat(low(c).keySet())
                        .containsExactlyInAnyOrderElementsOf(ObservationTransactionObserver.LOW_CARDINALITY_KEYS)
                        .containsExactlyInAnyOrder("redtx.outcome", "redtx.protocol", "redtx.abort.cause"));
    }

    static Stream<Arguments> everyOutcome() {
        List<Arguments> outcomes = new ArrayList<>();
        for (CommitProtocol p : CommitProtocol.values()) {
            outcomes.add(Arguments.of("committed " + p, (Consumer<Scope>) s -> s.committed(result("tx", p, 1))));
        }
        for (AbortCause c : AbortCause.values()) {
            outcomes.add(Arguments.of(
                    "aborted " + c, (Consumer<Scope>) s -> s.aborted(c, new IllegalStateException(c.name()))));
            outcomes.add(Arguments.of("aborted " + c + " without error", (Consumer<Scope>) s -> s.aborted(c, null)));
        }
        return outcomes.stream();
    }

    @Test
    void secondEndingIsIgnored() {
        Scope scope = observer.start(Context.empty());
        scope.committed(result("tx-1", CommitProtocol.ONE_PHASE, 1));

        scope.aborted(AbortCause.CANCELLED, null);

        assertThat(handler.stopped)
                .singleElement()
                .satisfies(c -> assertThat(low(c)).containsEntry("redtx.outcome", "committed"));
    }

    @Test
    void parentObservationFromSubscriberContextIsUsed() {
        Observation parent = Observation.start("caller", registry);

        observer.start(Context.of(KEY, parent));

        assertThat(registry.getCurrentObservation()).isNull();
        assertThat(transactionContext().getParentObservation()).isSameAs(parent);
    }

    @Test
    void parentFromSubscriberContextWinsOverTheRegistrysCurrentObservation() {
        Observation current = Observation.start("unrelated", registry);
        Observation parent = Observation.start("caller", registry);

        Observation.Scope opened = current.openScope();
        try {
            assertThat(registry.getCurrentObservation()).isSameAs(current);
            observer.start(Context.of(KEY, parent));
        } finally {
            opened.close();
        }

        assertThat(transactionContext().getParentObservation()).isSameAs(parent);
    }

    @Test
    void withoutParentTheObservationIsARoot() {
        observer.start(Context.of("something", "else"));

        assertThat(transactionContext().getParentObservation()).isNull();
    }

    @Test
    void contextCarriesTheTransactionObservation() {
        Scope scope = observer.start(Context.empty());

        Context context = scope.context(Context.of("user", "kept"));

        assertThat(context.<String>get("user")).isEqualTo("kept");
        assertThat(context.<Observation>get(KEY).getContext()).isSameAs(transactionContext());
    }

    @Test
    void workInsideTheTransactionNestsUnderIt() {
        Scope outer = observer.start(Context.empty());

        Mono.deferContextual(c -> Mono.just(observer.start(c)))
                .contextWrite(outer::context)
                .block(Duration.ofSeconds(5));

        assertThat(handler.started).hasSize(2);
        assertThat(handler.started.get(1).getParentObservation().getContextView())
                .isSameAs(handler.started.get(0));
    }

    @Test
    void noopRegistryCostsNothing() {
        ObservationTransactionObserver noop = ObservationTransactionObserver.create(ObservationRegistry.NOOP);

        Scope scope = noop.start(Context.empty());

        assertThat(scope).isSameAs(Scope.NOOP);
        Context context = Context.of("user", "kept");
        assertThat(scope.context(context)).isSameAs(context);
    }

    @Test
    void registryWithoutHandlersCostsNothing() {
        ObservationTransactionObserver noHandlers = ObservationTransactionObserver.create(ObservationRegistry.create());

        assertThat(noHandlers.start(Context.empty())).isSameAs(Scope.NOOP);
    }

    @Test
    void observationTurnedOffByAPredicateCostsNothing() {
        registry.observationConfig().observationPredicate((name, c) -> !name.equals("redtx.transaction"));

        assertThat(observer.start(Context.empty())).isSameAs(Scope.NOOP);
        assertThat(handler.started).isEmpty();
    }

    @Test
    void handlerFailingOnStartLeavesTheTransactionUnobserved() {
        ObservationRegistry failing = registryWith(new RecordingHandler() {
            @Override
            public void onStart(Observation.Context context) {
                throw new IllegalStateException("handler bug");
            }
        });

        assertThat(ObservationTransactionObserver.create(failing).start(Context.empty()))
                .isSameAs(Scope.NOOP);
    }

    @Test
    void handlerFailingOnErrorStillStopsTheObservation() {
        RecordingHandler failing = new RecordingHandler() {
            @Override
            public void onError(Observation.Context context) {
                throw new IllegalStateException("handler bug");
            }
        };
        Scope scope =
                ObservationTransactionObserver.create(registryWith(failing)).start(Context.empty());

        assertThatCode(() -> scope.aborted(AbortCause.TIMEOUT, new IllegalStateException("timeout")))
                .doesNotThrowAnyException();
        assertThat(failing.stopped)
                .singleElement()
                .satisfies(c -> assertThat(low(c)).containsEntry("redtx.abort.cause", "timeout"));
    }

    @Test
    void handlerFailingOnStopDoesNotReachTheRuntime() {
        Scope scope = ObservationTransactionObserver.create(registryWith(new RecordingHandler() {
                    @Override
                    public void onStop(Observation.Context context) {
                        throw new IllegalStateException("handler bug");
                    }
                }))
                .start(Context.empty());

        assertThatCode(() -> scope.committed(result("tx-1", CommitProtocol.ONE_PHASE, 1)))
                .doesNotThrowAnyException();
    }

    @Test
    void defaultMeterHandlerRecordsOneTimerPerOutcomeWithTheSameTagKeys() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        ObservationRegistry observations = ObservationRegistry.create();
        observations.observationConfig().observationHandler(new DefaultMeterObservationHandler(meters));
        ObservationTransactionObserver metered = ObservationTransactionObserver.create(observations);

        metered.start(Context.empty()).committed(result("tx-1", CommitProtocol.TWO_PHASE, 1));
        metered.start(Context.empty()).aborted(AbortCause.CONFLICT, new IllegalStateException("conflict"));

        Timer committed = meters.find("redtx.transaction")
                .tags("redtx.outcome", "committed", "redtx.protocol", "two_phase", "redtx.abort.cause", "none")
                .timer();
        Timer aborted = meters.find("redtx.transaction")
                .tags("redtx.outcome", "aborted", "redtx.protocol", "none", "redtx.abort.cause", "conflict")
                .timer();
        assertThat(committed).isNotNull();
        assertThat(committed.count()).isEqualTo(1);
        assertThat(aborted).isNotNull();
        assertThat(aborted.count()).isEqualTo(1);
        assertThat(meters.find("redtx.transaction").timers())
                .hasSize(2)
                .allSatisfy(t -> assertThat(t.getId().getTags().stream().map(tag -> tag.getKey()))
                        .containsExactlyInAnyOrder("redtx.outcome", "redtx.protocol", "redtx.abort.cause", "error"));
    }

    private Observation.Context transactionContext() {
        return handler.started.stream()
                .filter(c -> c.getName().equals("redtx.transaction"))
                .findFirst()
                .orElseThrow();
    }

    private static ObservationRegistry registryWith(ObservationHandler<Observation.Context> handler) {
        ObservationRegistry registry = ObservationRegistry.create();
        registry.observationConfig().observationHandler(handler);
        return registry;
    }

    private static CommitResult result(String id, CommitProtocol protocol, int attempts) {
        return new CommitResult(
                id, List.of("shard-a"), protocol, attempts, Duration.ZERO, Duration.ofMillis(1), Duration.ZERO, true);
    }

    private static Map<String, String> low(Observation.Context c) {
        return toMap(c.getLowCardinalityKeyValues().stream());
    }

    private static Map<String, String> high(Observation.Context c) {
        return toMap(c.getHighCardinalityKeyValues().stream());
    }

    private static Map<String, String> toMap(Stream<KeyValue> keyValues) {
        return keyValues.collect(Collectors.toMap(KeyValue::getKey, KeyValue::getValue, (a, b) -> b, TreeMap::new));
    }

    /** Records what the registry reports, in order. */
    static class RecordingHandler implements ObservationHandler<Observation.Context> {
        final List<Observation.Context> started = new CopyOnWriteArrayList<>();
        final List<Observation.Context> stopped = new CopyOnWriteArrayList<>();
        final List<Throwable> errors = new CopyOnWriteArrayList<>();

        @Override
        public void onStart(Observation.Context context) {
            started.add(context);
        }

        @Override
        public void onError(Observation.Context context) {
            errors.add(context.getError());
        }

        @Override
        public void onStop(Observation.Context context) {
            stopped.add(context);
        }

        @Override
        public boolean supportsContext(Observation.Context context) {
            return true;
        }
    }
}
