package io.redtx.api;

import java.math.BigDecimal;
import java.time.Duration;

/**
 * How redtx writes a {@link Duration} in its messages: as people read it ({@code 300 ms}, {@code 2 s}, {@code 1.5 s},
 * {@code 5 min}, {@code 2 h}), not in ISO-8601 ({@code PT0.3S}).
 */
public final class Durations {

    private static final Duration HOUR = Duration.ofHours(1);
    private static final Duration MINUTE = Duration.ofMinutes(1);
    private static final Duration SECOND = Duration.ofSeconds(1);

    private Durations() {}

    /**
     * @param d a duration, or {@code null}
     * @return whole hours or minutes when it is a whole number of them, else seconds from one second up, else
     *     milliseconds, with as many decimals as needed ({@code 0.5 ms}); {@code "null"} for null
     */
    public static String text(Duration d) {
        if (d == null) {
            return "null";
        }
        if (d.isNegative()) {
            return "-" + text(d.negated());
        }
        if (d.compareTo(HOUR) >= 0 && d.toNanos() % HOUR.toNanos() == 0) {
            return d.toHours() + " h";
        }
        if (d.compareTo(MINUTE) >= 0 && d.getNano() == 0 && d.getSeconds() % 60 == 0) {
            return d.toMinutes() + " min";
        }
        BigDecimal nanos = BigDecimal.valueOf(d.getSeconds()).movePointRight(9).add(BigDecimal.valueOf(d.getNano()));
        if (d.compareTo(SECOND) >= 0) {
            return plain(nanos.movePointLeft(9)) + " s";
        }
        return plain(nanos.movePointLeft(6)) + " ms";
    }

    private static String plain(BigDecimal value) {
        return value.stripTrailingZeros().toPlainString();
    }
}
