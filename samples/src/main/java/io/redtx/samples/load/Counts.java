package io.redtx.samples.load;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Failures counted by exception type (simple name), with the first of each type kept for the report. Fed from Reactor
 * and Netty threads without locks; read by the main thread. Its text is the counts, sorted by type.
 */
public final class Counts {

    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
    private final Map<String, Throwable> first = new ConcurrentHashMap<>();

    /** @param e counted under its class's simple name; kept if it is the first of its type */
    public void add(Throwable e) {
        String kind = e.getClass().getSimpleName();
        counts.computeIfAbsent(kind, k -> new LongAdder()).increment();
        first.putIfAbsent(kind, e);
    }

    /** @return the failures of every type */
    public long total() {
        return sum(counts);
    }

    /** @return the counts by type, sorted */
    public Map<String, Long> snapshot() {
        return snapshot(counts);
    }

    /** @return the first failure of each type, sorted by type */
    public Map<String, Throwable> first() {
        return new TreeMap<>(first);
    }

    @Override
    public String toString() {
        return snapshot().toString();
    }

    /** @return the sum of {@code counts} */
    public static long sum(Map<String, LongAdder> counts) {
        return counts.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** @return {@code counts} as numbers, sorted by key */
    public static Map<String, Long> snapshot(Map<String, LongAdder> counts) {
        Map<String, Long> m = new TreeMap<>();
        counts.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }
}
