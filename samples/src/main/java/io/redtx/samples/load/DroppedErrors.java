package io.redtx.samples.load;

import java.util.concurrent.atomic.LongAdder;
import reactor.core.publisher.Hooks;

/**
 * Counts the errors Reactor drops while open. A sibling of a failed operation (a conflicting prepare leg, the other
 * write of a fan-out, a concurrent read of the same transaction) may fail after the failure was signalled; Reactor
 * drops that error and by default logs it as an ERROR with its stack trace. Counted and reported instead, so that the
 * figures stay readable. Closing resets Reactor's hook.
 */
public final class DroppedErrors implements AutoCloseable {

    private final LongAdder count = new LongAdder();

    private DroppedErrors() {}

    /** @return a counter installed as Reactor's dropped-error hook until closed */
    public static DroppedErrors count() {
        DroppedErrors dropped = new DroppedErrors();
        Hooks.onErrorDropped(e -> dropped.count.increment());
        return dropped;
    }

    /** @return errors dropped since {@link #count()} */
    public long sum() {
        return count.sum();
    }

    @Override
    public void close() {
        Hooks.resetOnErrorDropped();
    }
}
