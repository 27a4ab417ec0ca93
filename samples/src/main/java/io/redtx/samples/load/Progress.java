package io.redtx.samples.load;

import java.time.Duration;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;

/**
 * The text of the progress line of one load run, every {@link #INTERVAL}: {@code [label phase] N transfers/s, p99 X
 * ms} of the last interval (the operations that moved money, {@link Phases#moved}), then what the program adds. Used
 * by the main thread only.
 */
public final class Progress {

    /** How often the progress line is rewritten. */
    public static final Duration INTERVAL = Duration.ofSeconds(1);

    private final Phases<?> phases;
    private final String label;
    private final Supplier<String> more;
    private final String unit;
    private long next;
    private long lastAt;

    /**
     * @param phases the run, whose clock has started
     * @param label first in the brackets, before the phase (a workload's name), or {@code null}
     * @param more appended after ", " (conflicts, in flight), or {@code null}
     */
    public Progress(Phases<?> phases, String label, Supplier<String> more) {
        this(phases, label, more, "transfers");
    }

    /**
     * @param phases the run, whose clock has started
     * @param label first in the brackets, before the phase (a workload's name), or {@code null}
     * @param more appended after ", " (conflicts, in flight), or {@code null}
     * @param unit what the program counts per second (plural: "transfers", "pairs")
     */
    public Progress(Phases<?> phases, String label, Supplier<String> more, String unit) {
        this.phases = phases;
        this.label = label;
        this.more = more;
        this.unit = unit;
        this.lastAt = phases.startedAt();
        this.next = lastAt + INTERVAL.toNanos();
    }

    /** @return when the next line is due ({@link System#nanoTime()}) */
    long next() {
        return next;
    }

    /** @return the line at {@code now}; the next one is due an interval later */
    String line(long now) {
        Histogram h = phases.lastSecond();
        double secs = Format.seconds(now - lastAt);
        lastAt = now;
        next = now + INTERVAL.toNanos();
        return Format.f(
                "[%s%s] %.0f %s/s, p99 %s ms%s",
                label == null ? "" : label + " ",
                phases.phase(now),
                h.getTotalCount() / secs,
                unit,
                h.getTotalCount() == 0 ? "-" : Format.f("%.1f", Latency.millis(h, 99)),
                more == null ? "" : ", " + more.get());
    }
}
