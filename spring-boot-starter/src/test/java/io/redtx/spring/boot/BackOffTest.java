package io.redtx.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionRuntime;
import io.redtx.runtime.RedisTransactionRuntime;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The application's own beans win over the starter's. */
class BackOffTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(RedtxAutoConfiguration.class, RedtxHealthAutoConfiguration.class))
            .withPropertyValues("redtx.verify-on-startup=false", "redtx.participants.orders=redis://127.0.0.1:1");

    @Test
    void theApplicationsRuntimeReplacesTheStartersRuntimeAndOptions() {
        TransactionRuntime own = RedisTransactionRuntime.create(RuntimeOptions.builder()
                .participant("mine", "redis://127.0.0.1:2")
                .build());
        runner.withBean("ownRuntime", TransactionRuntime.class, () -> own).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).getBean(TransactionRuntime.class).isSameAs(own);
            assertThat(context).doesNotHaveBean(RuntimeOptions.class);
            assertThat(context).doesNotHaveBean(RedtxRecoveryTracker.class);
            // Lifecycle and health still serve the application's runtime.
            assertThat(context).hasSingleBean(RedtxRuntimeLifecycle.class);
            assertThat(context).hasSingleBean(RedtxHealthIndicator.class);
        });
    }

    @Test
    void theApplicationsOptionsAreTheRuntimes() {
        RuntimeOptions options = RuntimeOptions.builder()
                .participant("mine", "redis://127.0.0.1:2")
                .namespace("own:")
                .build();
        runner.withBean(RuntimeOptions.class, () -> options).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).getBean(RuntimeOptions.class).isSameAs(options);
            assertThat(context.getBean(TransactionRuntime.class).toString()).contains("mine");
        });
    }

    @Test
    void aCustomizerChangesWhatNoPropertySays() {
        runner.withBean(RedtxRuntimeOptionsCustomizer.class, () -> builder -> builder.namespace("custom:"))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(RuntimeOptions.class).namespace())
                            .isEqualTo("custom:");
                });
    }

    @Test
    void aLifecycleOfTheApplicationReplacesTheStarters() {
        runner.withUserConfiguration(OwnLifecycle.class)
                .run(context -> assertThat(context)
                        .getBeans(RedtxRuntimeLifecycle.class)
                        .containsOnlyKeys("ownLifecycle"));
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnLifecycle {
        @Bean
        RedtxRuntimeLifecycle ownLifecycle(TransactionRuntime runtime) {
            return new RedtxRuntimeLifecycle(runtime, false, Duration.ofSeconds(1), Duration.ofSeconds(1));
        }
    }
}
