package io.redtx.relay.rabbitmq;

import com.rabbitmq.client.ConnectionFactory;

/** An AMQP 0-9-1 broker a test publishes to: the embedded Qpid Broker-J, or a RabbitMQ server given to the build. */
interface TestBroker extends AutoCloseable {

    /** @return what the broker is, for test names and messages */
    String name();

    /** @return a new factory for this broker, with short timeouts so that a test never hangs on a dead broker */
    ConnectionFactory connectionFactory();

    /** @return whether {@link #stop()} and {@link #start()} can restart the broker */
    boolean canRestart();

    /** Stops the broker; its durable queues and persistent messages are kept. */
    void stop();

    /** Starts the broker again, on the same port. */
    void start();

    @Override
    void close();
}
