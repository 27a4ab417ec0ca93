package io.redtx.samples.load;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/** Latencies of the load programs: recorded in microseconds without locking, reported in milliseconds. */
public final class Latency {

    /**
     * Largest latency the recorders hold (longer ones count as this): a fixed range, because an auto-resizing
     * HdrHistogram takes a lock to grow, which would block the Reactor thread that records the value.
     */
    public static final long MAX_MICROS = TimeUnit.MINUTES.toMicros(2);

    private Latency() {}

    /** @return a recorder of latencies in microseconds, 1 to {@link #MAX_MICROS}, never resized (never locking) */
    public static Recorder recorder() {
        return new Recorder(MAX_MICROS, 3);
    }

    /** @return {@code nanos} in microseconds, within what {@link #recorder()} holds */
    public static long micros(long nanos) {
        return Math.min(MAX_MICROS, Math.max(1, nanos / 1000));
    }

    /** @return the value at {@code percentile} of {@code h} (microseconds), in milliseconds */
    public static double millis(Histogram h, double percentile) {
        return h.getValueAtPercentile(percentile) / 1000.0;
    }

    /** @return the largest value of {@code h} (microseconds), in milliseconds */
    public static double maxMillis(Histogram h) {
        return h.getMaxValue() / 1000.0;
    }

    /** @return "p50 .. p99 .. p999 .. max .. (n=..)" in milliseconds, or {@code n/a} when {@code h} is empty */
    public static String percentiles(Histogram h) {
        if (h.getTotalCount() == 0) {
            return "n/a";
        }
        return String.format(
                Locale.ROOT,
                "p50 %.3f  p99 %.3f  p999 %.3f  max %.3f  (n=%d)",
                millis(h, 50),
                millis(h, 99),
                millis(h, 99.9),
                maxMillis(h),
                h.getTotalCount());
    }

    /**
     * Puts {@code p50Ms}, {@code p99Ms}, {@code p999Ms} and {@code maxMs} of {@code h} into a JSON report, rounded to
     * microseconds; {@code null} when {@code h} is empty.
     *
     * @param json the report's object
     * @param h latencies in microseconds
     */
    public static void putJson(Map<String, Object> json, Histogram h) {
        boolean any = h.getTotalCount() > 0;
        json.put("p50Ms", any ? Format.round(millis(h, 50), 3) : null);
        json.put("p99Ms", any ? Format.round(millis(h, 99), 3) : null);
        json.put("p999Ms", any ? Format.round(millis(h, 99.9), 3) : null);
        json.put("maxMs", any ? Format.round(maxMillis(h), 3) : null);
    }
}
