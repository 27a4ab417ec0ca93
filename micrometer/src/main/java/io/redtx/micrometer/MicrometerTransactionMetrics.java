package io.redtx.micrometer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.redtx.api.CommitProtocol;
import io.redtx.api.RecoveryReport;
import io.redtx.api.TransactionConflictException;
import io.redtx.api.metrics.AbortCause;
import io.redtx.api.metrics.Phase;
import io.redtx.api.metrics.TransactionMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;
import java.util.regex.Pattern;

/**
 * Records what a transaction runtime does in a Micrometer {@link MeterRegistry}. Build with {@link #create} or
 * {@link #builder}, and give it to the runtime as its {@link TransactionMetrics}.
 *
 * <pre>{@code
 * TransactionMetrics metrics = MicrometerTransactionMetrics.builder(registry)
 *         .tag("runtime", "orders")
 *         .build();
 * }</pre>
 *
 * <p>Meters, named with the {@linkplain Builder#prefix prefix} (default {@value #DEFAULT_PREFIX}) and carrying the
 * {@linkplain Builder#tags common tags} besides the tag listed; tag values are the enum constants in lower case:
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>tag</th><th>recorded by</th></tr>
 *   <tr><td>{@code redtx.transactions.committed}</td><td>counter</td>
 *       <td>{@code protocol}: {@code none}, {@code one_phase}, {@code two_phase}</td>
 *       <td>{@link #committed}</td></tr>
 *   <tr><td>{@code redtx.transaction.duration}</td><td>timer</td><td>{@code protocol}</td>
 *       <td>{@link #committed}: subscription to committed outcome, retries included</td></tr>
 *   <tr><td>{@code redtx.transaction.attempts}</td><td>distribution summary</td><td>{@code protocol}</td>
 *       <td>{@link #committed}: attempts per committed transaction</td></tr>
 *   <tr><td>{@code redtx.transactions.aborted}</td><td>counter</td>
 *       <td>{@code cause}: {@code conflict}, {@code timeout}, {@code user_error}, {@code cancelled}, {@code rolled_back},
 *       {@code participant_unavailable}, {@code participant_error}, {@code rejected}, {@code invalid},
 *       {@code outcome_unknown}</td>
 *       <td>{@link #aborted}</td></tr>
 *   <tr><td>{@code redtx.conflicts}</td><td>counter</td>
 *       <td>{@code reason}: {@code foreign_intent}, {@code read_changed}, {@code condition_failed},
 *       {@code already_settled}</td>
 *       <td>{@link #conflict}</td></tr>
 *   <tr><td>{@code redtx.retries}</td><td>counter</td><td></td><td>{@link #retried}</td></tr>
 *   <tr><td>{@code redtx.rejections}</td><td>counter</td><td></td><td>{@link #rejected}</td></tr>
 *   <tr><td>{@code redtx.phase.duration}</td><td>timer</td>
 *       <td>{@code phase}: {@code prepare}, {@code commit_point}, {@code secondaries}, {@code one_phase}</td>
 *       <td>{@link #phase}</td></tr>
 *   <tr><td>{@code redtx.transactions.in_flight}</td><td>gauge</td><td></td>
 *       <td>{@link #inFlight}: reads the runtime's supplier</td></tr>
 *   <tr><td>{@code redtx.recovery.intents}</td><td>counter</td>
 *       <td>{@code outcome}: {@code expired}, {@code rolled_forward}, {@code rolled_back}, {@code left}</td>
 *       <td>{@link #recovered}: the fields of each {@link RecoveryReport}</td></tr>
 *   <tr><td>{@code redtx.recovery.externals}</td><td>counter</td>
 *       <td>{@code outcome}: {@code settled}, {@code pending}</td>
 *       <td>{@link #recovered}: external (TCC) participants confirmed or cancelled by recovery, and those still
 *       pending after a pass (a rate that stays positive means a participant keeps failing)</td></tr>
 *   <tr><td>{@code redtx.recovery.externals.in_doubt}</td><td>gauge</td>
 *       <td>{@code state}: {@code confirming}, {@code cancelling}</td>
 *       <td>{@link #recovered}: external participants whose confirm (of a committed transaction) or cancel (of one
 *       that did not commit) was still to succeed after the latest recovery pass</td></tr>
 *   <tr><td>{@code redtx.recovery.externals.oldest}</td><td>time gauge</td><td></td>
 *       <td>{@link #recovered}: of those, how long the oldest record has waited for recovery (since its lease ended, or
 *       since it aborted); 0 when none</td></tr>
 *   <tr><td>{@code redtx.recovery.sagas}</td><td>counter</td>
 *       <td>{@code outcome}: {@code resumed}, {@code compensated}</td>
 *       <td>{@link #recovered}: sagas whose runner had gone that recovery took over and completed, or
 *       compensated</td></tr>
 *   <tr><td>{@code redtx.recovery.sagas.failing}</td><td>gauge</td><td></td>
 *       <td>{@link #recovered}: sagas the latest pass found unable to finish (they stay, and every pass tries
 *       again)</td></tr>
 *   <tr><td>{@code redtx.recovery.stale_locks}</td><td>counter</td><td></td>
 *       <td>{@link #recovered}: lock entries of settled transactions that recovery removed (a positive rate is worth
 *       an alert)</td></tr>
 * </table>
 *
 * <p>Both timers publish the {@linkplain Builder#percentiles percentiles} 0.5, 0.99 and 0.999 computed on the client
 * (not aggregable across instances); {@linkplain Builder#percentileHistogram percentile histograms}, which are, are off
 * by default.
 *
 * <p><b>Threading and cost.</b> Every meter except the in-flight gauge is created when this object is built, one per tag value,
 * and kept in arrays indexed by the enum's ordinal: the methods the runtime calls per transaction do no registry
 * lookup, allocate no tags and never block, and are safe to call from any number of threads at once.
 *
 * <p><b>Several runtimes.</b> Use one instance per runtime and tell them apart with a common tag (for example
 * {@code runtime=<name>}): meters with the same name and tags are shared by the registry, so counters and timers of two
 * runtimes without distinguishing tags add up, and only the first runtime's in-flight gauge is registered.
 */
