package io.redtx.spring.boot;

import io.redtx.api.TransactionRuntime;
import io.redtx.spring.transaction.RedtxTemplate;
import io.redtx.spring.transaction.RedtxTransactionManager;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.annotation.AbstractTransactionManagementConfiguration;
import org.springframework.transaction.annotation.EnableTransactionManagement;
import org.springframework.transaction.reactive.TransactionalOperator;

/**
 * Spring transactions on redtx, when spring-tx is on the class path and there is one {@link TransactionRuntime}:
 *
 * <ul>
 *   <li>a {@link RedtxTransactionManager} ({@code redtxTransactionManager}), unless the application defines a
 *       {@link ReactiveTransactionManager} (as Boot's R2DBC auto-configuration backs off for any reactive manager);
 *   <li>a {@link TransactionalOperator} on the single reactive transaction manager, unless one is defined;
 *   <li>a {@link RedtxTemplate}, unless one is defined;
 *   <li>{@code @EnableTransactionManagement}, so that {@code @Transactional} works without Boot's
 *       {@code spring-boot-transaction} module, unless the application (or that module) enables it. Class-based
 *       proxies unless {@code spring.aop.proxy-target-class=false}, as Boot does.
 * </ul>
 *
 * <p>It runs before Boot's {@code TransactionAutoConfiguration}, whose operator and transaction management then back
 * off in favour of these.
 */
@AutoConfiguration(
        after = RedtxAutoConfiguration.class,
        beforeName = "org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration")
@ConditionalOnClass({ReactiveTransactionManager.class, TransactionalOperator.class})
@ConditionalOnSingleCandidate(TransactionRuntime.class)
public class RedtxTransactionAutoConfiguration {

    /** Created by Spring. */
    public RedtxTransactionAutoConfiguration() {}

    /**
     * @param runtime the runtime
     * @param properties for {@code redtx.timeouts.transaction}, the limit of a transaction without its own timeout
     * @return the manager
     */
    @Bean
    @ConditionalOnMissingBean(ReactiveTransactionManager.class)
    public RedtxTransactionManager redtxTransactionManager(TransactionRuntime runtime, RedtxProperties properties) {
        return new RedtxTransactionManager(runtime, properties.getTimeouts().getTransaction());
    }

    /**
     * @param transactionManager the application's single reactive transaction manager
     * @return an operator with the default definition (propagation {@code REQUIRED})
     */
    @Bean
    @ConditionalOnMissingBean(TransactionalOperator.class)
    @ConditionalOnSingleCandidate(ReactiveTransactionManager.class)
    public TransactionalOperator redtxTransactionalOperator(ReactiveTransactionManager transactionManager) {
        return TransactionalOperator.create(transactionManager);
    }

    /**
     * @param runtime the runtime
     * @return the template
     */
    @Bean
    @ConditionalOnMissingBean
    public RedtxTemplate redtxTemplate(TransactionRuntime runtime) {
        return new RedtxTemplate(runtime);
    }

    /** {@code @EnableTransactionManagement}, as Boot's {@code TransactionAutoConfiguration} does it. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnMissingBean(AbstractTransactionManagementConfiguration.class)
    static class EnableTransactionManagementConfiguration {

        @Configuration(proxyBeanMethods = false)
        @EnableTransactionManagement(proxyTargetClass = false)
        @ConditionalOnBooleanProperty(name = "spring.aop.proxy-target-class", havingValue = false)
        static class JdkDynamicAutoProxyConfiguration {}

        @Configuration(proxyBeanMethods = false)
        @EnableTransactionManagement(proxyTargetClass = true)
        @ConditionalOnBooleanProperty(name = "spring.aop.proxy-target-class", matchIfMissing = true)
        static class CglibAutoProxyConfiguration {}
    }
}
