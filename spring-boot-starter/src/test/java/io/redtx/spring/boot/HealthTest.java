package io.redtx.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.RetryPolicy;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionRuntime;
import io.redtx.runtime.RedisTransactionRuntime;
import io.redtx.runtime.internal.protocol.ProtocolHooks;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.health.registry.ReactiveHealthContributorRegistry;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** The {@code redtx} health: one detail per participant, against real servers. */
@RedisTest
class HealthTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(RedtxAutoConfiguration.class, RedtxHealthAutoConfiguration.class))
            // A stopped participant is reported within a second rather than the default 10 s.
            .withPropertyValues("redtx.timeouts.connect=1s");

    @Test
    void upWhenEveryParticipantAnswers(RedisServer orders, RedisServer stock) {
        runner.withPropertyValues(
                        "redtx.participants.orders=" + orders.uri(), "redtx.participants.stock=" + stock.uri())
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    Health health = health(context.getBean("redtxHealthIndicator", ReactiveHealthIndicator.class));
                    assertThat(health.getStatus()).isEqualTo(Status.UP);
                    Map<String, Map<String, Object>> participants = participants(health);
                    assertThat(participants).containsOnlyKeys("orders", "stock");
                    assertThat(participants.get("orders"))
                            .containsEntry("status", "UP")
                            // The harness's in-memory servers run without AOF.
                            .containsEntry("durability", "NONE")
                            .containsEntry("appendOnly", false)
                            .containsEntry("connectedReplicas", 0)
                            .containsEntry("inDoubt", 0)
                            .doesNotContainKey("oldestInDoubt");
                    assertThat(health.getDetails().get("recovery")).isEqualTo(Map.of("latestPass", "none yet"));
                });
    }

    /** A coordinator that died after its prepares leaves one intent on each participant, in doubt for its lease. */
    @Test
    void countsTheInDoubtIntentsOfACoordinatorThatDied(RedisServer orders, RedisServer stock) {
        RuntimeOptions options = RuntimeOptions.builder()
                .participant("orders", orders.uri())
                .participant("stock", stock.uri())
                .recovery(r -> r.lease(Duration.ofMinutes(1)).interval(Duration.ZERO))
                .retryPolicy(RetryPolicy.none())
                .build();
        RedisTransactionRuntime dying = RedisTransactionRuntime.create(
                options,
                at -> at.step() == ProtocolHooks.Step.AFTER_PREPARE
                        ? Mono.error(new IllegalStateException("coordinator died"))
                        : Mono.empty());
        try {
            dying.inTransaction(
                            t -> t.on("orders").set("x", "1").then(t.on("stock").set("y", "2")))
                    .onErrorResume(ProtocolHooks.Halted.class, e -> Mono.empty())
                    .block(Duration.ofSeconds(10));
        } finally {
            dying.close();
        }
        runner.withPropertyValues(
                        "redtx.participants.orders=" + orders.uri(), "redtx.participants.stock=" + stock.uri())
                .run(context -> {
                    Health health = health(context.getBean("redtxHealthIndicator", ReactiveHealthIndicator.class));
                    assertThat(health.getStatus()).isEqualTo(Status.UP);
                    Map<String, Map<String, Object>> participants = participants(health);
                    assertThat(participants.get("orders"))
                            .containsEntry("inDoubt", 1)
                            .containsKey("oldestInDoubt");
                    assertThat(participants.get("stock")).containsEntry("inDoubt", 1);
                });
    }

    @Test
    void downWithTheParticipantWhoseServerStopped(RedisServer orders, RedisServer stock) {
        runner.withPropertyValues(
                        "redtx.participants.orders=" + orders.uri(), "redtx.participants.stock=" + stock.uri())
                .run(context -> {
                    ReactiveHealthIndicator indicator =
                            context.getBean("redtxHealthIndicator", ReactiveHealthIndicator.class);
                    assertThat(health(indicator).getStatus()).isEqualTo(Status.UP);

                    stock.stop();

                    Health health = health(indicator);
                    assertThat(health.getStatus()).isEqualTo(Status.DOWN);
                    Map<String, Map<String, Object>> participants = participants(health);
                    assertThat(participants.get("orders")).containsEntry("status", "UP");
                    assertThat(participants.get("stock"))
                            .containsEntry("status", "DOWN")
                            .containsEntry("durability", "UNKNOWN")
                            .containsKey("detail");
                });
    }

    /** A Redis user that may not run CONFIG GET: the server answered, only its durability is unknown. */
    @Test
    void upWithUnknownDurabilityWhenTheUserMayNotReadTheSettings(RedisServer orders) {
        orders.command("ACL", "SETUSER", "app", "on", ">app-secret", "~*", "&*", "+@all", "-config");
        String uri = "redis://app:app-secret@" + RedisServer.HOST + ":" + orders.port();
        runner.withPropertyValues("redtx.participants.orders=" + uri).run(context -> {
            assertThat(context).hasNotFailed();
            Health health = health(context.getBean("redtxHealthIndicator", ReactiveHealthIndicator.class));
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(participants(health).get("orders"))
                    .containsEntry("status", "UP")
                    .containsEntry("durability", "UNKNOWN");
            assertThat((String) participants(health).get("orders").get("detail"))
                    .startsWith("NOPERM");
        });
    }

    @Test
    void recoveryDetailsAreThoseOfTheLatestPass(RedisServer orders) {
        runner.withPropertyValues("redtx.participants.orders=" + orders.uri()).run(context -> {
            context.getBean(TransactionRuntime.class).recover().block(Duration.ofSeconds(10));
            Health health = health(context.getBean("redtxHealthIndicator", ReactiveHealthIndicator.class));
            @SuppressWarnings("unchecked")
            Map<String, Object> recovery =
                    (Map<String, Object>) health.getDetails().get("recovery");
            assertThat(recovery)
                    .containsEntry("expiredIntents", 0L)
                    .containsEntry("intentsLeft", 0L)
                    .containsEntry("externalsPending", 0L)
                    .containsKey("latestPass");
            assertThat(recovery.get("latestPass")).isNotEqualTo("none yet");
        });
    }

    @Test
    void downOnceTheRuntimeIsClosed(RedisServer orders) {
        runner.withPropertyValues("redtx.participants.orders=" + orders.uri()).run(context -> {
            context.getBean(TransactionRuntime.class).close();
            Health health = health(context.getBean("redtxHealthIndicator", ReactiveHealthIndicator.class));
            assertThat(health.getStatus()).isEqualTo(Status.DOWN);
        });
    }

    /** Boot's registry (what the actuator's health endpoint reads) lists the indicator as {@code redtx}. */
    @Test
    void contributedToBootsRegistryAsRedtx() {
        runner.withConfiguration(AutoConfigurations.of(HealthContributorRegistryAutoConfiguration.class))
                .withPropertyValues("redtx.verify-on-startup=false", "redtx.participants.orders=redis://127.0.0.1:1")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(ReactiveHealthContributorRegistry.class)
                                    .getContributor("redtx"))
                            .isSameAs(context.getBean(RedtxHealthIndicator.class));
                });
    }

    @Test
    void noHealthModuleNoIndicator() {
        runner.withClassLoader(new FilteredClassLoader(ReactiveHealthIndicator.class))
                .withPropertyValues("redtx.verify-on-startup=false", "redtx.participants.orders=redis://127.0.0.1:1")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).doesNotHaveBean(RedtxHealthIndicator.class);
                });
    }

    @Test
    void theIndicatorCanBeTurnedOff() {
        runner.withPropertyValues(
                        "management.health.redtx.enabled=false",
                        "redtx.verify-on-startup=false",
                        "redtx.participants.orders=redis://127.0.0.1:1")
                .run(context -> assertThat(context).doesNotHaveBean(RedtxHealthIndicator.class));
    }

    /** Subscribes the way the actuator does, on the test thread, and checks that the Mono completes. */
    private static Health health(ReactiveHealthIndicator indicator) {
        Health[] health = {null};
        StepVerifier.create(indicator.health())
                .consumeNextWith(h -> health[0] = h)
                .expectComplete()
                .verify(Duration.ofSeconds(10));
        return health[0];
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> participants(Health health) {
        return (Map<String, Map<String, Object>>) health.getDetails().get("participants");
    }
}
