package io.redtx.relay.rabbitmq;

import io.redtx.api.KeyCommands;
import io.redtx.api.message.ConsumerOptions;
import io.redtx.api.message.Delivery;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A stand-in for a consumer group, for the tests of the relay's own bounds: it hands out prepared deliveries only as
 * requested, counts what was requested and acknowledged, and never completes (as a consumer does not).
 */
final class FakeStream {

    final List<Delivery> deliveries = new ArrayList<>();
    final Set<String> acked = ConcurrentHashMap.newKeySet();
    private final AtomicLong requested = new AtomicLong();
    private final AtomicLong maxRequestedAheadOfAcks = new AtomicLong();

    FakeStream(String stream, int count) {
        for (int i = 0; i < count; i++) {
            Map<String, String> fields = new LinkedHashMap<>();
            fields.put("body", "message-" + i);
            fields.put("type", "order");
            fields.put(KeyCommands.TRANSACTION_FIELD, "tx-" + i);
            deliveries.add(new FakeDelivery(stream, "1000-" + i, fields));
        }
    }

    Flux<Delivery> consume(ConsumerOptions options) {
        return Flux.fromIterable(deliveries)
                .doOnRequest(n -> {
                    long total = requested.addAndGet(n);
                    // acked is read after adding: a racing ack only makes the figure smaller, never hides an excess.
                    maxRequestedAheadOfAcks.accumulateAndGet(total - acked.size(), Math::max);
                })
                .concatWith(Flux.never());
    }

    long maxRequestedAheadOfAcks() {
        return maxRequestedAheadOfAcks.get();
    }

    private final class FakeDelivery implements Delivery {
        private final String stream;
        private final String id;
        private final Map<String, String> fields;

        FakeDelivery(String stream, String id, Map<String, String> fields) {
            this.stream = stream;
            this.id = id;
            this.fields = fields;
        }

        @Override
        public String participant() {
            return "p";
        }

        @Override
        public String stream() {
            return stream;
        }

        @Override
        public String group() {
            return "relay";
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
            return 1;
        }

        @Override
        public Mono<Void> ack() {
            return Mono.fromRunnable(() -> acked.add(id));
        }
    }
}