public final class MicrometerTransactionMetrics implements TransactionMetrics {

    /** Default prefix of every meter name. */
    public static final String DEFAULT_PREFIX = "redtx";
    /** Default percentiles published by both timers: median, p99 and p99.9. */
    public static final List<Double> DEFAULT_PERCENTILES = List.of(0.5, 0.99, 0.999);
    /** Default of {@link Builder#percentileHistogram}: off, since histogram buckets cost one time series each. */
    public static final boolean DEFAULT_PERCENTILE_HISTOGRAM = false;

    /** Tag keys this class sets itself; a common tag may not use them. */
    static final Set<String> RESERVED_TAG_KEYS = Set.of("protocol", "cause", "reason", "phase", "outcome");

    private static final Pattern PREFIX = Pattern.compile("[A-Za-z][A-Za-z0-9_]*(\\.[A-Za-z0-9_]+)*");

    private final MeterRegistry registry;
    private final String prefix;
    private final Tags commonTags;
    private final double[] percentiles;
    private final boolean percentileHistogram;

    // Indexed by ordinal so the hot path is an array load; built once, never changed.
    private final Counter[] committed;
    private final Timer[] transactionDuration;
    private final DistributionSummary[] attemptsSummary;
    private final Counter[] aborted;
    private final Counter[] conflicts;
    private final Timer[] phaseDuration;
    private final Counter retries;
    private final Counter rejections;
    private final Counter recoveryExpired;
    private final Counter recoveryRolledForward;
    private final Counter recoveryRolledBack;
    private final Counter recoveryLeft;
    private final Counter recoveryStaleLocks;
    private final Counter recoveryExternalsSettled;
    private final Counter recoveryExternalsPending;
    private final Counter recoverySagasResumed;
    private final Counter recoverySagasCompensated;
    // Read by the gauges of what the latest recovery pass left.
    private final AtomicLong sagasFailing = new AtomicLong();
    private final AtomicLong externalsConfirming = new AtomicLong();
    private final AtomicLong externalsCancelling = new AtomicLong();
    private final AtomicLong oldestPendingExternalMillis = new AtomicLong();

    // Read by the gauge; the latest runtime to register wins (a runtime restarted with the same metrics object).
    private final AtomicReference<IntSupplier> inFlightSupplier = new AtomicReference<>();

