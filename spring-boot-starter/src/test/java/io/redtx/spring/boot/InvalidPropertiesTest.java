package io.redtx.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * A value the options refuse fails the start-up with an error that names its property: the options builders' own
 * refusals ({@code IllegalArgumentException}, {@code RedtxArgumentException}) are reported under the property, and
 * values that cannot even be converted fail Spring Boot's binding, which names it too.
 */
class InvalidPropertiesTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(RedtxAutoConfiguration.class))
            .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
            .withPropertyValues("redtx.verify-on-startup=false");

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "redtx.timeouts.commit              | 0s              | commitTimeout must be positive",
                "redtx.timeouts.prepare             | -1s             | prepareTimeout must be positive",
                "redtx.timeouts.read                | 0ms             | readTimeout must be positive",
                "redtx.timeouts.intent-wait         | -1s             | intentWait must not be negative",
                "redtx.timeouts.connect             | 0s              | connectTimeout must be positive",
                "redtx.timeouts.transaction         | 0s              | transactionTimeout must be positive",
                "redtx.recovery.lease               | 50ms            | leaseDuration must be at least 100 ms",
                "redtx.recovery.record-retention    | 0s              | recordRetention must be positive",
                "redtx.recovery.interval            | -5s             | recoveryInterval must not be negative",
                "redtx.admission.max-in-flight      | 0               | maxInFlight must be >= 1",
                "redtx.admission.max-waiting        | 0               | maxWaiting must be >= 1",
                "redtx.admission.timeout            | 0s              | admissionTimeout must be positive",
                "redtx.connections.per-participant  | 65              | connectionsPerParticipant must be <= 64",
                "redtx.limits.max-value-bytes       | 0               | maxValueBytes must be >= 1",
                "redtx.limits.max-keys-per-transaction | 5001         | maxKeysPerTransaction must be <= 5000",
                "redtx.retry.max-attempts           | 0               | maxAttempts must be >= 1",
                "redtx.retry.min-backoff            | -1ms            | minBackoff must not be negative",
                "redtx.retry.max-backoff            | 1ms             | must be >= minBackoff",
                "redtx.retry.jitter                 | 1.5             | jitter must be in [0, 1]",
                "redtx.namespace                    | a{b}            | namespace must be non-empty",
                "redtx.intake.max-in-flight         | 0               | maxInFlight must be >= 1",
                "redtx.intake.deadline              | 0s              | deadline must be positive",
                "redtx.participants.stock           | http://host:1   | stock",
                "redtx.participants.stock           | redis://127.0.0.1:1 | same Redis URI",
                "redtx.metrics.prefix               | 1redtx          | prefix",
                "redtx.metrics.tags.protocol        | x               | set by the meters themselves",
                "redtx.shutdown-timeout             | -1s             | must be positive",
            })
    void aRefusedValueNamesItsProperty(String property, String value, String reason) {
        runner.withPropertyValues("redtx.participants.orders=redis://127.0.0.1:1", property + "=" + value)
                .run(context -> {
                    assertThat(context).hasFailed();
                    InvalidConfigurationPropertyValueException invalid =
                            find(context.getStartupFailure(), InvalidConfigurationPropertyValueException.class);
                    assertThat(invalid)
                            .as("InvalidConfigurationPropertyValueException in the causes")
                            .isNotNull();
                    assertThat(invalid.getName()).isEqualTo(property);
                    assertThat(invalid.getMessage()).contains(property).contains(reason);
                });
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "redtx.replication.nowhere     | redtx.replication.nowhere.replicas=1,redtx.replication.nowhere.timeout=1s",
                "redtx.replication.orders.timeout | redtx.replication.orders.replicas=1",
                "redtx.replication.orders      | redtx.replication.orders.replicas=65,redtx.replication.orders.timeout=1s",
                "redtx.tls.nowhere             | redtx.tls.nowhere.verify-peer=none",
                "redtx.tls.orders              | redtx.tls.orders.verify-peer=ca",
                "redtx.tls.secure              | redtx.participants.secure=rediss://127.0.0.1:2,redtx.tls.secure.trusted-certificates=/nonexistent/ca.crt",
            })
    void perParticipantSettingsNameTheirProperty(String property, String values) {
        List<String> all = new ArrayList<>(List.of("redtx.participants.orders=redis://127.0.0.1:1"));
        all.addAll(List.of(values.split(",")));
        runner.withPropertyValues(all.toArray(String[]::new)).run(context -> {
            InvalidConfigurationPropertyValueException invalid =
                    find(context.getStartupFailure(), InvalidConfigurationPropertyValueException.class);
            assertThat(invalid)
                    .as("InvalidConfigurationPropertyValueException in the causes")
                    .isNotNull();
            assertThat(invalid.getName()).isEqualTo(property);
        });
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "redtx.timeouts.commit     | soon",
                "redtx.admission.overflow  | sometimes",
                "redtx.limits.max-value-bytes | many",
            })
    void anUnconvertibleValueFailsBindingNamingItsProperty(String property, String value) {
        runner.withPropertyValues("redtx.participants.orders=redis://127.0.0.1:1", property + "=" + value)
                .run(context -> {
                    BindException bind = find(context.getStartupFailure(), BindException.class);
                    assertThat(bind).isNotNull();
                    assertThat(bind.getProperty().getName().toString()).isEqualTo(property);
                });
    }

    @Test
    void theMessageSaysPropertyValueAndReason() {
        runner.withPropertyValues("redtx.participants.orders=redis://127.0.0.1:1", "redtx.timeouts.commit=0s")
                .run(context -> assertThat(
                                find(context.getStartupFailure(), InvalidConfigurationPropertyValueException.class))
                        .hasMessage("Property redtx.timeouts.commit with value '0 ms' is invalid: commitTimeout must be"
                                + " positive, was 0 ms"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"redtx.participants"})
    void noParticipantNamesTheParticipantsProperty(String property) {
        runner.run(context -> {
            InvalidConfigurationPropertyValueException invalid =
                    find(context.getStartupFailure(), InvalidConfigurationPropertyValueException.class);
            assertThat(invalid).isNotNull();
            assertThat(invalid.getName()).isEqualTo(property);
            assertThat(invalid.getMessage()).contains("at least one participant is required");
        });
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"redtx.participants.orders=redis://user:secret@127.0.0.1:99999"})
    void aPasswordInABadUriIsNotShown(String property) {
        runner.withPropertyValues(property).run(context -> {
            assertThat(context).hasFailed();
            InvalidConfigurationPropertyValueException invalid =
                    find(context.getStartupFailure(), InvalidConfigurationPropertyValueException.class);
            assertThat(invalid).isNotNull();
            assertThat(invalid.getName()).isEqualTo("redtx.participants.orders");
            assertThat(invalid.getMessage()).doesNotContain("secret");
        });
    }

    static <T extends Throwable> T find(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }
}
