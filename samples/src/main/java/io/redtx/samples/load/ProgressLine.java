package io.redtx.samples.load;

import java.io.PrintStream;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One terminal line rewritten in place ({@code \r}) with a load program's live figures, and the loop that refreshes it
 * while the load runs. Thread-safe: lines of their own ({@link #event}) blank it first, and the next refresh writes it
 * again. Used by the bank demo and the benchmarks.
 */
public final class ProgressLine {

    private final PrintStream line;
    /** Length of the line on screen, 0 when there is none: what {@link #clear()} must blank. */
    private int width;

    /** @param line where the progress line goes (stderr, so that stdout keeps only the report) */
    public ProgressLine(PrintStream line) {
        this.line = Objects.requireNonNull(line, "line");
    }

    /**
     * Sleeps on the calling thread until {@code deadline} ({@link System#nanoTime()}) or until {@code load} is done,
     * showing {@code progress}'s line whenever it is due.
     *
     * @param deadline when to return
     * @param load returns early once done
     * @param progress the line's text, and when the next one is due
     * @throws InterruptedException if interrupted while sleeping
     */
    public void watch(long deadline, CompletableFuture<?> load, Progress progress) throws InterruptedException {
        while (true) {
            long now = System.nanoTime();
            if (now >= deadline || load.isDone()) {
                return;
            }
            if (now >= progress.next()) {
                show(progress.line(now));
            }
            TimeUnit.NANOSECONDS.sleep(Math.max(0, Math.min(deadline, progress.next()) - now));
        }
    }

    /** @param text replaces the progress line */
    public synchronized void show(String text) {
        int padded = Math.max(width, text.length());
        line.print("\r" + text + " ".repeat(padded - text.length()));
        line.flush();
        width = text.length();
    }

    /** Blanks the progress line, if one is shown. */
    public synchronized void clear() {
        if (width > 0) {
            line.print("\r" + " ".repeat(width) + "\r");
            line.flush();
            width = 0;
        }
    }

    /**
     * Prints a line of its own on {@code out}, after blanking the progress line.
     *
     * @param out where the line goes
     * @param text the line
     */
    public synchronized void event(PrintStream out, String text) {
        clear();
        out.println(text);
        out.flush();
    }
}
