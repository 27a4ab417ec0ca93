package io.redtx.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.TransactionRuntime;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The {@code redtx} actuator endpoint, against real servers. */
@RedisTest
class EndpointTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(
                    AutoConfigurations.of(RedtxAutoConfiguration.class, RedtxEndpointAutoConfiguration.class))
            .withPropertyValues("management.endpoints.web.exposure.include=redtx");

    @Test
    void readsDurabilityAndTransactionsAndRunsARecoveryPass(RedisServer orders, RedisServer stock) {
        runner.withPropertyValues(
                        "redtx.participants.orders=" + orders.uri(), "redtx.participants.stock=" + stock.uri())
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    RedtxEndpoint endpoint = context.getBean(RedtxEndpoint.class);

                    Map<String, Object> overview = endpoint.overview().block(WAIT);
                    @SuppressWarnings("unchecked")
                    Map<String, Map<String, Object>> participants =
                            (Map<String, Map<String, Object>>) overview.get("participants");
                    assertThat(participants).containsOnlyKeys("orders", "stock");
                    assertThat(participants.get("orders"))
                            .containsEntry("level", "NONE")
                            .containsEntry("connectedReplicas", 0);
                    assertThat(overview).containsEntry("inDoubt", List.of()).containsEntry("lastRecovery", null);

                    TransactionRuntime runtime = context.getBean(TransactionRuntime.class);
                    String id = runtime.inTransactionWithResult(tx -> tx.on("orders")
                                    .set("order:1", "new")
                                    .then(tx.on("stock").set("sku:1", "9")))
                            .block(WAIT)
                            .commit()
                            .transactionId();
                    assertThat(endpoint.transaction(id).block(WAIT))
                            .containsEntry("transactionId", id)
                            .containsEntry("status", "COMMITTED")
                            .containsKey("primary")
                            .containsEntry("externals", Map.of())
                            .containsKey("intents");
                    assertThat(endpoint.resolve(id, null).block(WAIT))
                            .containsEntry("transactionId", id)
                            .containsEntry("status", "COMMITTED");
                    assertThat(endpoint.transaction("no-such-transaction").block(WAIT))
                            .containsEntry("status", "UNKNOWN")
                            .containsEntry("primary", null)
                            .containsEntry("intents", List.of());
                    assertThat(endpoint.resolve("no-such-transaction", true).block(WAIT))
                            .containsEntry("action", "NOT_FOUND");

                    assertThat(endpoint.recover().block(WAIT))
                            .containsEntry("expiredIntents", 0L)
                            .containsEntry("rolledBack", 0L);
                    @SuppressWarnings("unchecked")
                    Map<String, Object> last = (Map<String, Object>)
                            endpoint.overview().block(WAIT).get("lastRecovery");
                    assertThat(last).containsEntry("left", 0L).containsKey("at");
                });
    }

    /** It settles transactions: its write operation needs access the application grants. */
    @Test
    void isReadOnlyUnlessAllowed() {
        assertThat(RedtxEndpoint.class.getAnnotation(Endpoint.class).defaultAccess())
                .isEqualTo(Access.READ_ONLY);
    }

    @Test
    void absentWhenNotExposedOrWithoutTheActuator(RedisServer orders) {
        ApplicationContextRunner bare = new ApplicationContextRunner()
                .withConfiguration(
                        AutoConfigurations.of(RedtxAutoConfiguration.class, RedtxEndpointAutoConfiguration.class))
                .withPropertyValues("redtx.participants.orders=" + orders.uri());
        bare.run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(RedtxEndpoint.class));
        runner.withPropertyValues("redtx.participants.orders=" + orders.uri())
                .withClassLoader(new FilteredClassLoader(Endpoint.class))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(RedtxEndpoint.class));
        runner.withPropertyValues("redtx.participants.orders=" + orders.uri())
                .run(context -> assertThat(context).hasSingleBean(RedtxEndpoint.class));
    }
}