    private MicrometerTransactionMetrics(Builder b) {
        this.registry = b.registry;
        this.prefix = b.prefix;
        this.commonTags = b.tags;
        this.percentiles = b.percentiles.clone();
        this.percentileHistogram = b.percentileHistogram;

        CommitProtocol[] protocols = CommitProtocol.values();
        this.committed = new Counter[protocols.length];
        this.transactionDuration = new Timer[protocols.length];
        this.attemptsSummary = new DistributionSummary[protocols.length];
        for (CommitProtocol p : protocols) {
            String tag = tagValue(p);
            committed[p.ordinal()] =
                    counter("transactions.committed", "Transactions committed, by commit protocol", "protocol", tag);
            transactionDuration[p.ordinal()] = timer(
                    "transaction.duration",
                    "Time from subscription to the committed outcome, retries and back-off included",
                    "protocol",
                    tag);
            attemptsSummary[p.ordinal()] = DistributionSummary.builder(name("transaction.attempts"))
                    .description("Attempts a committed transaction took (1 when it did not retry)")
                    .tags(commonTags)
                    .tag("protocol", tag)
                    .register(registry);
        }

        AbortCause[] causes = AbortCause.values();
        this.aborted = new Counter[causes.length];
        for (AbortCause c : causes) {
            aborted[c.ordinal()] = counter(
                    "transactions.aborted",
                    "Transactions that ended without committing, by cause",
                    "cause",
                    tagValue(c));
        }

        TransactionConflictException.Reason[] reasons = TransactionConflictException.Reason.values();
        this.conflicts = new Counter[reasons.length];
        for (TransactionConflictException.Reason r : reasons) {
            conflicts[r.ordinal()] =
                    counter("conflicts", "Conflicts met by attempts, retried or not, by reason", "reason", tagValue(r));
        }

        Phase[] phases = Phase.values();
        this.phaseDuration = new Timer[phases.length];
        for (Phase p : phases) {
            phaseDuration[p.ordinal()] =
                    timer("phase.duration", "Latency of one commit phase, successful or not", "phase", tagValue(p));
        }

        this.retries = counter("retries", "New attempts started after a conflict", null, null);
        this.rejections = counter("rejections", "Transactions refused by admission control", null, null);
        String intents = "recovery.intents";
        String intentsHelp = "Intents with an expired lease found by recovery, and how they were settled";
        this.recoveryExpired = counter(intents, intentsHelp, "outcome", "expired");
        this.recoveryRolledForward = counter(intents, intentsHelp, "outcome", "rolled_forward");
        this.recoveryRolledBack = counter(intents, intentsHelp, "outcome", "rolled_back");
        this.recoveryLeft = counter(intents, intentsHelp, "outcome", "left");
        this.recoveryStaleLocks =
                counter("recovery.stale_locks", "Lock entries of settled transactions removed by recovery", null, null);
        String externals = "recovery.externals";
        String externalsHelp =
                "External (TCC) participants recovery confirmed or cancelled, and those it found still pending";
        this.recoveryExternalsSettled = counter(externals, externalsHelp, "outcome", "settled");
        this.recoveryExternalsPending = counter(externals, externalsHelp, "outcome", "pending");
        String sagasHelp = "Sagas whose runner had gone that recovery took over and completed, or compensated";
        this.recoverySagasResumed = counter("recovery.sagas", sagasHelp, "outcome", "resumed");
        this.recoverySagasCompensated = counter("recovery.sagas", sagasHelp, "outcome", "compensated");
        Gauge.builder(name("recovery.sagas.failing"), sagasFailing, AtomicLong::get)
                .description("Sagas the latest recovery pass found unable to finish")
                .tags(commonTags)
                .strongReference(true)
                .register(registry);
        String inDoubtHelp = "External participants whose confirm or cancel was still to succeed after the latest"
                + " recovery pass";
        for (var state :
                List.of(Map.entry("confirming", externalsConfirming), Map.entry("cancelling", externalsCancelling))) {
            Gauge.builder(name("recovery.externals.in_doubt"), state.getValue(), AtomicLong::get)
                    .description(inDoubtHelp)
                    .tags(commonTags)
                    .tag("state", state.getKey())
                    .strongReference(true)
                    .register(registry);
        }
        TimeGauge.builder(
                        name("recovery.externals.oldest"),
                        oldestPendingExternalMillis,
                        TimeUnit.MILLISECONDS,
                        AtomicLong::get)
                .description("How long the oldest record with an external participant still pending after the latest"
                        + " recovery pass has waited for recovery")
                .tags(commonTags)
                .strongReference(true)
                .register(registry);
    }

    /**
     * @param registry where to register the meters, not null
     * @return metrics with the default prefix, no common tag, the default percentiles and no histogram; the meters
     *     (but the gauge) are registered at once
     * @throws IllegalArgumentException if {@code registry} is null
     */
    public static MicrometerTransactionMetrics create(MeterRegistry registry) {
        return builder(registry).build();
    }

    /**
     * @param registry where to register the meters, not null
     * @return a builder with every default set
     * @throws IllegalArgumentException if {@code registry} is null
     */
    public static Builder builder(MeterRegistry registry) {
        if (registry == null) {
            throw new IllegalArgumentException("registry must not be null");
        }
        return new Builder(registry);
    }

