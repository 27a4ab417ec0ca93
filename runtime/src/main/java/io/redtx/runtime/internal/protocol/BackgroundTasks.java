package io.redtx.runtime.internal.protocol;

import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Mono;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * Work that must run to completion although nobody waits for it: rollbacks after cancellation, roll-forwards and
 * record clean-up after the commit point. Tracked so a graceful close can wait for it; failures are logged (what
 * they leave behind is settled by recovery from the leases), never dropped silently.
 */
public final class BackgroundTasks {

    private static final Logger log = Loggers.getLogger(BackgroundTasks.class);

    private final AtomicInteger running = new AtomicInteger();

    /**
     * @param what the kind of work, for the log
     * @param transactionId the transaction it belongs to, for the log (joined with {@code what} only on failure: this
     *     runs for every commit)
     * @param task the work
     */
    public void run(String what, String transactionId, Mono<?> task) {
        running.incrementAndGet();
        task.doFinally(signal -> running.decrementAndGet())
                .subscribe(
                        ignored -> {},
                        error -> log.warn(
                                "redtx background task '{} {}' failed; recovery will settle it",
                                what,
                                transactionId,
                                error));
    }

    /** Counts one piece of work that {@link #run} does not start itself (a queued record of {@link Forgets}). */
    void started() {
        running.incrementAndGet();
    }

    /** Ends {@code n} pieces counted by {@link #started()}. */
    void ended(int n) {
        running.addAndGet(-n);
    }

    public int running() {
        return running.get();
    }
}
