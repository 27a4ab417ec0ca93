package io.redtx.runtime.internal.message;

import io.redtx.api.RedtxArgumentException;
import io.redtx.api.TransactionOutcome;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.message.ConsumerOptions;
import io.redtx.api.message.Delivery;
import io.redtx.api.message.DeliveryHandler;
import io.redtx.runtime.internal.handle.DefaultTransaction;
import io.redtx.runtime.internal.protocol.RuntimeContext;
import io.redtx.runtime.internal.redis.ParticipantLink;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Makes the stream consumers of one runtime: checks their options and places each stream on its participant. */
public final class Consumers {

    final RuntimeContext ctx;
    private final TransactionRuntime runtime;

    public Consumers(RuntimeContext ctx, TransactionRuntime runtime) {
        this.ctx = ctx;
        this.runtime = runtime;
    }

    /** @see TransactionRuntime#consume */
    public Flux<Delivery> consume(ConsumerOptions options) {
        return new StreamConsumer(this, options, checked(options)).deliveries();
    }

    /** @see TransactionRuntime#consumeTransactionally */
    public <T> Flux<TransactionOutcome<Delivery, T>> consumeTransactionally(
            ConsumerOptions options, DeliveryHandler<T> handler) {
        if (handler == null) {
            throw new RedtxArgumentException(null, "handler of stream '" + options.stream() + "' must not be null");
        }
        ParticipantLink participant = checked(options);
        return new StreamConsumer(this, options, participant)
                .deliveries()
                .flatMap(
                        delivery -> runtime.inTransactionWithResult(tx -> {
                                    String marker =
                                            ctx.keys.processedKey(delivery.stream(), delivery.group(), delivery.id());
                                    return ((DefaultTransaction) tx)
                                            .processOnce(
                                                    participant,
                                                    marker,
                                                    options.processedRetention(),
                                                    delivery.stream(),
                                                    delivery.group(),
                                                    delivery.id())
                                            .flatMap(first ->
                                                    first ? Mono.from(handler.handle(delivery, tx)) : Mono.empty());
                                })
                                .map(result -> TransactionOutcome.committed(delivery, result))
                                .onErrorResume(e -> Mono.just(TransactionOutcome.failed(delivery, e))),
                        options.concurrency(),
                        1);
    }

    /** @return the stream's participant; refuses keys in the namespace and a dead-letter stream in another slot */
    private ParticipantLink checked(ConsumerOptions options) {
        if (options == null) {
            throw new RedtxArgumentException(null, "consumer options must not be null");
        }
        String stream = options.stream();
        String dead = options.deadLetterStream();
        ctx.keys.refuseInternal(null, "stream", stream);
        ctx.keys.refuseInternal(null, "stream", dead);
        ParticipantLink participant = ctx.participant(
                null,
                options.participant().orElseGet(() -> ctx.options.keyRouter().participantFor(stream)));
        if (options.maxDeliveries() > 0 && !participant.shardOf(stream).equals(participant.shardOf(dead))) {
            throw new RedtxArgumentException(
                    null,
                    "dead-letter stream '" + dead + "' is in another Redis Cluster slot than stream '" + stream
                            + "' on '" + participant.name() + "': give both one hash tag, as {" + stream + "} and {"
                            + stream + "}" + ConsumerOptions.DEAD_LETTER_SUFFIX);
        }
        return participant;
    }
}
