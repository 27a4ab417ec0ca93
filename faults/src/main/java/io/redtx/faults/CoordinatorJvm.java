package io.redtx.faults;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link CoordinatorProcess} in a child JVM: started, watched through its output, then killed with
 * {@code kill -9}. Its answers go into the suite's {@link Outcomes}; transfers it started but never answered are
 * counted as unanswered (their markers and messages, if any, are checked like every other transfer's).
 */
final class CoordinatorJvm implements AutoCloseable {

    private final Process process;
    private final Path stderr;
    private final Thread reader;
    private final Outcomes outcomes;
    private final Set<String> started = ConcurrentHashMap.newKeySet();
    private final AtomicInteger answered = new AtomicInteger();
    private final CountDownLatch ready = new CountDownLatch(1);

    private CoordinatorJvm(Process process, Path stderr, Outcomes outcomes) {
        this.process = process;
        this.stderr = stderr;
        this.outcomes = outcomes;
        this.reader = new Thread(this::readOutput, "coordinator-jvm-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts a coordinator JVM with the suite's class path.
     *
     * @param prefix prefix of its transfer ids (unique in the run)
     * @param seed its random seed
     * @param concurrency transfers it keeps in flight
     * @param participants participant name to URI
     * @param accounts the bank's accounts
     * @param initialBalance the bank's initial balance
     * @param outcomes where its answers go
     */
    static CoordinatorJvm start(
            String prefix,
            long seed,
            int concurrency,
            Map<String, String> participants,
            int accounts,
            long initialBalance,
            Outcomes outcomes)
            throws IOException {
        List<String> command = new ArrayList<>(List.of(
                java(),
                "-Xmx256m",
                "-cp",
                classPath(),
                CoordinatorProcess.class.getName(),
                prefix,
                Long.toString(seed),
                Integer.toString(concurrency),
                Integer.toString(accounts),
                Long.toString(initialBalance)));
        participants.forEach((name, uri) -> command.add(name + "=" + uri));
        Path stderr = Files.createTempFile("redtx-coordinator-", ".stderr");
        Process p = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        return new CoordinatorJvm(p, stderr, outcomes);
    }

    /** @return the {@code java} executable this JVM runs on, to start children on the same one */
    static String java() {
        return ProcessHandle.current()
                .info()
                .command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /**
     * The class path this JVM runs with: surefire publishes it in a property (it may run tests from a manifest-only
     * jar); {@code exec:java} loads classes through a URL class loader; else {@code java.class.path}.
     */
    static String classPath() {
        String surefire = System.getProperty("surefire.test.class.path");
        if (surefire != null) {
            return surefire;
        }
        if (Thread.currentThread().getContextClassLoader() instanceof URLClassLoader loader) {
            List<String> entries = new ArrayList<>();
            for (URL url : loader.getURLs()) {
                try {
                    entries.add(Path.of(url.toURI()).toString());
                } catch (URISyntaxException e) {
                    throw new IllegalStateException("class path entry " + url, e);
                }
            }
            return String.join(File.pathSeparator, entries);
        }
        return System.getProperty("java.class.path");
    }

    /** Waits until the child is connected and running, or fails with its standard error. */
    void awaitReady(Duration limit) throws InterruptedException {
        if (!ready.await(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("the coordinator JVM did not start within " + limit + ": " + stderrTail());
        }
    }

    /** @return whether at least {@code n} transfers were answered within {@code limit} */
    boolean awaitAnswered(int n, Duration limit) throws InterruptedException {
        long end = System.nanoTime() + limit.toNanos();
        while (answered.get() < n && System.nanoTime() < end && process.isAlive()) {
            Thread.sleep(20);
        }
        return answered.get() >= n;
    }

    /** Sends SIGKILL, waits for the process and for the rest of its output, and counts what it left unanswered. */
    void kill9() throws InterruptedException {
        process.destroyForcibly(); // SIGKILL on Linux
        process.waitFor(30, TimeUnit.SECONDS);
        reader.join(TimeUnit.SECONDS.toMillis(30));
        outcomes.count("unanswered (coordinator JVM killed)", started.size());
    }

    int answered() {
        return answered.get();
    }

    private void readOutput() {
        try (BufferedReader in =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (line.equals("READY")) {
                    ready.countDown();
                } else if (line.startsWith("B ")) {
                    started.add(line.substring(2));
                } else if (line.startsWith("E\t")) {
                    String[] f = line.split("\t", 6); // E id transfer claim kind detail
                    started.remove(f[1]);
                    outcomes.record(new Outcomes.Claimed(
                            Transfers.Transfer.decode(f[1], f[2]), Outcomes.Claim.valueOf(f[3]), f[4], f[5]));
                    answered.incrementAndGet();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String stderrTail() {
        try {
            List<String> lines = Files.readAllLines(stderr);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(stderr unreadable: " + e + ")";
        }
    }

    @Override
    public void close() throws IOException {
        process.destroyForcibly();
        Files.deleteIfExists(stderr);
    }
}
