package io.redtx.runtime.internal.message;

import io.redtx.api.TransactionOutcome;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.message.ConsumerOptions;
import io.redtx.api.message.Delivery;
import io.redtx.api.message.DeliveryHandler;
import io.redtx.runtime.internal.protocol.RuntimeContext;
import reactor.core.publisher.Flux;

/** Makes the consumers of one runtime. */
public final class Consumers {

    final RuntimeContext ctx;
    final TransactionRuntime runtime;

    public Consumers(RuntimeContext ctx, TransactionRuntime runtime) {
        this.ctx = ctx;
        this.runtime = runtime;
    }

    public Flux<Delivery> consume(ConsumerOptions options) {
        return Flux.error(new UnsupportedOperationException("not yet"));
    }

    public <T> Flux<TransactionOutcome<Delivery, T>> consumeTransactionally(
            ConsumerOptions options, DeliveryHandler<T> handler) {
        return Flux.error(new UnsupportedOperationException("not yet"));
    }
}
