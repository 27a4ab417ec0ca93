package io.redtx.spring.boot;

import io.redtx.api.TransactionRuntime;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * The {@code redtx} health indicator ({@link RedtxHealthIndicator}), when Boot's health module (spring-boot-health,
 * whose registry the actuator's health endpoint reads) is on the class path and {@code management.health.redtx.enabled} is not false. Apart from
 * {@link RedtxAutoConfiguration} so that its conditions are read only with the health module there.
 */
@AutoConfiguration(after = RedtxAutoConfiguration.class)
@ConditionalOnClass({ReactiveHealthIndicator.class, TransactionRuntime.class})
@ConditionalOnEnabledHealthIndicator("redtx")
public class RedtxHealthAutoConfiguration {

    /** Created by Spring. */
    public RedtxHealthAutoConfiguration() {}

    /**
     * @param runtime the runtime, the starter's or the application's
     * @param recovery the tracker of the starter's runtime, absent for the application's own
     * @return the indicator, contributed as {@code redtx}
     */
    @Bean
    @ConditionalOnMissingBean(name = "redtxHealthIndicator")
    @ConditionalOnSingleCandidate(TransactionRuntime.class)
    public RedtxHealthIndicator redtxHealthIndicator(
            TransactionRuntime runtime, ObjectProvider<RedtxRecoveryTracker> recovery) {
        return new RedtxHealthIndicator(runtime, recovery.getIfAvailable());
    }
}
