package io.redtx.spring.boot;

import io.redtx.api.TransactionRuntime;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.context.annotation.Bean;

/**
 * The {@code redtx} actuator endpoint ({@link RedtxEndpoint}), when the actuator is on the class path and the endpoint
 * is available (exposed, and its access not {@code none}). Apart from {@link RedtxAutoConfiguration} so that its
 * conditions are read only with the actuator there.
 */
@AutoConfiguration(after = RedtxAutoConfiguration.class)
@ConditionalOnClass({Endpoint.class, ConditionalOnAvailableEndpoint.class, TransactionRuntime.class})
public class RedtxEndpointAutoConfiguration {

    /** Created by Spring. */
    public RedtxEndpointAutoConfiguration() {}

    /**
     * @param runtime the runtime, the starter's or the application's
     * @param recovery the tracker of the starter's runtime, absent for the application's own
     * @return the endpoint
     */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnSingleCandidate(TransactionRuntime.class)
    @ConditionalOnAvailableEndpoint
    public RedtxEndpoint redtxEndpoint(TransactionRuntime runtime, ObjectProvider<RedtxRecoveryTracker> recovery) {
        return new RedtxEndpoint(runtime, recovery.getIfAvailable());
    }
}
