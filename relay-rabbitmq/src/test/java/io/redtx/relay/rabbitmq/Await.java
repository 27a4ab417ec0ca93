package io.redtx.relay.rabbitmq;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

final class Await {

    private Await() {}

    /** Polls {@code condition} every 20 ms for at most {@code bound}; fails with {@code state} when it never held. */
    static void until(Duration bound, String description, BooleanSupplier condition, Supplier<Object> state) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within " + bound + ": " + description + " (" + state.get() + ")");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + description, e);
            }
        }
    }
}
