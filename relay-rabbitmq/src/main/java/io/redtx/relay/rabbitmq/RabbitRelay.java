package io.redtx.relay.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.ConnectionFactory;
import io.redtx.api.Durations;
import io.redtx.api.KeyCommands;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.message.ConsumerOptions;
import io.redtx.api.message.Delivery;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * Forwards a transactional outbox stream to a RabbitMQ exchange. Each delivery of the consumer group ({@link
 * TransactionRuntime#consume}) is published with publisher confirms and acknowledged in the group only once the broker
 * confirmed it, so a message the relay lost track of (a nack, no confirm within {@link
 * RabbitRelayOptions#confirmTimeout()}, a lost connection, a relay that died) stays pending and is published again:
 * every committed message reaches the exchange at least once. A message published more than once always carries the
 * same AMQP {@code messageId}, {@link #messageId(Delivery)}, and the redtx transaction id in the header {@value
 * #TRANSACTION_HEADER}, so consumers can drop the repeats.
 *
 * <pre>{@code
 * ConnectionFactory rabbit = new ConnectionFactory();
 * rabbit.setUri("amqp://guest:guest@rabbit:5672");
 * Disposable relay = RabbitRelay.create(runtime, rabbit, options)
 *         .run()
 *         .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofSeconds(1))) // after a refusal, or Redis unreachable
 *         .subscribe(relayed -> {}, error -> log.error("relay stopped", error));
 * }</pre>
 *
 * <p>The message: the entry's field {@link RabbitRelayOptions#bodyField()} is the body (UTF-8), every other field a
 * header of the same name, plus the headers {@value #TRANSACTION_HEADER}, {@value #PARTICIPANT_HEADER}, {@value
 * #STREAM_HEADER} and {@value #ENTRY_HEADER}; persistent unless {@link RabbitRelayOptions#persistent()} is off.
 * Messages are published in stream order, but one retried after a failure may arrive after later ones.
 */
public final class RabbitRelay {

    /** The header holding the id of the transaction that published the message. */
    public static final String TRANSACTION_HEADER = "redtx-transaction-id";
    /** The header holding the participant whose stream held the message. */
    public static final String PARTICIPANT_HEADER = "redtx-participant";
    /** The header holding the stream's key. */
    public static final String STREAM_HEADER = "redtx-stream";
    /** The header holding the stream entry's id. */
    public static final String ENTRY_HEADER = "redtx-entry-id";

    private final Function<ConsumerOptions, Flux<Delivery>> source;
    private final ConnectionFactory factory;
    private final RabbitRelayOptions options;
    private final AtomicInteger unconfirmed = new AtomicInteger();
    private final AtomicInteger peakUnconfirmed = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();

    RabbitRelay(
            Function<ConsumerOptions, Flux<Delivery>> source, ConnectionFactory factory, RabbitRelayOptions options) {
        this.source = Objects.requireNonNull(source, "source");
        this.options = Objects.requireNonNull(options, "options");
        // A copy, so that later changes to the caller's factory do not reach a running relay. The client's own
        // recovery is off: it would reopen the channel but not the confirms of messages published on the old one; the
        // relay reconnects itself and republishes whatever was not confirmed.
        ConnectionFactory copy = Objects.requireNonNull(factory, "factory").clone();
        copy.setAutomaticRecoveryEnabled(false);
        copy.setTopologyRecoveryEnabled(false);
        this.factory = copy;
    }

    /**
     * Makes a relay; nothing connects until {@link #run()} is subscribed.
     *
     * @param runtime the runtime whose stream is relayed
     * @param factory how to connect to the broker (host, credentials, virtual host, TLS, timeouts); copied, and its
     *     automatic recovery is not used (the relay reconnects itself)
     * @param options what to read and where to publish
     * @return the relay
     */
    public static RabbitRelay create(
            TransactionRuntime runtime, ConnectionFactory factory, RabbitRelayOptions options) {
        Objects.requireNonNull(runtime, "runtime");
        return new RabbitRelay(runtime::consume, factory, options);
    }

    /**
     * The AMQP {@code messageId} a delivery is published with: {@code <participant>/<stream>/<entry id>}, the same on
     * every publish of the entry and different for every other entry.
     *
     * @param delivery the delivery
     * @return its message id
     */
    public static String messageId(Delivery delivery) {
        return delivery.participant() + "/" + delivery.stream() + "/" + delivery.id();
    }

    /** @return the options */
    public RabbitRelayOptions options() {
        return options;
    }

    /**
     * @return how many messages the relay's running subscriptions have published and not had confirmed yet: never more
     *     than {@link RabbitRelayOptions#maxInFlight()} per subscription
     */
    public int unconfirmed() {
        return unconfirmed.get();
    }

    /** The most messages ever unconfirmed at once, for tests of the bound. */
    int peakUnconfirmed() {
        return peakUnconfirmed.get();
    }

    /** How many connections the relay opened (reconnects included), for tests of recovery. */
    int connections() {
        return connections.get();
    }

    /**
     * Runs the relay: consumes the stream, publishes each delivery and, once the broker confirmed it, acknowledges it
     * and emits it. Lazy: each subscription opens its own connection and consumer, reads at most {@link
     * RabbitRelayOptions#maxInFlight()} entries ahead of the confirms and of the downstream's demand, and reads more
     * only as confirms arrive.
     *
     * <p>Ends only on cancel or error. A message that was not confirmed is published again (with backoff, reconnecting
     * when the connection was lost, up to {@link RabbitRelayOptions#maxAttempts()}), so a broker restart costs a pause
     * and perhaps repeats, never a message; after the last attempt the relay ends with {@link
     * RabbitRelayPublishException}. A broker that refuses (missing exchange, access refused) ends it with {@link
     * RabbitRelayRefusedException}; an error of the consumer or of an acknowledgement ends it with that error. On
     * any end the connection is closed and the entries not confirmed stay pending in the group, delivered again after
     * {@link ConsumerOptions#claimIdle()}.
     *
     * @return each relayed message, after its acknowledgement, in confirm order
     */
    public Flux<RelayedMessage> run() {
        return Flux.usingWhen(
                Mono.fromSupplier(
                        () -> new ChannelPublisher(factory, options, unconfirmed, peakUnconfirmed, connections)),
                publisher -> source.apply(options.consumer())
                        .flatMap(delivery -> relay(publisher, delivery), options.maxInFlight(), 1),
                ChannelPublisher::close,
                (publisher, error) -> publisher.close(),
                ChannelPublisher::close);
    }

    private Mono<RelayedMessage> relay(ChannelPublisher publisher, Delivery delivery) {
        return Mono.defer(() -> {
            String routingKey = options.routingKey().apply(delivery);
            if (routingKey == null) {
                return Mono.error(new NullPointerException(
                        "the routingKey function returned null for entry " + messageId(delivery)));
            }
            String messageId = messageId(delivery);
            AMQP.BasicProperties properties = properties(delivery, messageId);
            String body = delivery.fields().get(options.bodyField());
            byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            Mono<Void> attempt = publisher
                    .publish(routingKey, properties, bytes)
                    .timeout(
                            options.confirmTimeout(),
                            Mono.error(() -> new RabbitRelayPublishException(
                                    "the broker did not confirm message " + messageId + " within "
                                            + Durations.text(options.confirmTimeout()) + " (confirmTimeout)",
                                    null)));
            return attempt.retryWhen(Retry.backoff(options.maxAttempts() - 1, options.minBackoff())
                            .maxBackoff(options.maxBackoff())
                            .filter(RabbitRelayPublishException.class::isInstance)
                            .onRetryExhaustedThrow((spec, signal) -> signal.failure()))
                    .then(delivery.ack())
                    .thenReturn(new RelayedMessage(
                            delivery.participant(),
                            delivery.stream(),
                            delivery.id(),
                            messageId,
                            delivery.transactionId().orElse(null),
                            routingKey));
        });
    }

    private AMQP.BasicProperties properties(Delivery delivery, String messageId) {
        Map<String, Object> headers = new LinkedHashMap<>();
        delivery.fields().forEach((field, value) -> {
            if (!field.equals(options.bodyField()) && !field.equals(KeyCommands.TRANSACTION_FIELD)) {
                headers.put(field, value);
            }
        });
        delivery.transactionId().ifPresent(id -> headers.put(TRANSACTION_HEADER, id));
        headers.put(PARTICIPANT_HEADER, delivery.participant());
        headers.put(STREAM_HEADER, delivery.stream());
        headers.put(ENTRY_HEADER, delivery.id());
        return new AMQP.BasicProperties.Builder()
                .messageId(messageId)
                .deliveryMode(options.persistent() ? 2 : 1)
                .contentType(options.contentType())
                .headers(headers)
                .build();
    }
}