    /**
     * Counts one commit in {@code transactions.committed}, records {@code total} in {@code transaction.duration} and
     * {@code attempts} in {@code transaction.attempts}, all tagged with {@code protocol}.
     */
    @Override
    public void committed(CommitProtocol protocol, int attempts, Duration total) {
        int i = protocol.ordinal();
        committed[i].increment();
        transactionDuration[i].record(total);
        attemptsSummary[i].record(attempts);
    }

    /** Counts one transaction in {@code transactions.aborted} tagged with {@code cause}. */
    @Override
    public void aborted(AbortCause cause) {
        aborted[cause.ordinal()].increment();
    }

    /** Counts one conflict in {@code conflicts} tagged with {@code reason}. */
    @Override
    public void conflict(TransactionConflictException.Reason reason) {
        conflicts[reason.ordinal()].increment();
    }

    /** Counts one retry in {@code retries}. */
    @Override
    public void retried() {
        retries.increment();
    }

    /** Records {@code latency} in {@code phase.duration} tagged with {@code phase}; a negative latency is ignored
     * (Micrometer logs a warning the first time). */
    @Override
    public void phase(Phase phase, Duration latency) {
        phaseDuration[phase.ordinal()].record(latency);
    }

    /** Counts one rejection in {@code rejections}. */
    @Override
    public void rejected() {
        rejections.increment();
    }

    /**
     * Registers the gauge {@code transactions.in_flight}, which reads {@code inFlight} whenever the registry is
     * scraped. The gauge holds this object strongly, so it keeps working when the caller keeps no reference to it. A
     * later call replaces the supplier the gauge reads.
     *
     * @param inFlight reads the number of transactions in flight, not null
     * @throws NullPointerException if {@code inFlight} is null
     */
    @Override
    public void inFlight(IntSupplier inFlight) {
        IntSupplier previous = inFlightSupplier.getAndSet(Objects.requireNonNull(inFlight, "inFlight"));
        if (previous == null) {
            Gauge.builder(name("transactions.in_flight"), this, MicrometerTransactionMetrics::readInFlight)
                    .description("Transactions admitted and not yet ended")
                    .tags(commonTags)
                    .strongReference(true)
                    .register(registry);
        }
    }

    /**
     * Adds the report's counts to {@code recovery.intents}: {@code expiredIntents} to {@code outcome=expired},
     * {@code rolledForward}, {@code rolledBack} and {@code left} to the outcome of the same name; and
     * {@code staleLocks} to {@code recovery.stale_locks}; {@code externalsSettled} and {@code externalsPending} to
     * {@code recovery.externals} with {@code outcome=settled} and {@code outcome=pending}; {@code sagasResumed} and
     * {@code sagasCompensated} to {@code recovery.sagas}; and sets the gauges {@code recovery.externals.in_doubt},
     * {@code recovery.externals.oldest} and {@code recovery.sagas.failing} to what the pass left.
     */
    @Override
    public void recovered(RecoveryReport report) {
        recoveryExpired.increment(report.expiredIntents());
        recoveryRolledForward.increment(report.rolledForward());
        recoveryRolledBack.increment(report.rolledBack());
        recoveryLeft.increment(report.left());
        recoveryStaleLocks.increment(report.staleLocks());
        recoveryExternalsSettled.increment(report.externalsSettled());
        recoveryExternalsPending.increment(report.externalsPending());
        recoverySagasResumed.increment(report.sagasResumed());
        recoverySagasCompensated.increment(report.sagasCompensated());
        sagasFailing.set(report.sagasFailing());
        externalsConfirming.set(report.externalsConfirming());
        externalsCancelling.set(report.externalsCancelling());
        oldestPendingExternalMillis.set(report.oldestPendingExternal().toMillis());
    }

    /** @return the prefix of every meter name */
    public String prefix() {
        return prefix;
    }

    /** @return the tags every meter carries besides its own */
    public Tags commonTags() {
        return commonTags;
    }

    @Override
    public String toString() {
        return "MicrometerTransactionMetrics{prefix='" + prefix + "', commonTags=" + commonTags + ", percentiles="
                + Arrays.toString(percentiles) + ", percentileHistogram=" + percentileHistogram + "}";
    }

    private double readInFlight() {
        IntSupplier supplier = inFlightSupplier.get();
        return supplier == null ? Double.NaN : supplier.getAsInt();
    }

    private String name(String suffix) {
        return prefix + "." + suffix;
    }

