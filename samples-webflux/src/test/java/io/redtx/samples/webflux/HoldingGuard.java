package io.redtx.samples.webflux;

import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * A {@link CheckoutGuard} that holds the checkouts of customers whose name starts with {@code hold} inside their
 * transaction (after every write is buffered, before the commit) until {@link #release()}, and counts how often it was
 * entered and cancelled. Every other checkout is approved at once.
 */
final class HoldingGuard implements CheckoutGuard {

    private final AtomicInteger entered = new AtomicInteger();
    private final AtomicInteger cancelled = new AtomicInteger();
    private volatile Sinks.Empty<Void> gate = Sinks.empty();

    @Override
    public Mono<Void> approve(Order order) {
        if (!order.customer().startsWith("hold")) {
            return Mono.empty();
        }
        return Mono.defer(() -> {
                    entered.incrementAndGet();
                    return gate.asMono();
                })
                .doOnCancel(cancelled::incrementAndGet);
    }

    /** Lets every held checkout (and any later one) go on to commit. */
    void release() {
        gate.tryEmitEmpty().orThrow();
    }

    /** Closes the gate again and zeroes the counters. */
    void reset() {
        gate = Sinks.empty();
        entered.set(0);
        cancelled.set(0);
    }

    int entered() {
        return entered.get();
    }

    int cancelled() {
        return cancelled.get();
    }
}
