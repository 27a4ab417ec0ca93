package io.redtx.samples;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes the figures of the runnable programs' {@code --json} reports (the bank demo, the load benchmark) as one line
 * of compact JSON: no whitespace between tokens and no line breaks, so that the report can be the last line of stdout.
 * No JSON library is on the programs' classpath; this covers exactly the values the reports hold, nothing more.
 */
public final class Json {
    private Json() {}

    /**
     * Returns {@code value} as compact JSON.
     *
     * <p>Accepted values, nested to any depth:
     *
     * <ul>
     *   <li>{@code null}, written {@code null};
     *   <li>{@link String}, quoted, with {@code "} and {@code \} escaped, {@code \n}, {@code \r} and {@code \t}
     *       written as such, every other character below U+0020 as {@code \}{@code u00XX}, and all other characters
     *       as they are;
     *   <li>{@link Boolean}, {@link Integer} and {@link Long}, written by their {@code toString()};
     *   <li>{@link Double}, written by {@link Double#toString(double)} (so {@code 2.0}, {@code 1.0E-5}), except that
     *       NaN and the infinities, which JSON cannot express, are written {@code null};
     *   <li>{@link Map}, as an object in the map's iteration order, each key written as the quoted
     *       {@link String#valueOf(Object)} of it;
     *   <li>{@link List}, as an array in list order.
     * </ul>
     *
     * @param value the value to write; may be {@code null}
     * @return the JSON text, never {@code null}
     * @throws IllegalArgumentException if {@code value}, or any value nested in it, is of another type (other
     *     {@link Number}s such as {@link Float} or {@link java.math.BigDecimal}, arrays, sets, records, ...); the
     *     message names that type
     */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object value) {
        if (value == null) {
            sb.append("null");
        } else if (value instanceof String s) {
            quote(sb, s);
        } else if (value instanceof Boolean || value instanceof Integer || value instanceof Long) {
            sb.append(value);
        } else if (value instanceof Double d) {
            sb.append(d.isNaN() || d.isInfinite() ? "null" : d.toString());
        } else if (value instanceof Map<?, ?> map) {
            sb.append('{');
            String sep = "";
            for (Map.Entry<?, ?> e : map.entrySet()) {
                sb.append(sep);
                sep = ",";
                quote(sb, String.valueOf(e.getKey()));
                sb.append(':');
                write(sb, e.getValue());
            }
            sb.append('}');
        } else if (value instanceof List<?> list) {
            sb.append('[');
            String sep = "";
            for (Object o : list) {
                sb.append(sep);
                sep = ",";
                write(sb, o);
            }
            sb.append(']');
        } else {
            throw new IllegalArgumentException(
                    "not a JSON value of a report: " + value.getClass().getName());
        }
    }

    private static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
