package io.redtx.relay.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A durable fanout exchange with one durable queue bound to it, and a consumer that records every message it
 * receives, acknowledging each only after recording it (so a broker restart can repeat a message, never lose one).
 * Its connection uses the client's automatic recovery, so it consumes again after a restart.
 */
final class TestQueue implements AutoCloseable {

    /** One received message. */
    record Received(String messageId, String body, Map<String, Object> headers, int deliveryMode, boolean redelivered) {

        String header(String name) {
            Object value = headers == null ? null : headers.get(name);
            return value == null ? null : value.toString();
        }
    }

    final String exchange;
    final String queue;
    private final Connection connection;
    private final Channel channel;
    private final List<Received> received = new CopyOnWriteArrayList<>();

    private TestQueue(String exchange, String queue, Connection connection, Channel channel) {
        this.exchange = exchange;
        this.queue = queue;
        this.connection = connection;
        this.channel = channel;
    }

    static TestQueue declare(TestBroker broker) throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String exchange = "redtx-relay-test-" + suffix;
        String queue = exchange + "-q";
        ConnectionFactory factory = broker.connectionFactory();
        factory.setAutomaticRecoveryEnabled(true);
        factory.setTopologyRecoveryEnabled(true);
        Connection connection = factory.newConnection("redtx-relay-test-consumer");
        Channel channel = connection.createChannel();
        channel.exchangeDeclare(exchange, "fanout", true);
        channel.queueDeclare(queue, true, false, false, null);
        channel.queueBind(queue, exchange, "");
        channel.basicQos(500);
        TestQueue q = new TestQueue(exchange, queue, connection, channel);
        channel.basicConsume(queue, false, new DefaultConsumer(channel) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body)
                    throws IOException {
                q.received.add(new Received(
                        props.getMessageId(),
                        new String(body, StandardCharsets.UTF_8),
                        props.getHeaders(),
                        props.getDeliveryMode() == null ? 0 : props.getDeliveryMode(),
                        envelope.isRedeliver()));
                getChannel().basicAck(envelope.getDeliveryTag(), false);
            }
        });
        return q;
    }

    List<Received> received() {
        return List.copyOf(received);
    }

    /** @return how many times each messageId was received */
    Map<String, Integer> countsByMessageId() {
        Map<String, Integer> counts = new ConcurrentHashMap<>();
        for (Received r : received) {
            counts.merge(r.messageId(), 1, Integer::sum);
        }
        return counts;
    }

    @Override
    public void close() {
        try {
            if (channel.isOpen()) {
                channel.queueDelete(queue);
                channel.exchangeDelete(exchange);
            }
        } catch (Exception e) {
            // best effort: the embedded broker goes away anyway
        }
        try {
            connection.abort(2_000);
        } catch (RuntimeException e) {
            // already gone
        }
    }
}
