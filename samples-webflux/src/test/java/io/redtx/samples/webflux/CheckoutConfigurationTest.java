package io.redtx.samples.webflux;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.spring.boot.RedtxAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The checkout's own check of the starter's {@code redtx.participants}. */
class CheckoutConfigurationTest {

    @Test
    void aMissingParticipantStopsTheStartUpNamingItsProperty() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(RedtxAutoConfiguration.class))
                .withUserConfiguration(CheckoutConfiguration.class)
                .withPropertyValues(
                        "redtx.verify-on-startup=false",
                        "redtx.participants.stock=redis://127.0.0.1:1",
                        "redtx.participants.orders=redis://127.0.0.1:2")
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure())
                            .rootCause()
                            .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                            .hasMessageContaining("redtx.participants.balances");
                });
    }
}
