package io.redtx.samples.webflux;

import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;

/** Puts a {@link HoldingGuard} into the test's context, where {@link CheckoutService} picks it up. */
@TestConfiguration(proxyBeanMethods = false)
class HoldingGuardConfiguration {

    @Bean
    HoldingGuard holdingGuard() {
        return new HoldingGuard();
    }
}
