package io.redtx.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionRuntime;
import io.redtx.runtime.RedisTransactionRuntime;
import io.redtx.spring.transaction.RedtxTemplate;
import io.redtx.spring.transaction.RedtxTransactionManager;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.transaction.ReactiveTransaction;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.interceptor.TransactionInterceptor;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Mono;

/** Which transaction beans the starter defines, and when it backs off. No server needed: nothing connects. */
class TransactionAutoConfigurationTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(
                    AutoConfigurations.of(RedtxAutoConfiguration.class, RedtxTransactionAutoConfiguration.class))
            .withPropertyValues("redtx.verify-on-startup=false", "redtx.participants.a=redis://127.0.0.1:1");

    @Test
    void withSpringTxTheManagerOperatorTemplateAndTransactionManagementAreDefined() {
        runner.run(context -> {
            assertThat(context).hasSingleBean(RedtxTransactionManager.class);
            assertThat(context.getBean(RedtxTransactionManager.class).getRuntime())
                    .isSameAs(context.getBean(TransactionRuntime.class));
            assertThat(context).hasSingleBean(TransactionalOperator.class);
            assertThat(context).hasSingleBean(RedtxTemplate.class);
            // @EnableTransactionManagement: the interceptor that runs @Transactional methods.
            assertThat(context).hasSingleBean(TransactionInterceptor.class);
        });
    }

    @Test
    void withoutSpringTxNothingOfItIsDefined() {
        runner.withClassLoader(new FilteredClassLoader(ReactiveTransactionManager.class))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).hasSingleBean(TransactionRuntime.class);
                    assertThat(context).doesNotHaveBean("redtxTransactionManager");
                    assertThat(context).doesNotHaveBean("redtxTemplate");
                });
    }

    @Test
    void anApplicationsReactiveTransactionManagerWins() {
        runner.withBean("appTransactionManager", ReactiveTransactionManager.class, OtherManager::new)
                .run(context -> {
                    assertThat(context).doesNotHaveBean(RedtxTransactionManager.class);
                    assertThat(context).hasSingleBean(ReactiveTransactionManager.class);
                    // The operator goes with the single manager there is.
                    assertThat(context).hasSingleBean(TransactionalOperator.class);
                });
    }

    @Test
    void anApplicationsOperatorWins() {
        runner.withBean(
                        "appOperator",
                        TransactionalOperator.class,
                        () -> TransactionalOperator.create(new OtherManager()))
                .run(context -> {
                    assertThat(context).hasSingleBean(RedtxTransactionManager.class);
                    assertThat(context).getBeans(TransactionalOperator.class).containsOnlyKeys("appOperator");
                });
    }

    @Test
    void withTwoRuntimesTheApplicationDefinesItsOwnManagers() {
        runner.withBean("first", TransactionRuntime.class, TransactionAutoConfigurationTest::unreachableRuntime)
                .withBean("second", TransactionRuntime.class, TransactionAutoConfigurationTest::unreachableRuntime)
                .run(context -> assertThat(context).doesNotHaveBean(RedtxTransactionManager.class));
    }

    /** @return a runtime that would connect on first use, which never comes */
    private static TransactionRuntime unreachableRuntime() {
        return RedisTransactionRuntime.create(
                RuntimeOptions.builder().participant("a", "redis://127.0.0.1:1").build());
    }

    /** A manager of some other resource (R2DBC, say). */
    static final class OtherManager implements ReactiveTransactionManager {
        @Override
        public Mono<ReactiveTransaction> getReactiveTransaction(TransactionDefinition definition) {
            return Mono.error(new UnsupportedOperationException());
        }

        @Override
        public Mono<Void> commit(ReactiveTransaction transaction) {
            return Mono.empty();
        }

        @Override
        public Mono<Void> rollback(ReactiveTransaction transaction) {
            return Mono.empty();
        }
    }
}
