package io.redtx.test.redis;

import java.time.Duration;
import java.util.function.Supplier;

/** Waiting, on the calling thread, for a deployment of processes to reach a state. */
final class Polling {

    private static final long POLL_MILLIS = 20;

    private Polling() {}

    /**
     * Polls {@code check} every 20 ms until it holds or {@code timeout} passes.
     *
     * @param timeout how long to wait
     * @param what what is awaited, for the message
     * @param check null when the state is reached, else why not yet; an exception counts as "not yet" (a node that
     *     was killed or is changing roles answers with an error now and then)
     * @throws IllegalStateException after {@code timeout}, with the last reason, or when interrupted
     */
    static void await(Duration timeout, String what, Supplier<String> check) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String last;
            try {
                last = check.get();
            } catch (RuntimeException e) {
                last = e.toString();
            }
            if (last == null) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException(
                        "timed out after " + timeout.toMillis() + " ms waiting for " + what + ": " + last);
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
        }
    }
}
