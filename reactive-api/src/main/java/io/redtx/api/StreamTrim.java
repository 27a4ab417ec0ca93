package io.redtx.api;

import java.util.Objects;

/**
 * How a stream is trimmed when a transaction appends to it ({@link KeyCommands#publish(String, java.util.Map,
 * StreamTrim)}), as {@code XADD}'s {@code MAXLEN} and {@code MINID} options do. Immutable.
 */
public final class StreamTrim {

    /** No trimming: the stream keeps every entry. */
    public static final StreamTrim NONE = new StreamTrim("", false, "");

    private final String strategy;
    private final boolean approximate;
    private final String threshold;

    private StreamTrim(String strategy, boolean approximate, String threshold) {
        this.strategy = strategy;
        this.approximate = approximate;
        this.threshold = threshold;
    }

    /**
     * @param length at most this many entries are kept (0 or more)
     * @param approximate {@code MAXLEN ~}: Redis trims whole macro nodes only, keeping a little more, which is much
     *     cheaper; false trims exactly ({@code MAXLEN =})
     * @return the trimming
     */
    public static StreamTrim maxLen(long length, boolean approximate) {
        if (length < 0) {
            throw new IllegalArgumentException("maxLen must be zero or positive, was " + length);
        }
        return new StreamTrim("MAXLEN", approximate, Long.toString(length));
    }

    /**
     * @param id entries with a smaller id are removed: {@code <ms>} or {@code <ms>-<seq>}
     * @param approximate {@code MINID ~} (see {@link #maxLen}); false trims exactly
     * @return the trimming
     */
    public static StreamTrim minId(String id, boolean approximate) {
        if (id == null || !id.matches("\\d+(-\\d+)?")) {
            throw new IllegalArgumentException("minId must be <ms> or <ms>-<seq>, was " + id);
        }
        return new StreamTrim("MINID", approximate, id);
    }

    /** @return {@code MAXLEN}, {@code MINID}, or "" for none */
    public String strategy() {
        return strategy;
    }

    /** @return whether the trimming is approximate ({@code ~}) */
    public boolean approximate() {
        return approximate;
    }

    /** @return the length or the id, "" for none */
    public String threshold() {
        return threshold;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StreamTrim t
                && t.strategy.equals(strategy)
                && t.approximate == approximate
                && t.threshold.equals(threshold);
    }

    @Override
    public int hashCode() {
        return Objects.hash(strategy, approximate, threshold);
    }

    @Override
    public String toString() {
        return strategy.isEmpty()
                ? "StreamTrim{none}"
                : "StreamTrim{" + strategy + (approximate ? " ~ " : " = ") + threshold + "}";
    }
}
