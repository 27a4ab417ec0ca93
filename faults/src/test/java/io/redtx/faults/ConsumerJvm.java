package io.redtx.faults;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link ConsumerProcess} in a child JVM, seen from the test: started with the test's class path, its output counted
 * (effects it reported committed, deliveries that did not commit, by kind), killed with SIGKILL or stopped through its
 * standard input. {@link #close()} kills it whatever state it is in.
 */
final class ConsumerJvm implements Closeable {

    private static final Duration EXIT_LIMIT = Duration.ofSeconds(30);

    private final String name;
    private final Process process;
    private final Path stderr;
    private final Writer stdin;
    private final Thread reader;
    private final CountDownLatch ready = new CountDownLatch(1);
    private final AtomicInteger committed = new AtomicInteger();
    private final Map<String, AtomicInteger> notCommitted = new ConcurrentHashMap<>();
    private final AtomicReference<String> last = new AtomicReference<>("");

    private ConsumerJvm(String name, Process process, Path stderr) {
        this.name = name;
        this.process = process;
        this.stderr = stderr;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        this.reader = new Thread(this::readOutput, "consumer-jvm-" + process.pid());
        reader.setDaemon(true);
        reader.start();
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
        List<String> command = new ArrayList<>(List.of(
                CoordinatorJvm.java(),
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-cp",
                CoordinatorJvm.classPath(),
                ConsumerProcess.class.getName(),
                "--consumer",
                name,
                "--mode",
                mode.name(),
                "--delay-ms",
                Long.toString(delay.toMillis())));
        participants.forEach((p, uri) -> command.add(p + "=" + uri));
        Path stderr = Files.createTempFile("redtx-consumer-", ".stderr");
        Process p = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        return new ConsumerJvm(name, p, stderr);
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
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
        process.destroyForcibly(); // SIGKILL on Linux
        awaitEnd();
    }

    /** Asks the consumer to stop, and waits for it: its exit status (0 stopped cleanly). */
    int stop() throws IOException, InterruptedException {
        stdin.write("STOP\n");
        stdin.flush();
        if (!process.waitFor(EXIT_LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("consumer " + name + " did not stop within " + EXIT_LIMIT + "; last line '"
                    + last.get() + "'; stderr:\n" + stderrTail());
        }
        awaitEnd();
        return process.exitValue();
    }

    private void awaitEnd() throws InterruptedException {
        process.waitFor(EXIT_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        reader.join(EXIT_LIMIT.toMillis());
    }

    /** @return the last lines of the child's standard error */
    String stderrTail() {
        try {
            List<String> all = Files.readAllLines(stderr);
            return String.join("\n", all.subList(Math.max(0, all.size() - 30), all.size()));
        } catch (IOException e) {
            return "(stderr unreadable: " + e + ")";
        }
    }

    private void readOutput() {
        try (BufferedReader in =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                last.set(line);
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
        } catch (IOException e) {
            // The child is gone; what it printed so far is counted.
        }
    }

    @Override
    public void close() throws IOException {
        process.destroyForcibly();
        try {
            process.waitFor(EXIT_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // SIGKILL is sent; the wait only tidies up
        }
        Files.deleteIfExists(stderr);
    }
}
