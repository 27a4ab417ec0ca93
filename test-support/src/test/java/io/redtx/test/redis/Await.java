package io.redtx.test.redis;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Bounded polling for conditions that become true asynchronously (a process dying). */
final class Await {

    private Await() {}

    /** Polls every 10 ms; fails with {@code description} when {@code condition} is still false after {@code bound}. */
    static void until(Duration bound, String description, BooleanSupplier condition) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not true within " + bound.toMillis() + " ms: " + description);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for: " + description, e);
            }
        }
    }

    /** Waits until no running process (zombies count as dead) has this pid. */
    static void processGone(long pid) {
        until(Duration.ofSeconds(5), "process " + pid + " is gone", () -> !ProcessRegistry.isRunning(pid));
    }
}
