package io.redtx.api.saga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.redtx.api.RuntimeOptions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

class SagaDefinitionTest {

    private static final TransactionStep TX = (ctx, tx) -> Mono.empty();
    private static final ExternalStep CALL = ctx -> Mono.empty();

    @Test
    void defaultsAreBackwardWithDefaultLeaseRetentionTimeoutAndRetry() {
        SagaDefinition d = SagaDefinition.builder("order")
                .step(SagaStep.transactional("reserve", TX))
                .build();
        assertThat(d.name()).isEqualTo("order");
        assertThat(d.recovery()).isEqualTo(SagaRecovery.BACKWARD);
        assertThat(d.lease()).isEqualTo(SagaDefinition.DEFAULT_LEASE);
        assertThat(d.retention()).isEqualTo(SagaDefinition.DEFAULT_RETENTION);
        SagaStep s = d.steps().get(0);
        assertThat(s.timeout()).isEqualTo(SagaStep.DEFAULT_TIMEOUT);
        assertThat(s.retry()).isEqualTo(SagaRetry.defaults());
        assertThat(s.isTransactional()).isTrue();
        assertThat(s.hasCompensation()).isFalse();
        assertThat(d.toString()).contains("order", "[reserve]", "BACKWARD");
    }

    @Test
    void duplicateStepNamesAreRefusedNamingSagaAndStep() {
        SagaDefinition.Builder b = SagaDefinition.builder("order").step(SagaStep.transactional("reserve", TX));
        assertThatThrownBy(() -> b.step(SagaStep.external("reserve", CALL)))
                .isInstanceOfSatisfying(SagaDefinitionException.class, e -> {
                    assertThat(e.sagaName()).isEqualTo("order");
                    assertThat(e.stepName()).contains("reserve");
                })
                .hasMessage("saga 'order', step 'reserve': two steps have this name");
    }

    @Test
    void backwardExternalStepBeforeALaterStepNeedsACompensation() {
        SagaDefinition.Builder b = SagaDefinition.builder("order")
                .step(SagaStep.external("charge", CALL))
                .step(SagaStep.transactional("ship", TX));
        assertThatThrownBy(b::build)
                .isInstanceOfSatisfying(
                        SagaDefinitionException.class,
                        e -> assertThat(e.stepName()).contains("charge"))
                .hasMessage("saga 'order', step 'charge': an external step needs a compensation: step 'ship' comes"
                        + " after it and may fail, and recovery is BACKWARD");
    }

    @Test
    void lastExternalStepAndForwardSagasNeedNoCompensation() {
        assertThat(SagaDefinition.builder("a")
                        .step(SagaStep.transactional("reserve", TX))
                        .step(SagaStep.external("notify", CALL))
                        .build()
                        .steps())
                .hasSize(2);
        assertThat(SagaDefinition.builder("b")
                        .recovery(SagaRecovery.FORWARD)
                        .step(SagaStep.external("charge", CALL))
                        .step(SagaStep.transactional("ship", TX))
                        .build()
                        .recovery())
                .isEqualTo(SagaRecovery.FORWARD);
    }

    @Test
    void aSagaWithoutStepsOrWithABadNameIsRefused() {
        assertThatThrownBy(() -> SagaDefinition.builder("empty").build())
                .isInstanceOf(SagaDefinitionException.class)
                .hasMessage("saga 'empty': a saga needs at least one step");
        assertThatThrownBy(() -> SagaDefinition.builder("has space"))
                .isInstanceOf(SagaDefinitionException.class)
                .hasMessageContaining("1-64 characters");
    }

    @Test
    void compensationMustMatchTheStepKind() {
        assertThatThrownBy(() -> SagaStep.transactional("reserve", TX).withCompensation(CALL))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("transaction step");
        assertThatThrownBy(() -> SagaStep.external("charge", CALL).withCompensation(TX))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is external");
    }

    @Test
    void badTimeoutRetryLeaseAndRetentionAreRefusedNamingTheValue() {
        assertThatThrownBy(() -> SagaStep.external("charge", CALL).withTimeout(Duration.ZERO))
                .hasMessage("timeout of step 'charge' must be positive, was 0 ms");
        assertThatThrownBy(() -> SagaRetry.of(0, Duration.ZERO)).hasMessage("attempts must be at least 1, was 0");
        assertThatThrownBy(() -> SagaRetry.of(2, Duration.ofMillis(-1)))
                .hasMessage("backoff must be zero or positive, was -1 ms");
        assertThatThrownBy(() -> SagaDefinition.builder("a").lease(Duration.ofMillis(10)))
                .hasMessage("saga 'a': lease must be at least 100 ms, was 10 ms");
        assertThatThrownBy(() -> SagaDefinition.builder("a").retention(Duration.ofMillis(10)))
                .hasMessage("saga 'a': retention must be at least 1 s, was 10 ms");
    }

    @Test
    void retryBackoffDoublesUpToItsCap() {
        SagaRetry r = SagaRetry.of(20, Duration.ofMillis(100));
        assertThat(r.delayAfter(1)).isEqualTo(Duration.ofMillis(100));
        assertThat(r.delayAfter(2)).isEqualTo(Duration.ofMillis(200));
        assertThat(r.delayAfter(3)).isEqualTo(Duration.ofMillis(400));
        assertThat(r.delayAfter(19)).isEqualTo(SagaRetry.MAX_BACKOFF);
    }

    @Test
    void aSagaRegisteredTwiceIsRefusedAndRegisteredOnesAreListed() {
        SagaDefinition order = SagaDefinition.builder("order")
                .step(SagaStep.transactional("reserve", TX))
                .build();
        RuntimeOptions.Builder b = RuntimeOptions.builder()
                .participant("a", "redis://localhost:6379")
                .saga(order);
        assertThatThrownBy(() -> b.saga(SagaDefinition.builder("order")
                        .step(SagaStep.transactional("other", TX))
                        .build()))
                .isInstanceOfSatisfying(
                        SagaDefinitionException.class,
                        e -> assertThat(e.stepName()).isEmpty())
                .hasMessage("saga 'order': a saga of this name is registered already");
        RuntimeOptions options = b.build();
        assertThat(options.sagas()).containsOnlyKeys("order");
        assertThat(options.toString()).endsWith(", sagas=[order]}");
        assertThat(options.mutate().build().sagas()).containsOnlyKeys("order");
        assertThat(RuntimeOptions.builder()
                        .participant("a", "redis://localhost:6379")
                        .build()
                        .toString())
                .doesNotContain("sagas");
    }

    @Test
    void idempotencyKeyIsTheSameForEveryRunOfAStep() {
        SagaContext first = new SagaContext("s1", "order", 2, "charge", false, 1, java.util.Map.of());
        SagaContext retry = new SagaContext("s1", "order", 2, "charge", true, 3, java.util.Map.of());
        assertThat(first.idempotencyKey()).isEqualTo("s1/2").isEqualTo(retry.idempotencyKey());
    }
}
