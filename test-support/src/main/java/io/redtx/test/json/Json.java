package io.redtx.test.json;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A minimal JSON reader for tests of the runnable programs' {@code --json} output (the bank demo's and the load
 * benchmark's one-line reports), so that those tests need no JSON library. It is not a general-purpose parser: it
 * reads whole documents held in a {@link String}, recurses once per nesting level, and turns every number into a
 * {@link Double}.
 */
public final class Json {
    /** RFC 8259 number syntax; {@link Double#parseDouble} alone would also take {@code +1}, {@code .5}, {@code 1.}. */
    private static final Pattern NUMBER = Pattern.compile("-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?");

    private final String s;
    private int i;

    private Json(String s) {
        this.s = s;
    }

    /**
     * Reads one JSON value that makes up the whole of {@code text}, whitespace around it aside.
     *
     * <p>Objects become a {@link LinkedHashMap} in document order, arrays an {@link ArrayList}, strings a
     * {@link String}, every number a {@link Double} (so {@code 3} reads as {@code 3.0}), {@code true} and
     * {@code false} a {@link Boolean}, and {@code null} is {@code null}.
     *
     * @param text the JSON text
     * @return the value; {@code null} for the text {@code null}
     * @throws IllegalArgumentException if {@code text} is not one JSON value: empty or blank text, anything left over
     *     after the value, an unterminated object, array or string, a missing or trailing comma or colon, a non-string
     *     or duplicate object key, an unknown literal, a number outside JSON's syntax (such as {@code +1}, {@code 01},
     *     {@code .5}, {@code NaN}), an unknown escape, a {@code \}{@code u} escape without four hex digits, or an
     *     unescaped control character (below U+0020) in a string; the message gives the offset
     * @throws NullPointerException if {@code text} is {@code null}
     */
    public static Object parse(String text) {
        Json p = new Json(Objects.requireNonNull(text, "text"));
        Object value = p.value();
        p.space();
        if (p.i != text.length()) {
            throw p.error("trailing content");
        }
        return value;
    }

    private Object value() {
        space();
        if (i >= s.length()) {
            throw error("expected a value");
        }
        char c = s.charAt(i);
        if (c == '{') {
            return map();
        }
        if (c == '[') {
            return list();
        }
        if (c == '"') {
            return string();
        }
        for (String word : new String[] {"true", "false", "null"}) {
            if (s.startsWith(word, i)) {
                i += word.length();
                return word.equals("null") ? null : Boolean.valueOf(word);
            }
        }
        Matcher m = NUMBER.matcher(s).region(i, s.length());
        if (!m.lookingAt()) {
            throw error("unexpected '" + c + "'");
        }
        i = m.end();
        return Double.parseDouble(m.group());
    }

    private List<Object> list() {
        expect('[');
        List<Object> l = new ArrayList<>();
        space();
        if (peek() == ']') {
            i++;
            return l;
        }
        while (true) {
            l.add(value());
            space();
            if (peek() == ',') {
                i++;
            } else {
                expect(']');
                return l;
            }
        }
    }

    private Map<String, Object> map() {
        expect('{');
        Map<String, Object> m = new LinkedHashMap<>();
        space();
        if (peek() == '}') {
            i++;
            return m;
        }
        while (true) {
            space();
            int at = i;
            String key = string();
            space();
            expect(':');
            Object value = value();
            if (m.containsKey(key)) {
                i = at;
                throw error("duplicate key \"" + key + "\"");
            }
            m.put(key, value);
            space();
            if (peek() == ',') {
                i++;
            } else {
                expect('}');
                return m;
            }
        }
    }

    private String string() {
        expect('"');
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (i >= s.length()) {
                throw error("unterminated string");
            }
            char c = s.charAt(i++);
            if (c == '"') {
                return sb.toString();
            }
            if (c < 0x20) {
                i--;
                throw error(String.format(Locale.ROOT, "unescaped control character U+%04X in a string", (int) c));
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (i >= s.length()) {
                throw error("unterminated string");
            }
            char e = s.charAt(i++);
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> sb.append(hex4());
                default -> {
                    i--;
                    throw error("unknown escape '\\" + e + "'");
                }
            }
        }
    }

    private char hex4() {
        if (i + 4 > s.length()) {
            throw error("\\u needs four hex digits");
        }
        int code = 0;
        for (int k = 0; k < 4; k++) {
            char h = s.charAt(i + k);
            // Character.digit alone would also take non-ASCII digits such as U+0663.
            int digit = h < 0x80 ? Character.digit(h, 16) : -1;
            if (digit < 0) {
                throw error("\\u needs four hex digits");
            }
            code = code * 16 + digit;
        }
        i += 4;
        return (char) code;
    }

    /** The character at the cursor, or {@code 0} (never valid there) at the end of the text. */
    private char peek() {
        return i < s.length() ? s.charAt(i) : 0;
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected '" + c + "'");
        }
        i++;
    }

    private void space() {
        // JSON whitespace only: Character.isWhitespace would also skip form feeds and Unicode separators.
        while (i < s.length() && " \t\n\r".indexOf(s.charAt(i)) >= 0) {
            i++;
        }
    }

    private IllegalArgumentException error(String what) {
        String near = s.substring(i, Math.min(s.length(), i + 20));
        return new IllegalArgumentException(
                what + " at offset " + i + (i >= s.length() ? " (end of text)" : " near '" + near + "'") + " in: " + s);
    }
}
