package io.redtx.relay.rabbitmq;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.TestTemplate;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test that runs once per broker: against the embedded Qpid Broker-J always, and against a real RabbitMQ when one
 * is configured (skipped otherwise, see {@link ExternalRabbitBroker}). Its {@link TestBroker} parameter is the broker
 * of the run, started before and stopped after it.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@TestTemplate
@ExtendWith(BrokerInvocations.class)
@interface BrokerTest {}
