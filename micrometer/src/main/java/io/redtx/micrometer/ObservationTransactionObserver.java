package io.redtx.micrometer;

import io.micrometer.common.KeyValue;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.redtx.api.CommitProtocol;
import io.redtx.api.CommitResult;
import io.redtx.api.metrics.AbortCause;
import io.redtx.api.metrics.TransactionObserver;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * Observes each transaction with one Micrometer {@link Observation}, for tracing and, through the registry's handlers,
 * metrics. Create with {@link #create} and give it to the runtime as its {@link TransactionObserver}.
 *
 * <pre>{@code
 * ObservationRegistry registry = ObservationRegistry.create();
 * registry.observationConfig().observationHandler(new DefaultMeterObservationHandler(meterRegistry));
 * TransactionObserver observer = ObservationTransactionObserver.create(registry);
 * }</pre>
 *
 * <p><b>The observation.</b> Named {@value #OBSERVATION_NAME} (contextual name {@value #CONTEXTUAL_NAME}), it is
 * started by {@link #start} itself, when the transaction is subscribed to, so it covers admission, every attempt and
 * the back-off between them; it is stopped by the transaction's one ending ({@link Scope#committed} or
 * {@link Scope#aborted}). Its parent is the observation the subscriber's context holds under
 * {@value #OBSERVATION_CONTEXT_KEY}, where Reactor's {@code Micrometer.observation(...)} tap and Spring put the current
 * observation; without one, Micrometer's default applies (the registry's current observation, if any, else none).
 * {@link Scope#context} puts the transaction's observation under the same key, so observations made by the
 * transaction's work (Lettuce commands, HTTP clients) nest under it.
 *
 * <p><b>Key values.</b> Low-cardinality key values (tags of the meters a {@code DefaultMeterObservationHandler} makes)
 * are set when the transaction ends, all three on every outcome, so that every stopped observation has the same tag
 * keys; values are the enum constants in lower case. None is set at the start, so the handler's long-task timer
 * {@code redtx.transaction.active} carries none of them.
 *
 * <table>
 *   <caption>Key values</caption>
 *   <tr><th>key</th><th>cardinality</th><th>committed</th><th>aborted</th></tr>
 *   <tr><td>{@value #OUTCOME}</td><td>low</td><td>{@code committed}</td><td>{@code aborted}</td></tr>
 *   <tr><td>{@value #PROTOCOL}</td><td>low</td><td>{@code none}, {@code one_phase} or {@code two_phase}</td>
 *       <td>{@value #NONE}</td></tr>
 *   <tr><td>{@value #ABORT_CAUSE}</td><td>low</td><td>{@value #NONE}</td>
 *       <td>the {@link AbortCause}, for example {@code conflict} or {@code user_error}</td></tr>
 *   <tr><td>{@value #TRANSACTION_ID}</td><td>high</td><td>the id of the attempt that committed</td>
 *       <td>the id of the latest attempt; absent if none ran (refused by admission)</td></tr>
 *   <tr><td>{@value #ATTEMPTS}</td><td>high</td><td>attempts made, the committed one included</td>
 *       <td>attempts started; absent if none ran</td></tr>
 * </table>
 *
 * <p>An aborted transaction that ended with an error also records it with {@link Observation#error}; a cancelled or
 * rolled-back one has none.
 *
 * <p><b>Cost.</b> When the registry is a no-op ({@link ObservationRegistry#NOOP}, or one without handlers, checked at
 * every {@link #start}) or its predicates turn the observation off, {@link #start} returns {@link Scope#NOOP}: no
 * observation, nothing added to the context. Otherwise each transaction makes one observation and one small scope
 * object; the low-cardinality key values are constants.
 *
 * <p><b>Threading and errors.</b> Safe to use from any number of threads at once: the observer keeps no state but the
 * registry, and a scope is only ever called by one transaction. No method throws: a {@link RuntimeException} from the
 * registry or one of its handlers is logged at {@code DEBUG} (through a {@link System.Logger} named after this class)
 * and otherwise ignored, and the observation is stopped all the same when the transaction ends.
 */
public final class ObservationTransactionObserver implements TransactionObserver {

    /** Name of the observation (and of the meters a {@code DefaultMeterObservationHandler} makes from it). */
    public static final String OBSERVATION_NAME = "redtx.transaction";
    /** Contextual name of the observation (the span name of a tracing handler). */
    public static final String CONTEXTUAL_NAME = "redtx transaction";

    /**
     * The Reactor context key of the current observation: {@code ObservationThreadLocalAccessor.KEY}, which Reactor's
     * {@code Micrometer.observation(...)} tap and Spring use. Copied rather than referenced because that class
     * implements an interface of {@code io.micrometer:context-propagation}, an optional dependency of
     * micrometer-observation this module does not need otherwise.
     */
    public static final String OBSERVATION_CONTEXT_KEY = "micrometer.observation";

    /** Low-cardinality key: {@code committed} or {@code aborted}. */
    public static final String OUTCOME = "redtx.outcome";
    /** Low-cardinality key: the commit protocol in lower case, {@value #NONE} when the transaction aborted. */
    public static final String PROTOCOL = "redtx.protocol";
    /** Low-cardinality key: the abort cause in lower case, {@value #NONE} when the transaction committed. */
    public static final String ABORT_CAUSE = "redtx.abort.cause";
    /** High-cardinality key: the id of the latest attempt (the committed one, on commit). */
    public static final String TRANSACTION_ID = "redtx.transaction.id";
    /** High-cardinality key: the number of attempts, in decimal. */
    public static final String ATTEMPTS = "redtx.attempts";
    /** The value of {@link #PROTOCOL} or {@link #ABORT_CAUSE} when it does not apply to the outcome. */
    public static final String NONE = "none";

    /** The low-cardinality keys, each set on every stopped observation. */
    public static final List<String> LOW_CARDINALITY_KEYS = List.of(OUTCOME, PROTOCOL, ABORT_CAUSE);

    private static final Logger LOGGER = System.getLogger(ObservationTransactionObserver.class.getName());

    private static final KeyValue OUTCOME_COMMITTED = KeyValue.of(OUTCOME, "committed");
    private static final KeyValue OUTCOME_ABORTED = KeyValue.of(OUTCOME, "aborted");
    private static final KeyValue PROTOCOL_NONE = KeyValue.of(PROTOCOL, NONE);
    private static final KeyValue ABORT_CAUSE_NONE = KeyValue.of(ABORT_CAUSE, NONE);
    // Indexed by ordinal, built once: endings allocate no key value of low cardinality.
    private static final KeyValue[] PROTOCOLS = keyValues(PROTOCOL, CommitProtocol.values());
    private static final KeyValue[] CAUSES = keyValues(ABORT_CAUSE, AbortCause.values());

    private final ObservationRegistry registry;

    private ObservationTransactionObserver(ObservationRegistry registry) {
        this.registry = registry;
    }

    /**
     * @param registry the registry to make the observations in, not null
     * @return an observer making one observation per transaction in {@code registry}
     * @throws NullPointerException if {@code registry} is null
     */
    public static ObservationTransactionObserver create(ObservationRegistry registry) {
        return new ObservationTransactionObserver(Objects.requireNonNull(registry, "registry"));
    }

    /**
     * Creates and starts the transaction's observation, a child of the observation {@code context} holds under
     * {@value #OBSERVATION_CONTEXT_KEY}, if any.
     *
     * @param context the subscriber's context, may hold the parent observation
     * @return the transaction's scope, or {@link Scope#NOOP} when the registry is a no-op, its predicates turn the
     *     observation off, or it failed
     */
    @Override
    public Scope start(ContextView context) {
        try {
            if (registry.isNoop()) {
                return Scope.NOOP;
            }
            Observation parent = parentOf(context);
            // The parent goes into the context before Micrometer sees it, so that predicates see it too, and the
            // registry's current observation (a thread-local, unrelated on a shared event loop) only fills in when
            // the subscriber has none.
            Observation observation = Observation.createNotStarted(
                    OBSERVATION_NAME,
                    () -> {
                        Observation.Context c = new Observation.Context();
                        c.setParentObservation(parent);
                        return c;
                    },
                    registry);
            if (observation.isNoop()) {
                return Scope.NOOP;
            }
            observation.contextualName(CONTEXTUAL_NAME).start();
            return new ObservationScope(observation);
        } catch (RuntimeException e) {
            LOGGER.log(Level.DEBUG, "redtx: could not start the transaction's observation; not observed", e);
            return Scope.NOOP;
        }
    }

    /** @return the registry the observations are made in */
    public ObservationRegistry registry() {
        return registry;
    }

    @Override
    public String toString() {
        return "ObservationTransactionObserver{registry=" + registry + "}";
    }

    private static Observation parentOf(ContextView context) {
        if (context == null) {
            return null;
        }
        Object value = context.getOrDefault(OBSERVATION_CONTEXT_KEY, null);
        return value instanceof Observation o && !o.isNoop() ? o : null;
    }

    private static KeyValue[] keyValues(String key, Enum<?>[] constants) {
        KeyValue[] values = new KeyValue[constants.length];
        for (Enum<?> c : constants) {
            values[c.ordinal()] = KeyValue.of(key, c.name().toLowerCase(Locale.ROOT));
        }
        return values;
    }

    /** The scope of one observed transaction; its calls never overlap (contract of {@link TransactionObserver}). */
    private static final class ObservationScope implements Scope {
        private final Observation observation;
        // Not volatile: the runtime orders the calls on one scope. Guards against stopping twice, which would record
        // the transaction twice in every handler.
        private boolean ended;

        ObservationScope(Observation observation) {
            this.observation = observation;
        }

        @Override
        public Context context(Context context) {
            try {
                return context.put(OBSERVATION_CONTEXT_KEY, observation);
            } catch (RuntimeException e) {
                LOGGER.log(Level.DEBUG, "redtx: could not put the transaction's observation in the context", e);
                return context;
            }
        }

        @Override
        public void attempt(String transactionId, int attempt) {
            try {
                if (transactionId != null) {
                    observation.highCardinalityKeyValue(TRANSACTION_ID, transactionId);
                }
                observation.highCardinalityKeyValue(ATTEMPTS, Integer.toString(attempt));
            } catch (RuntimeException e) {
                LOGGER.log(Level.DEBUG, "redtx: could not record an attempt on the transaction's observation", e);
            }
        }

        @Override
        public void committed(CommitResult result) {
            if (ended) {
                return;
            }
            ended = true;
            try {
                // Low-cardinality key values first and from constants, so a failure later leaves the tag set whole.
                observation
                        .lowCardinalityKeyValue(OUTCOME_COMMITTED)
                        .lowCardinalityKeyValue(ABORT_CAUSE_NONE)
                        .lowCardinalityKeyValue(
                                result == null
                                        ? PROTOCOL_NONE
                                        : PROTOCOLS[result.protocol().ordinal()]);
                if (result != null) {
                    observation
                            .highCardinalityKeyValue(TRANSACTION_ID, result.transactionId())
                            .highCardinalityKeyValue(ATTEMPTS, Integer.toString(result.attempts()));
                }
            } catch (RuntimeException e) {
                LOGGER.log(Level.DEBUG, "redtx: could not record the commit on the transaction's observation", e);
            }
            stop();
        }

        @Override
        public void aborted(AbortCause cause, Throwable error) {
            if (ended) {
                return;
            }
            ended = true;
            try {
                observation
                        .lowCardinalityKeyValue(OUTCOME_ABORTED)
                        .lowCardinalityKeyValue(PROTOCOL_NONE)
                        .lowCardinalityKeyValue(cause == null ? ABORT_CAUSE_NONE : CAUSES[cause.ordinal()]);
                if (error != null) {
                    observation.error(error);
                }
            } catch (RuntimeException e) {
                LOGGER.log(Level.DEBUG, "redtx: could not record the abort on the transaction's observation", e);
            }
            stop();
        }

        private void stop() {
            try {
                observation.stop();
            } catch (RuntimeException e) {
                LOGGER.log(Level.DEBUG, "redtx: could not stop the transaction's observation", e);
            }
        }

        @Override
        public String toString() {
            return "ObservationTransactionObserver.Scope{" + observation + "}";
        }
    }
}
