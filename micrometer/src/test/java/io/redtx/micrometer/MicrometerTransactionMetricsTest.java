package io.redtx.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.redtx.api.CommitProtocol;
import io.redtx.api.RecoveryReport;
import io.redtx.api.TransactionConflictException.Reason;
import io.redtx.api.metrics.AbortCause;
import io.redtx.api.metrics.Phase;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class MicrometerTransactionMetricsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final MicrometerTransactionMetrics metrics = MicrometerTransactionMetrics.create(registry);

    @Test
    void everyMeterButTheInFlightGaugeExistsAtZeroOnceBuilt() {
        Set<String> expected = new TreeSet<>();
        for (CommitProtocol p : CommitProtocol.values()) {
            expected.add("redtx.transactions.committed{protocol=" + lower(p) + "}");
            expected.add("redtx.transaction.duration{protocol=" + lower(p) + "}");
            expected.add("redtx.transaction.attempts{protocol=" + lower(p) + "}");
        }
        for (AbortCause c : AbortCause.values()) {
            expected.add("redtx.transactions.aborted{cause=" + lower(c) + "}");
        }
        for (Reason r : Reason.values()) {
            expected.add("redtx.conflicts{reason=" + lower(r) + "}");
        }
        for (Phase p : Phase.values()) {
            expected.add("redtx.phase.duration{phase=" + lower(p) + "}");
        }
        expected.add("redtx.retries{}");
        expected.add("redtx.rejections{}");
        for (String outcome : new String[] {"expired", "rolled_forward", "rolled_back", "left"}) {
            expected.add("redtx.recovery.intents{outcome=" + outcome + "}");
        }
        expected.add("redtx.recovery.stale_locks{}");
        expected.add("redtx.recovery.externals{outcome=settled}");
        expected.add("redtx.recovery.externals{outcome=pending}");
        expected.add("redtx.recovery.externals.in_doubt{state=confirming}");
        expected.add("redtx.recovery.externals.in_doubt{state=cancelling}");
        expected.add("redtx.recovery.externals.oldest{}");
        expected.add("redtx.recovery.sagas{outcome=resumed}");
        expected.add("redtx.recovery.sagas{outcome=compensated}");
        expected.add("redtx.recovery.sagas.failing{}");

        Map<String, Map<String, Double>> meters = snapshot();

        assertThat(meters.keySet())
                .containsExactlyInAnyOrderElementsOf(expected)
                .hasSize(43);
        assertThat(meters.values())
                .allSatisfy(values -> assertThat(values.values()).allMatch(v -> v == 0.0));
        assertThat(registry.find("redtx.transactions.in_flight").meter()).isNull();
    }

    @ParameterizedTest
    @EnumSource(CommitProtocol.class)
    void committedCountsTimesAndRecordsAttemptsUnderItsProtocolOnly(CommitProtocol protocol) {
        String tag = "{protocol=" + lower(protocol) + "}";

        Set<String> changed = changedBy(() -> metrics.committed(protocol, 3, Duration.ofMillis(40)));

        assertThat(changed)
                .containsExactlyInAnyOrder(
                        "redtx.transactions.committed" + tag,
                        "redtx.transaction.duration" + tag,
                        "redtx.transaction.attempts" + tag);
        assertThat(counter("redtx.transactions.committed", "protocol", lower(protocol)))
                .isEqualTo(1.0);
        Timer duration = registry.get("redtx.transaction.duration")
                .tag("protocol", lower(protocol))
                .timer();
        assertThat(duration.count()).isEqualTo(1);
        assertThat(duration.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(40.0);
        DistributionSummary attempts = registry.get("redtx.transaction.attempts")
                .tag("protocol", lower(protocol))
                .summary();
        assertThat(attempts.count()).isEqualTo(1);
        assertThat(attempts.totalAmount()).isEqualTo(3.0);
    }

    @ParameterizedTest
    @EnumSource(AbortCause.class)
    void abortedCountsItsCauseOnly(AbortCause cause) {
        Set<String> changed = changedBy(() -> {
            metrics.aborted(cause);
            metrics.aborted(cause);
        });

        assertThat(changed).containsExactly("redtx.transactions.aborted{cause=" + lower(cause) + "}");
        assertThat(counter("redtx.transactions.aborted", "cause", lower(cause))).isEqualTo(2.0);
    }

    @ParameterizedTest
    @EnumSource(Reason.class)
    void conflictCountsItsReasonOnly(Reason reason) {
        Set<String> changed = changedBy(() -> metrics.conflict(reason));

        assertThat(changed).containsExactly("redtx.conflicts{reason=" + lower(reason) + "}");
        assertThat(counter("redtx.conflicts", "reason", lower(reason))).isEqualTo(1.0);
    }

    @Test
    void retriedCountsRetriesOnly() {
        Set<String> changed = changedBy(() -> {
            metrics.retried();
            metrics.retried();
            metrics.retried();
        });

        assertThat(changed).containsExactly("redtx.retries{}");
        assertThat(registry.get("redtx.retries").counter().count()).isEqualTo(3.0);
    }

    @Test
    void rejectedCountsRejectionsOnly() {
        Set<String> changed = changedBy(metrics::rejected);

        assertThat(changed).containsExactly("redtx.rejections{}");
        assertThat(registry.get("redtx.rejections").counter().count()).isEqualTo(1.0);
    }

    @ParameterizedTest
    @EnumSource(Phase.class)
    void phaseRecordsItsLatencyUnderItsPhaseOnly(Phase phase) {
        Set<String> changed = changedBy(() -> {
            metrics.phase(phase, Duration.ofMillis(3));
            metrics.phase(phase, Duration.ofMillis(7));
        });

        assertThat(changed).containsExactly("redtx.phase.duration{phase=" + lower(phase) + "}");
        Timer timer =
                registry.get("redtx.phase.duration").tag("phase", lower(phase)).timer();
        assertThat(timer.count()).isEqualTo(2);
        assertThat(timer.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(10.0);
        assertThat(timer.max(TimeUnit.MILLISECONDS)).isEqualTo(7.0);
    }

    @Test
    void aNegativePhaseLatencyIsIgnored() {
        Set<String> changed = changedBy(() -> metrics.phase(Phase.PREPARE, Duration.ofMillis(-1)));

        assertThat(changed).isEmpty();
    }

    @Test
    void recoveredAddsEachFieldOfEveryReportToItsOutcome() {
        Set<String> changed = changedBy(() -> {
            metrics.recovered(new RecoveryReport(7, 3, 2, 2, 4));
            metrics.recovered(new RecoveryReport(1, 0, 1, 0, 1));
        });

        assertThat(changed)
                .containsExactlyInAnyOrder(
                        "redtx.recovery.intents{outcome=expired}",
                        "redtx.recovery.intents{outcome=rolled_forward}",
                        "redtx.recovery.intents{outcome=rolled_back}",
                        "redtx.recovery.intents{outcome=left}",
                        "redtx.recovery.stale_locks{}");
        assertThat(counter("redtx.recovery.intents", "outcome", "expired")).isEqualTo(8.0);
        assertThat(counter("redtx.recovery.intents", "outcome", "rolled_forward"))
                .isEqualTo(3.0);
        assertThat(counter("redtx.recovery.intents", "outcome", "rolled_back")).isEqualTo(3.0);
        assertThat(counter("redtx.recovery.intents", "outcome", "left")).isEqualTo(2.0);
        assertThat(registry.get("redtx.recovery.stale_locks").counter().count()).isEqualTo(5.0);
    }

    @Test
    void recoveredCountsExternalParticipantsSettledAndStillPending() {
        Set<String> changed = changedBy(() -> {
            metrics.recovered(new RecoveryReport(0, 0, 0, 1, 0, 0, 0, 0, 2, 1, 0, Duration.ofSeconds(3)));
            metrics.recovered(new RecoveryReport(0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, Duration.ZERO));
        });

        assertThat(changed)
                .containsExactlyInAnyOrder(
                        "redtx.recovery.intents{outcome=left}",
                        "redtx.recovery.externals{outcome=settled}",
                        "redtx.recovery.externals{outcome=pending}");
        assertThat(counter("redtx.recovery.externals", "outcome", "settled")).isEqualTo(3.0);
        assertThat(counter("redtx.recovery.externals", "outcome", "pending")).isEqualTo(1.0);
    }

    @Test
    void recoveredCountsSagasTakenOverAndGaugesThoseFailing() {
        Set<String> changed = changedBy(() -> {
            metrics.recovered(new RecoveryReport(0, 0, 0, 0, 0, 2, 1, 3));
            metrics.recovered(new RecoveryReport(0, 0, 0, 0, 0, 1, 0, 1));
        });

        assertThat(changed)
                .containsExactlyInAnyOrder(
                        "redtx.recovery.sagas{outcome=resumed}",
                        "redtx.recovery.sagas{outcome=compensated}",
                        "redtx.recovery.sagas.failing{}");
        assertThat(counter("redtx.recovery.sagas", "outcome", "resumed")).isEqualTo(3.0);
        assertThat(counter("redtx.recovery.sagas", "outcome", "compensated")).isEqualTo(1.0);
        assertThat(registry.get("redtx.recovery.sagas.failing").gauge().value()).isEqualTo(1.0);
    }

    @Test
    void theInDoubtGaugesShowWhatTheLatestPassLeftPending() {
        Set<String> changed = changedBy(
                () -> metrics.recovered(new RecoveryReport(0, 0, 0, 2, 0, 0, 0, 0, 0, 2, 1, Duration.ofSeconds(42))));

        assertThat(changed)
                .contains(
                        "redtx.recovery.externals.in_doubt{state=confirming}",
                        "redtx.recovery.externals.in_doubt{state=cancelling}",
                        "redtx.recovery.externals.oldest{}");
        assertThat(registry.get("redtx.recovery.externals.in_doubt")
                        .tag("state", "confirming")
                        .gauge()
                        .value())
                .isEqualTo(2.0);
        assertThat(registry.get("redtx.recovery.externals.in_doubt")
                        .tag("state", "cancelling")
                        .gauge()
                        .value())
                .isEqualTo(1.0);
        assertThat(registry.get("redtx.recovery.externals.oldest").timeGauge().value(TimeUnit.SECONDS))
                .isEqualTo(42.0);

        // The next pass found nothing pending: the gauges follow it, unlike the counters.
        metrics.recovered(RecoveryReport.EMPTY);
        assertThat(registry.get("redtx.recovery.externals.in_doubt")
                        .tag("state", "confirming")
                        .gauge()
                        .value())
                .isZero();
        assertThat(registry.get("redtx.recovery.externals.oldest").timeGauge().value(TimeUnit.SECONDS))
                .isZero();
    }

    @Test
    void anEmptyRecoveryReportChangesNothing() {
        assertThat(changedBy(() -> metrics.recovered(RecoveryReport.EMPTY))).isEmpty();
    }

    @Test
    void theInFlightGaugeReadsTheSupplierAtEveryScrape() {
        AtomicInteger inFlight = new AtomicInteger(5);

        metrics.inFlight(inFlight::get);
        Gauge gauge = registry.get("redtx.transactions.in_flight").gauge();

        assertThat(gauge.getId().getTags()).isEmpty();
        assertThat(gauge.value()).isEqualTo(5.0);
        inFlight.set(12);
        assertThat(gauge.value()).isEqualTo(12.0);
        inFlight.set(0);
        assertThat(gauge.value()).isEqualTo(0.0);
    }

    @Test
    void registeringTheInFlightSupplierAgainSwapsWhatTheOneGaugeReads() {
        metrics.inFlight(() -> 1);
        metrics.inFlight(() -> 2);

        assertThat(registry.find("redtx.transactions.in_flight").gauges()).hasSize(1);
        assertThat(registry.get("redtx.transactions.in_flight").gauge().value()).isEqualTo(2.0);
    }

    @Test
    void aNullInFlightSupplierIsRefused() {
        assertThatNullPointerException()
                .isThrownBy(() -> metrics.inFlight(null))
                .withMessage("inFlight");
        assertThat(registry.find("redtx.transactions.in_flight").meter()).isNull();
    }

    @Test
    void bothTimersPublishTheDefaultPercentiles() {
        for (int ms = 1; ms <= 100; ms++) {
            metrics.phase(Phase.PREPARE, Duration.ofMillis(ms));
            metrics.committed(CommitProtocol.TWO_PHASE, 1, Duration.ofMillis(ms));
        }

        for (Timer timer : new Timer[] {
            registry.get("redtx.phase.duration").tag("phase", "prepare").timer(),
            registry.get("redtx.transaction.duration")
                    .tag("protocol", "two_phase")
                    .timer()
        }) {
            ValueAtPercentile[] values = timer.takeSnapshot().percentileValues();
            assertThat(values).extracting(ValueAtPercentile::percentile).containsExactly(0.5, 0.99, 0.999);
            // Micrometer's percentiles are approximate (bucketed); the median of 1..100 ms is near 50 ms.
            assertThat(values[0].value(TimeUnit.MILLISECONDS)).isBetween(40.0, 60.0);
            assertThat(values[1].value(TimeUnit.MILLISECONDS))
                    .isGreaterThanOrEqualTo(values[0].value(TimeUnit.MILLISECONDS));
        }
        assertThat(registry.find("redtx.phase.duration.percentile")
                        .tag("phase", "prepare")
                        .gauges())
                .extracting(g -> g.getId().getTag("phi"))
                .containsExactlyInAnyOrder("0.5", "0.99", "0.999");
    }

    @Test
    void percentileHistogramsAreOffByDefault() {
        Map<String, DistributionStatisticConfig> configs = timerConfigsOf(MicrometerTransactionMetrics::builder);

        assertThat(configs).hasSize(CommitProtocol.values().length + Phase.values().length);
        assertThat(configs.values())
                .allSatisfy(config -> assertThat(config.isPercentileHistogram()).isFalse());
    }

    @Test
    void percentileHistogramsCanBeTurnedOnForBothTimers() {
        // A SimpleMeterRegistry keeps no histogram buckets (it cannot aggregate them), so look at what the timers ask
        // for: a registry that can, such as Prometheus's, publishes the buckets from this flag.
        Map<String, DistributionStatisticConfig> configs =
                timerConfigsOf(r -> MicrometerTransactionMetrics.builder(r).percentileHistogram(true));

        assertThat(configs).hasSize(CommitProtocol.values().length + Phase.values().length);
        assertThat(configs.values())
                .allSatisfy(config -> assertThat(config.isPercentileHistogram()).isTrue());
    }

    @Test
    void percentilesCanBeChangedOrTurnedOff() {
        MicrometerTransactionMetrics custom = MicrometerTransactionMetrics.builder(registry)
                .tag("runtime", "custom")
                .percentiles(0.9)
                .build();
        MicrometerTransactionMetrics none = MicrometerTransactionMetrics.builder(registry)
                .tag("runtime", "none")
                .percentiles()
                .build();

        custom.phase(Phase.SECONDARIES, Duration.ofMillis(5));
        none.phase(Phase.SECONDARIES, Duration.ofMillis(5));

        assertThat(registry.get("redtx.phase.duration")
                        .tags("phase", "secondaries", "runtime", "custom")
                        .timer()
                        .takeSnapshot()
                        .percentileValues())
                .extracting(ValueAtPercentile::percentile)
                .containsExactly(0.9);
        assertThat(registry.get("redtx.phase.duration")
                        .tags("phase", "secondaries", "runtime", "none")
                        .timer()
                        .takeSnapshot()
                        .percentileValues())
                .isEmpty();
    }

    @Test
    void thePrefixAndTheCommonTagsApplyToEveryMeterIncludingTheGauge() {
        SimpleMeterRegistry own = new SimpleMeterRegistry();
        MicrometerTransactionMetrics custom = MicrometerTransactionMetrics.builder(own)
                .prefix("shop.tx")
                .tag("runtime", "orders")
                .tags(Tags.of("region", "eu", "runtime", "orders-2"))
                .build();
        custom.inFlight(() -> 4);

        assertThat(own.getMeters())
                .filteredOn(m -> !isHistogramGauge(m))
                .hasSize(44)
                .allSatisfy(m -> {
                    assertThat(m.getId().getName()).startsWith("shop.tx.");
                    assertThat(m.getId().getTags()).contains(Tag.of("runtime", "orders-2"), Tag.of("region", "eu"));
                });
        assertThat(own.get("shop.tx.transactions.in_flight").gauge().value()).isEqualTo(4.0);
        assertThat(custom.prefix()).isEqualTo("shop.tx");
        assertThat(custom.commonTags())
                .containsExactlyInAnyOrder(Tag.of("region", "eu"), Tag.of("runtime", "orders-2"));
    }

    @Test
    void toStringShowsTheConfiguration() {
        assertThat(metrics)
                .hasToString(
                        "MicrometerTransactionMetrics{prefix='redtx', commonTags=[], percentiles=[0.5, 0.99, 0.999],"
                                + " percentileHistogram=false}");
    }

    @Test
    void aNullRegistryIsRefused() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> MicrometerTransactionMetrics.builder(null))
                .withMessage("registry must not be null");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> MicrometerTransactionMetrics.create(null))
                .withMessage("registry must not be null");
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", ".redtx", "redtx.", "red..tx", "1redtx", "red tx", "red-tx"})
    void aBadPrefixIsRefusedNamingIt(String prefix) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> MicrometerTransactionMetrics.builder(registry).prefix(prefix))
                .withMessageStartingWith("prefix must be dot-separated words of [A-Za-z0-9_] starting with a letter")
                .withMessageEndingWith(prefix == null ? "was null" : "was '" + prefix + "'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"protocol", "cause", "reason", "phase", "outcome"})
    void aCommonTagMayNotUseAKeyTheMetersSet(String key) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> MicrometerTransactionMetrics.builder(registry).tag(key, "x"))
                .withMessageStartingWith("tag key '" + key + "' is set by the meters themselves");
    }

    @Test
    void nullTagsAreRefused() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> MicrometerTransactionMetrics.builder(registry).tags(null))
                .withMessage("tags must not be null");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> MicrometerTransactionMetrics.builder(registry).tag("runtime", null))
                .withMessage("tag key and value must not be null, were runtime and null");
    }

    @Test
    void percentilesOutsideZeroToOneAreRefusedNamingThem() {
        assertThatIllegalArgumentException()
                .isThrownBy(
                        () -> MicrometerTransactionMetrics.builder(registry).percentiles(0.5, -0.1, 1.5, Double.NaN))
                .withMessage("percentiles must be in [0, 1], were [-0.1, 1.5, NaN]");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> MicrometerTransactionMetrics.builder(registry).percentiles((double[]) null))
                .withMessage("percentiles must not be null");
    }

    @Test
    void changingThePercentilesArrayAfterwardsChangesNothing() {
        double[] percentiles = {0.75};
        MicrometerTransactionMetrics.Builder builder = MicrometerTransactionMetrics.builder(registry)
                .tag("runtime", "copy")
                .percentiles(percentiles);
        percentiles[0] = 0.25;

        builder.build().phase(Phase.ONE_PHASE, Duration.ofMillis(1));

        assertThat(registry.get("redtx.phase.duration")
                        .tags("phase", "one_phase", "runtime", "copy")
                        .timer()
                        .takeSnapshot()
                        .percentileValues())
                .extracting(ValueAtPercentile::percentile)
                .containsExactly(0.75);
    }

    // --- helpers

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    private double counter(String name, String tagKey, String tagValue) {
        return registry.get(name).tag(tagKey, tagValue).counter().count();
    }

    /** The distribution configuration each timer of a metrics built by {@code builder} asks its registry for. */
    private static Map<String, DistributionStatisticConfig> timerConfigsOf(
            Function<MeterRegistry, MicrometerTransactionMetrics.Builder> builder) {
        Map<String, DistributionStatisticConfig> configs = new HashMap<>();
        SimpleMeterRegistry own = new SimpleMeterRegistry();
        own.config().meterFilter(new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                if (id.getType() == Meter.Type.TIMER) {
                    configs.put(id.getName() + id.getTags(), config);
                }
                return config;
            }
        });
        builder.apply(own).build();
        return configs;
    }

    /** The derived gauges a SimpleMeterRegistry adds for published percentiles and histogram buckets. */
    private static boolean isHistogramGauge(Meter meter) {
        String name = meter.getId().getName();
        return name.endsWith(".percentile") || name.endsWith(".histogram");
    }

    /** Every meter of the registry (but the derived percentile gauges) as "name{k=v,...}" to its measurements. */
    private Map<String, Map<String, Double>> snapshot() {
        Map<String, Map<String, Double>> result = new HashMap<>();
        for (Meter meter : registry.getMeters()) {
            if (isHistogramGauge(meter)) {
                continue;
            }
            String key = meter.getId().getName()
                    + meter.getId().getTags().stream()
                            .map(t -> t.getKey() + "=" + t.getValue())
                            .collect(Collectors.joining(",", "{", "}"));
            Map<String, Double> values = new HashMap<>();
            for (Measurement m : meter.measure()) {
                values.put(m.getStatistic().name(), m.getValue());
            }
            result.put(key, values);
        }
        return result;
    }

    /** The meters whose measurements {@code action} changed. */
    private Set<String> changedBy(Runnable action) {
        Map<String, Map<String, Double>> before = snapshot();
        action.run();
        Map<String, Map<String, Double>> after = snapshot();
        assertThat(after.keySet()).as("meters registered").isEqualTo(before.keySet());
        return after.keySet().stream()
                .filter(k -> !after.get(k).equals(before.get(k)))
                .collect(Collectors.toCollection(TreeSet::new));
    }
}
