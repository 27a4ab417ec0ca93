package io.redtx.runtime.internal.message;

import io.redtx.api.message.Delivery;
import java.util.Map;
import reactor.core.publisher.Mono;

/** One entry as {@code stream_read.lua} delivered it. */
final class StreamDelivery implements Delivery {

    private final StreamConsumer consumer;
    private final String id;
    private final long deliveryCount;
    private final Map<String, String> fields;

    StreamDelivery(StreamConsumer consumer, String id, long deliveryCount, Map<String, String> fields) {
        this.consumer = consumer;
        this.id = id;
        this.deliveryCount = deliveryCount;
        this.fields = fields;
    }

    @Override
    public String participant() {
        return consumer.participantName();
    }

    @Override
    public String stream() {
        return consumer.options().stream();
    }

    @Override
    public String group() {
        return consumer.options().group();
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public Map<String, String> fields() {
        return fields;
    }

    @Override
    public long deliveryCount() {
        return deliveryCount;
    }

    @Override
    public Mono<Void> ack() {
        return consumer.ack(id);
    }

    @Override
    public String toString() {
        return "Delivery{" + stream() + " " + id + " #" + deliveryCount + " on " + participant() + "}";
    }
}
