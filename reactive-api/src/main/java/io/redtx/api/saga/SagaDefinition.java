package io.redtx.api.saga;

import io.redtx.api.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A saga: a name and an ordered list of {@link SagaStep}s, what to do when one fails for good
 * ({@link SagaRecovery}), the lease a runner keeps on a running saga and how long a finished saga's record is kept.
 * Register it with {@link io.redtx.api.RuntimeOptions.Builder#saga(SagaDefinition)} in every runtime that may start
 * or recover it: the record in Redis names its definition, and recovery needs the definition to go on. Immutable.
 *
 * <p>The rule checked at {@link Builder#build()}: with {@link SagaRecovery#BACKWARD}, every external step but the last
 * needs a compensation. A later step may fail, and then the external step's effect must be undone, which only its
 * compensation can do (a transaction step without compensation is taken to need no undoing: a check, a read, a write
 * that stays). The last step's failure is the saga's last chance to fail, so nothing after it needs it undone; when
 * it has a compensation anyway, that runs for the failed attempt too, since an external call that failed may still
 * have taken effect. With {@link SagaRecovery#FORWARD} no compensation ever runs and none is needed.
 *
 * <pre>{@code
 * SagaDefinition order = SagaDefinition.builder("order")
 *         .step(SagaStep.transactional("reserve", reserve).withCompensation(release))
 *         .step(SagaStep.external("charge", charge).withCompensation(refund))
 *         .step(SagaStep.transactional("confirm", confirm))
 *         .build();
 * }</pre>
 */
public final class SagaDefinition {

    /** Default lease of a runner on a saga it drives: 15 s (renewed every third of it while it runs). */
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(15);

    /** Default time a finished saga's record is kept, to answer a repeated start with its outcome: 1 day. */
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(1);

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,64}");

    private final String name;
    private final List<SagaStep> steps;
    private final SagaRecovery recovery;
    private final Duration lease;
    private final Duration retention;

    private SagaDefinition(Builder b) {
        this.name = b.name;
        this.steps = List.copyOf(b.steps);
        this.recovery = b.recovery;
        this.lease = b.lease;
        this.retention = b.retention;
    }

    /**
     * @param name 1 to 64 characters of {@code [A-Za-z0-9_.:-]}
     * @return a builder without steps, {@link SagaRecovery#BACKWARD}, {@link #DEFAULT_LEASE}, {@link
     *     #DEFAULT_RETENTION}
     * @throws SagaDefinitionException for a bad name
     */
    public static Builder builder(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new SagaDefinitionException(
                    String.valueOf(name), null, "a saga name must be 1-64 characters of [A-Za-z0-9_.:-]");
        }
        return new Builder(name);
    }

    /** @return the name its records carry */
    public String name() {
        return name;
    }

    /** @return the steps, in the order they run */
    public List<SagaStep> steps() {
        return steps;
    }

    /** @return what a step's failure for good leads to (default {@link SagaRecovery#BACKWARD}) */
    public SagaRecovery recovery() {
        return recovery;
    }

    /**
     * @return how long a runner's claim on a running saga lasts without renewal (default {@link #DEFAULT_LEASE}):
     *     after it, any runtime may take the saga over (a repeated start, a recovery pass)
     */
    public Duration lease() {
        return lease;
    }

    /** @return how long the record of a finished saga is kept (default {@link #DEFAULT_RETENTION}) */
    public Duration retention() {
        return retention;
    }

    @Override
    public String toString() {
        return "SagaDefinition{" + name + ", steps="
                + steps.stream().map(SagaStep::name).toList() + ", recovery=" + recovery + ", lease="
                + Durations.text(lease) + ", retention=" + Durations.text(retention) + "}";
    }

    /** Builds a {@link SagaDefinition}; {@link #step} and {@link #build} check what they can at once. */
    public static final class Builder {
        private final String name;
        private final List<SagaStep> steps = new ArrayList<>();
        private SagaRecovery recovery = SagaRecovery.BACKWARD;
        private Duration lease = DEFAULT_LEASE;
        private Duration retention = DEFAULT_RETENTION;

        private Builder(String name) {
            this.name = name;
        }

        /**
         * @param step the next step, not null
         * @return this builder
         * @throws SagaDefinitionException for null, or a step whose name an earlier step has
         */
        public Builder step(SagaStep step) {
            if (step == null) {
                throw new SagaDefinitionException(name, null, "step " + steps.size() + " must not be null");
            }
            for (SagaStep s : steps) {
                if (s.name().equals(step.name())) {
                    throw new SagaDefinitionException(name, step.name(), "two steps have this name");
                }
            }
            steps.add(step);
            return this;
        }

        /**
         * @param recovery what a step's failure for good leads to, not null
         * @return this builder
         * @throws SagaDefinitionException for null
         */
        public Builder recovery(SagaRecovery recovery) {
            if (recovery == null) {
                throw new SagaDefinitionException(name, null, "recovery must not be null");
            }
            this.recovery = recovery;
            return this;
        }

        /**
         * @param lease how long a runner's claim lasts without renewal: at least 100 ms; longer than the clock
         *     difference between the machines that run the saga's runtimes
         * @return this builder
         * @throws SagaDefinitionException for null or under 100 ms
         */
        public Builder lease(Duration lease) {
            if (lease == null || lease.toMillis() < 100) {
                throw new SagaDefinitionException(
                        name, null, "lease must be at least 100 ms, was " + Durations.text(lease));
            }
            this.lease = lease;
            return this;
        }

        /**
         * @param retention how long a finished saga's record is kept: at least 1 s
         * @return this builder
         * @throws SagaDefinitionException for null or under 1 s
         */
        public Builder retention(Duration retention) {
            if (retention == null || retention.toMillis() < 1000) {
                throw new SagaDefinitionException(
                        name, null, "retention must be at least 1 s, was " + Durations.text(retention));
            }
            this.retention = retention;
            return this;
        }

        /**
         * @return the definition
         * @throws SagaDefinitionException for a saga without steps, or (with {@link SagaRecovery#BACKWARD}) an external
         *     step before the last one without a compensation (see {@link SagaDefinition})
         */
        public SagaDefinition build() {
            if (steps.isEmpty()) {
                throw new SagaDefinitionException(name, null, "a saga needs at least one step");
            }
            if (recovery == SagaRecovery.BACKWARD) {
                for (int i = 0; i < steps.size() - 1; i++) {
                    SagaStep s = steps.get(i);
                    if (!s.isTransactional() && !s.hasCompensation()) {
                        throw new SagaDefinitionException(
                                name,
                                s.name(),
                                "an external step needs a compensation: step '"
                                        + steps.get(i + 1).name()
                                        + "' comes after it and may fail, and recovery is BACKWARD");
                    }
                }
            }
            return new SagaDefinition(this);
        }
    }
}