    private Counter counter(String suffix, String description, String tagKey, String tagValue) {
        Counter.Builder builder =
                Counter.builder(name(suffix)).description(description).tags(commonTags);
        if (tagKey != null) {
            builder.tag(tagKey, tagValue);
        }
        return builder.register(registry);
    }

    private Timer timer(String suffix, String description, String tagKey, String tagValue) {
        return Timer.builder(name(suffix))
                .description(description)
                .tags(commonTags)
                .tag(tagKey, tagValue)
                .publishPercentiles(percentiles)
                .publishPercentileHistogram(percentileHistogram)
                .register(registry);
    }

    private static String tagValue(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT);
    }

    /** Builds {@link MicrometerTransactionMetrics}; every setter validates its argument at once. */
    public static final class Builder {
        private final MeterRegistry registry;
        private String prefix = DEFAULT_PREFIX;
        private Tags tags = Tags.empty();
        private double[] percentiles =
                DEFAULT_PERCENTILES.stream().mapToDouble(Double::doubleValue).toArray();
        private boolean percentileHistogram = DEFAULT_PERCENTILE_HISTOGRAM;

        private Builder(MeterRegistry registry) {
            this.registry = registry;
        }

        /**
         * @param prefix first part of every meter name (default {@value MicrometerTransactionMetrics#DEFAULT_PREFIX}): dot-separated words of
         *     letters, digits and '_', starting with a letter, for example {@code redtx} or {@code shop.redtx}
         * @return this builder
         */
        public Builder prefix(String prefix) {
            if (prefix == null || !PREFIX.matcher(prefix).matches()) {
                throw new IllegalArgumentException(
                        "prefix must be dot-separated words of [A-Za-z0-9_] starting with a letter, was "
                                + (prefix == null ? "null" : "'" + prefix + "'"));
            }
            this.prefix = prefix;
            return this;
        }

        /**
         * Adds one tag carried by every meter, for example the name of the runtime.
         *
         * @param key tag key, not null, not one the meters set themselves ({@code protocol}, {@code cause}, {@code
         *     reason}, {@code phase}, {@code outcome})
         * @param value tag value, not null
         * @return this builder
         */
        public Builder tag(String key, String value) {
            if (key == null || value == null) {
                throw new IllegalArgumentException("tag key and value must not be null, were " + key + " and " + value);
            }
            return tags(Tags.of(key, value));
        }

        /**
         * Adds tags carried by every meter; a key given twice keeps its last value.
         *
         * @param tags tags, not null, none with a key the meters set themselves ({@code protocol}, {@code cause},
         *     {@code reason}, {@code phase}, {@code outcome})
         * @return this builder
         */
        public Builder tags(Iterable<Tag> tags) {
            if (tags == null) {
                throw new IllegalArgumentException("tags must not be null");
            }
            for (Tag t : tags) {
                if (RESERVED_TAG_KEYS.contains(t.getKey())) {
                    throw new IllegalArgumentException("tag key '" + t.getKey()
                            + "' is set by the meters themselves; choose another key than " + RESERVED_TAG_KEYS);
                }
            }
            this.tags = this.tags.and(tags);
            return this;
        }

        /**
         * @param percentiles percentiles both timers publish, each in [0, 1] (default 0.5, 0.99, 0.999); none turns
         *     client-side percentiles off
         * @return this builder
         */
        public Builder percentiles(double... percentiles) {
            if (percentiles == null) {
                throw new IllegalArgumentException("percentiles must not be null");
            }
            List<Double> bad = new ArrayList<>();
            for (double p : percentiles) {
                if (!(p >= 0.0 && p <= 1.0)) {
                    bad.add(p);
                }
            }
            if (!bad.isEmpty()) {
                throw new IllegalArgumentException("percentiles must be in [0, 1], were " + bad);
            }
            this.percentiles = percentiles.clone();
            return this;
        }

        /**
         * @param enabled whether both timers also publish percentile histogram buckets, which a backend such as
         *     Prometheus can aggregate across instances (default {@code false}: each bucket is one more time series per
         *     timer and tag value)
         * @return this builder
         */
        public Builder percentileHistogram(boolean enabled) {
            this.percentileHistogram = enabled;
            return this;
        }

        /**
         * Registers every meter but the in-flight gauge (which {@link MicrometerTransactionMetrics#inFlight} registers)
         * and returns the metrics.
         *
         * @return the metrics
         */
        public MicrometerTransactionMetrics build() {
            return new MicrometerTransactionMetrics(this);
        }
    }
}
