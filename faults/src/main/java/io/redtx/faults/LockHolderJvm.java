package io.redtx.faults;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link LockHolderProcess} in a child JVM, seen from the test: started with the test's class path, talked to through
 * its standard input and output, frozen and continued with {@code kill -STOP} / {@code kill -CONT}, and killed with
 * SIGKILL on {@link #close()} (which also ends a frozen process).
 */
final class LockHolderJvm implements Closeable {

    /** Put in the line queue once the child's output ended. */
    private static final String END = "\0end";

    private static final Duration SIGNAL_LIMIT = Duration.ofSeconds(10);

    private final Process process;
    private final Path stderr;
    private final Writer stdin;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    private LockHolderJvm(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(this::readOutput, "lock-holder-jvm-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts a child JVM running {@link LockHolderProcess} with the given subcommand and options.
     *
     * @param args the subcommand and its options
     * @return the running child; the caller must {@link #close()} it
     */
    static LockHolderJvm start(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                CoordinatorJvm.java(),
                "-Xmx128m",
                // Short-lived children: start fast rather than optimise.
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-cp",
                CoordinatorJvm.classPath(),
                LockHolderProcess.class.getName()));
        command.addAll(List.of(args));
        Path stderr = Files.createTempFile("redtx-lock-holder-", ".stderr");
        Process p = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        return new LockHolderJvm(p, stderr);
    }

    /** @return the child's pid */
    long pid() {
        return process.pid();
    }

    /**
     * Waits for the child's next line of output, which must start with {@code prefix}.
     *
     * @return the rest of the line after the prefix and a space (empty if the line is just the prefix)
     * @throws IllegalStateException if no line came within {@code limit}, the output ended, or the line is another
     *     one; the message holds the tail of the child's standard error
     */
    String await(String prefix, Duration limit) throws InterruptedException {
        String line = lines.poll(limit.toMillis(), TimeUnit.MILLISECONDS);
        if (line == null || line.equals(END)) {
            if (line != null) {
                lines.add(END); // later waits fail at once too
            }
            throw new IllegalStateException("lock holder " + pid() + ": no '" + prefix + "' line within " + limit
                    + (line == null ? "" : " (its output ended)") + "; stderr:\n" + stderrTail());
        }
        if (!line.equals(prefix) && !line.startsWith(prefix + " ")) {
            throw new IllegalStateException("lock holder " + pid() + ": expected '" + prefix + "', got '" + line
                    + "'; stderr:\n" + stderrTail());
        }
        return line.length() > prefix.length() ? line.substring(prefix.length() + 1) : "";
    }

    /** Writes one line to the child's standard input. */
    void send(String line) throws IOException {
        stdin.write(line + "\n");
        stdin.flush();
    }

    /** Freezes the child: {@code kill -STOP <pid>}. */
    void freeze() {
        signal("STOP");
    }

    /** Continues a frozen child: {@code kill -CONT <pid>}. */
    void thaw() {
        signal("CONT");
    }

    /** @return the child's exit status, once it exited within {@code limit} */
    int awaitExit(Duration limit) throws InterruptedException {
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException(
                    "lock holder " + pid() + " did not exit within " + limit + "; stderr:\n" + stderrTail());
        }
        return process.exitValue();
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

    private void signal(String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid()))
                    .redirectErrorStream(true)
                    .start();
            if (!kill.waitFor(SIGNAL_LIMIT.toMillis(), TimeUnit.MILLISECONDS) || kill.exitValue() != 0) {
                kill.destroyForcibly();
                throw new IllegalStateException("kill -" + signal + " " + pid() + " failed: "
                        + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run kill -" + signal + " " + pid(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running kill -" + signal + " " + pid(), e);
        }
    }

    private void readOutput() {
        try (BufferedReader in =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                lines.add(line);
            }
        } catch (IOException e) {
            // The child is gone; waiters see the end below.
        } finally {
            lines.add(END);
        }
    }

    /** Kills the child with SIGKILL (frozen or not) and waits for it; deletes its standard error file. */
    @Override
    public void close() throws IOException {
        process.destroyForcibly();
        try {
            process.waitFor(SIGNAL_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // SIGKILL is sent; the wait only tidies up
        }
        Files.deleteIfExists(stderr);
    }
}
