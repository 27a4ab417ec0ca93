package io.redtx.faults;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link ConsumerProcess} in a child JVM, seen from the test: started with the test's class path, its output counted
 * (effects it reported committed, deliveries that did not commit, by kind), killed with SIGKILL or stopped through its
 * standard input. {@link #close()} kills it whatever state it is in.
 */
final class ConsumerJvm implements Closeable {

    private final String name;
    private final ChildJvm jvm;
    private final CountDownLatch ready = new CountDownLatch(1);
    private final AtomicInteger committed = new AtomicInteger();
    private final Map<String, AtomicInteger> notCommitted = new ConcurrentHashMap<>();

    private ConsumerJvm(String name, List<String> args) throws IOException {
        this.name = name;
        this.jvm = ChildJvm.start("consumer-" + name, List.of(), ConsumerProcess.class, args, this::onLine);
    }

    /**
     * Starts a consumer JVM.
     *
     * @param name the consumer's name in the group
     * @param mode how it handles deliveries
     * @param delay its handler's slowdown
     * @param participants participant name to URI
     * @return the running child; the caller must {@link #close()} it
     */
    static ConsumerJvm start(String name, ConsumerProcess.Mode mode, Duration delay, Map<String, String> participants)
            throws IOException {
        List<String> args = new ArrayList<>(
                List.of("--consumer", name, "--mode", mode.name(), "--delay-ms", Long.toString(delay.toMillis())));
        participants.forEach((p, uri) -> args.add(p + "=" + uri));
        return new ConsumerJvm(name, args);
    }

    String name() {
        return name;
    }

    long pid() {
        return jvm.pid();
    }

    boolean isAlive() {
        return jvm.isAlive();
    }

    /** Waits until the child consumes, or fails with its standard error. */
    void awaitReady(Duration limit) throws InterruptedException {
        if (!ready.await(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException(
                    "consumer " + name + " (pid " + pid() + ") not ready within " + limit + ": " + stderrTail());
        }
    }

    /** @return the effects it reported committed so far (all of them once its output ended) */
    int committed() {
        return committed.get();
    }

    /** @return deliveries it reported not committed, by status and error */
    Map<String, Integer> notCommitted() {
        Map<String, Integer> copy = new TreeMap<>();
        notCommitted.forEach((k, v) -> copy.put(k, v.get()));
        return copy;
    }

    /** Sends SIGKILL, then waits for the process and for the rest of its output. */
    void kill9() throws InterruptedException {
        jvm.kill9();
    }

    /** Asks the consumer to stop, and waits for it: its exit status (0 stopped cleanly). */
    int stop() throws IOException, InterruptedException {
        jvm.send("STOP");
        return jvm.awaitExit();
    }

    /** @return the last lines of the child's standard error */
    String stderrTail() {
        return jvm.stderrTail();
    }

    private void onLine(String line) {
        if (line.equals("READY")) {
            ready.countDown();
        } else if (line.startsWith("C ")) {
            committed.incrementAndGet();
        } else if (line.startsWith("N ")) {
            notCommitted
                    .computeIfAbsent(line.substring(2), k -> new AtomicInteger())
                    .incrementAndGet();
        }
    }

    @Override
    public void close() throws IOException {
        jvm.close();
    }
}
