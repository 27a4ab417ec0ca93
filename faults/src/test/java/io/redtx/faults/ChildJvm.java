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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * A JVM the fault tests start with their own class path and kill with {@code kill -9}: each line of its standard output
 * goes to a handler (on a reader thread of its own), its standard error to a temporary file whose tail failures quote.
 * {@link #close()} kills it whatever state it is in.
 */
final class ChildJvm implements Closeable {

    private static final Duration EXIT_LIMIT = Duration.ofSeconds(30);

    private final String name;
    private final Process process;
    private final Path stderr;
    private final Writer stdin;
    private final Thread reader;
    private final AtomicReference<String> last = new AtomicReference<>("");

    private ChildJvm(String name, Process process, Path stderr, Consumer<String> onLine) {
        this.name = name;
        this.process = process;
        this.stderr = stderr;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        this.reader = new Thread(() -> readOutput(onLine), name + "-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code main} in a JVM of its own.
     *
     * @param name what failures call it
     * @param jvmOptions options of the JVM, besides the heap, the collector and the class path
     * @param main the class whose {@code main} runs
     * @param args its arguments
     * @param onLine called with each line of its standard output, in order, on the reader thread
     * @return the running child; the caller must {@link #close()} it
     */
    static ChildJvm start(
            String name, List<String> jvmOptions, Class<?> main, List<String> args, Consumer<String> onLine)
            throws IOException {
        List<String> command = new ArrayList<>(List.of(CoordinatorJvm.java(), "-Xmx256m", "-XX:+UseSerialGC"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", CoordinatorJvm.classPath(), main.getName()));
        command.addAll(args);
        Path stderr = Files.createTempFile("redtx-" + name + "-", ".stderr");
        Process p = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        return new ChildJvm(name, p, stderr, onLine);
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

    /** @return the last line it printed */
    String lastLine() {
        return last.get();
    }

    /** Sends SIGKILL, then waits for the process and for the rest of its output. */
    void kill9() throws InterruptedException {
        process.destroyForcibly(); // SIGKILL on Linux
        awaitEnd();
    }

    /** Writes one line to its standard input. */
    void send(String line) throws IOException {
        stdin.write(line + "\n");
        stdin.flush();
    }

    /** Waits for it to exit by itself, and for the rest of its output: its exit status. */
    int awaitExit() throws InterruptedException {
        if (!process.waitFor(EXIT_LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException(name + " did not exit within " + EXIT_LIMIT + "; last line '" + last.get()
                    + "'; stderr:\n" + stderrTail());
        }
        awaitEnd();
        return process.exitValue();
    }

    private void awaitEnd() throws InterruptedException {
        process.waitFor(EXIT_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        reader.join(EXIT_LIMIT.toMillis());
    }

    /** @return the last lines of its standard error */
    String stderrTail() {
        try {
            List<String> all = Files.readAllLines(stderr);
            return String.join("\n", all.subList(Math.max(0, all.size() - 30), all.size()));
        } catch (IOException e) {
            return "(stderr unreadable: " + e + ")";
        }
    }

    private void readOutput(Consumer<String> onLine) {
        try (BufferedReader in =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                last.set(line);
                onLine.accept(line);
            }
        } catch (IOException e) {
            // The child is gone; what it printed so far was handled.
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
