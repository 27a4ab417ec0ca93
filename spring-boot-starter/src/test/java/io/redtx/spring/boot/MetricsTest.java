package io.redtx.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.metrics.TransactionMetrics;
import io.redtx.micrometer.MicrometerTransactionMetrics;
import io.redtx.micrometer.ObservationTransactionObserver;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The runtime records its meters in the application's registry, when there is one. */
@RedisTest
class MetricsTest {

    private final ApplicationContextRunner runner =
            new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(RedtxAutoConfiguration.class));

    @Test
    void transactionsAreCountedInTheApplicationsRegistry(RedisServer orders, RedisServer stock) {
        runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
                .withPropertyValues(
                        "redtx.participants.orders=" + orders.uri(),
                        "redtx.participants.stock=" + stock.uri(),
                        "redtx.metrics.tags.runtime=shop")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).hasSingleBean(MicrometerTransactionMetrics.class);
                    TransactionRuntime runtime = context.getBean(TransactionRuntime.class);
                    runtime.inTransaction(tx -> tx.on("orders")
                                    .set("order:1", "placed")
                                    .then(tx.on("stock").incrBy("stock:widget", -1)))
                            .block(Duration.ofSeconds(10));

                    MeterRegistry registry = context.getBean(MeterRegistry.class);
                    assertThat(registry.get("redtx.transactions.committed")
                                    .tag("protocol", "two_phase")
                                    .tag("runtime", "shop")
                                    .counter()
                                    .count())
                            .isEqualTo(1.0);
                    assertThat(registry.get("redtx.transactions.in_flight")
                                    .gauge()
                                    .value())
                            .isZero();
                    assertThat(orders.command("GET", "order:1")).isEqualTo("placed");
                });
    }

    /** With an ObservationRegistry, each transaction is an observation (a span, with tracing). */
    @Test
    void transactionsAreObservedThroughTheApplicationsObservationRegistry(RedisServer orders) {
        List<String> stopped = new CopyOnWriteArrayList<>();
        runner.withBean(ObservationRegistry.class, () -> {
                    ObservationRegistry registry = ObservationRegistry.create();
                    registry.observationConfig().observationHandler(new ObservationHandler<Observation.Context>() {
                        @Override
                        public boolean supportsContext(Observation.Context context) {
                            return true;
                        }

                        @Override
                        public void onStop(Observation.Context context) {
                            stopped.add(context.getName() + " " + context.getLowCardinalityKeyValues());
                        }
                    });
                    return registry;
                })
                .withPropertyValues("redtx.participants.orders=" + orders.uri())
                .run(context -> {
                    assertThat(context).hasSingleBean(ObservationTransactionObserver.class);
                    context.getBean(TransactionRuntime.class)
                            .inTransaction(tx -> tx.on("orders").set("order:2", "placed"))
                            .block(Duration.ofSeconds(10));
                    assertThat(stopped).hasSize(1);
                    assertThat(stopped.get(0)).startsWith("redtx.transaction ").contains("committed");
                });
        runner.withBean(ObservationRegistry.class, ObservationRegistry::create)
                .withPropertyValues("redtx.participants.orders=" + orders.uri(), "redtx.metrics.observations=false")
                .run(context -> assertThat(context).doesNotHaveBean(ObservationTransactionObserver.class));
    }

    /** The starter runs after Boot's Micrometer auto-configurations, whose registry it must see. */
    @Test
    void theRegistryOfBootsMetricsAutoConfigurationIsFound() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(
                        RedtxAutoConfiguration.class,
                        MetricsAutoConfiguration.class,
                        CompositeMeterRegistryAutoConfiguration.class,
                        SimpleMetricsExportAutoConfiguration.class))
                .withPropertyValues("redtx.verify-on-startup=false", "redtx.participants.orders=redis://127.0.0.1:1")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).hasSingleBean(MicrometerTransactionMetrics.class);
                    // The in-flight gauge is registered when the runtime is created with these metrics.
                    assertThat(context.getBean(MeterRegistry.class)
                                    .find("redtx.transactions.in_flight")
                                    .gauge())
                            .isNotNull();
                });
    }

    @Test
    void noRegistryNoMeters() {
        runner.withPropertyValues("redtx.verify-on-startup=false", "redtx.participants.orders=redis://127.0.0.1:1")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).doesNotHaveBean(TransactionMetrics.class);
                });
    }

    @Test
    void metricsCanBeTurnedOff() {
        runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
                .withPropertyValues(
                        "redtx.verify-on-startup=false",
                        "redtx.participants.orders=redis://127.0.0.1:1",
                        "redtx.metrics.enabled=false")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).doesNotHaveBean(TransactionMetrics.class);
                });
    }

    @Test
    void withoutRedtxMicrometerTheStarterStillStarts() {
        runner.withClassLoader(new FilteredClassLoader(MicrometerTransactionMetrics.class))
                .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
                .withPropertyValues("redtx.verify-on-startup=false", "redtx.participants.orders=redis://127.0.0.1:1")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).hasSingleBean(TransactionRuntime.class);
                    assertThat(context).doesNotHaveBean(TransactionMetrics.class);
                });
    }
}
