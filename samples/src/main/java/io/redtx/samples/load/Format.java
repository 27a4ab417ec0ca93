package io.redtx.samples.load;

import io.redtx.test.redis.IntentCount;
import java.util.Locale;

/** The number formats and check words of the load programs' reports, the same in every program. */
public final class Format {

    private Format() {}

    /** @return {@code format} applied with {@link Locale#ROOT} (a decimal point whatever the machine's locale) */
    public static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    /** @return {@code value} rounded to {@code decimals}, or {@code null} (JSON null) when it is not a finite number */
    public static Double round(double value, int decimals) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return null;
        }
        double scale = Math.pow(10, decimals);
        return Math.round(value * scale) / scale;
    }

    /** @return {@code nanos} in seconds */
    public static double seconds(long nanos) {
        return nanos / 1e9;
    }

    /** @return {@code PASS} or {@code FAIL} */
    public static String passFail(boolean passed) {
        return passed ? "PASS" : "FAIL";
    }

    /** @return "N lock keys, N index entries, N prepared records: PASS" (FAIL when any is left) */
    public static String intents(IntentCount left) {
        return f(
                "%d lock keys, %d index entries, %d prepared records: %s",
                left.locks(), left.indexEntries(), left.prepared(), passFail(left.none()));
    }

    /** @return every intent left, of any kind */
    public static long total(IntentCount left) {
        return left.locks() + left.indexEntries() + left.prepared();
    }

    /** @return one line: the error, its causes and what it combines (Reactor's composite), each with where redtx made it */
    public static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            sb.append(t == e ? "" : " <- caused by ").append(t).append(origin(t));
            for (Throwable s : t.getSuppressed()) {
                sb.append(" [+ ").append(s).append(origin(s)).append(']');
            }
        }
        return sb.toString();
    }

    private static String origin(Throwable t) {
        for (StackTraceElement frame : t.getStackTrace()) {
            if (frame.getClassName().startsWith("io.redtx.")) {
                return " (at " + frame + ")";
            }
        }
        return "";
    }
}
