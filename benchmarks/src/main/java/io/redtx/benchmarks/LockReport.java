package io.redtx.benchmarks;

import static io.redtx.samples.load.Format.round;

import io.redtx.samples.load.Format;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;
import tools.jackson.databind.json.JsonMapper;

/** The lock benchmark's report: each workload's figures when it ends, then the table and the JSON line of them all. */
final class LockReport {

    /** The baselines the ratios divide by, in the JSON's order. */
    private static final List<LockWorkload> BASELINES =
            List.of(LockWorkload.REDISSON_RLOCK, LockWorkload.REDISSON_FENCEDLOCK);

    private final PrintStream out;
    private final int concurrency;
    private final int locks;
    private final int durationSeconds;
    private final int warmupSeconds;

    LockReport(PrintStream out, int concurrency, int locks, int durationSeconds, int warmupSeconds) {
        this.out = out;
        this.concurrency = concurrency;
        this.locks = locks;
        this.durationSeconds = durationSeconds;
        this.warmupSeconds = warmupSeconds;
    }

    void print(Result r) {
        out.printf(Locale.ROOT, "== %s: %s%n", r.workload().id(), r.workload().description());
        out.println("  configured: " + r.configuration());
        for (Phase p : r.phases()) {
            out.printf(
                    Locale.ROOT,
                    "  %s (%d worker%s over %d lock%s): %d pairs in %.2f s = %.1f pairs/s; failed: %s%n",
                    p.name(),
                    p.workers(),
                    p.workers() == 1 ? "" : "s",
                    p.locks(),
                    p.locks() == 1 ? "" : "s",
                    p.pairs(),
                    p.seconds(),
                    p.pairsPerSec(),
                    p.failures().isEmpty() ? "none" : p.failures());
            p.firstFailures().forEach((kind, e) -> out.println("    first " + kind + ": " + Format.describe(e)));
            out.println("    acquire us: " + micros(p.acquire()));
            out.println("    release us: " + micros(p.release()));
            out.println("    pair us:    " + micros(p.pair()));
            out.printf(
                    Locale.ROOT,
                    "    commandstats per pair (/%d pairs finished from the measured window to the end of the drain;"
                            + " Redis also counts the commands a script runs): %s%n",
                    p.finishedForStats(),
                    commands(p));
            out.printf(
                    Locale.ROOT,
                    "    server time: %.1f us per pair (sum of commandstats usec)%n",
                    p.perPair(p.commands().totalUsec()));
        }
        if (r.guardedCommits() >= 0) {
            out.printf(
                    Locale.ROOT,
                    "  guarded counters: total %d, committed guarded transactions %d: %s%n",
                    r.guardedCounterTotal(),
                    r.guardedCommits(),
                    Format.passFail(r.guardedExact()));
        }
        if (r.droppedErrors() > 0) {
            out.printf(Locale.ROOT, "  errors dropped after a sibling failed: %d%n", r.droppedErrors());
        }
        out.flush();
    }

    /** "p50 .. p99 .. p999 .. max .. (n=..)" in microseconds. */
    private static String micros(Histogram h) {
        if (h.getTotalCount() == 0) {
            return "n/a";
        }
        return Format.f(
                "p50 %d  p99 %d  p999 %d  max %d  (n=%d)",
                h.getValueAtPercentile(50),
                h.getValueAtPercentile(99),
                h.getValueAtPercentile(99.9),
                h.getMaxValue(),
                h.getTotalCount());
    }

    private static String commands(Phase p) {
        List<String> parts = new ArrayList<>();
        p.commands().total().forEach((name, c) -> {
            double v = p.perPair(c.calls());
            if (v >= 0.01) {
                parts.add(Format.f("%s %.2f", name, v));
            }
        });
        return parts.isEmpty() ? "none" : String.join(", ", parts);
    }

    void table(Map<LockWorkload, Result> results) {
        Result base = results.get(LockWorkload.REDISSON_RLOCK);
        out.printf(
                Locale.ROOT,
                "== summary: %d s measured after %d s warm-up per phase; latency: 1 worker, 1 lock; throughput: %d"
                        + " workers over %d lock%s; x(r) = ratio to redisson-rlock%n",
                durationSeconds,
                warmupSeconds,
                concurrency,
                locks,
                locks == 1 ? "" : "s");
        String format = "%-20s %10s %8s %8s %8s %8s %8s %6s | %10s %8s %8s %8s %6s  %s%n";
        out.printf(
                Locale.ROOT,
                format,
                "workload",
                "lat pr/s",
                "acq p50",
                "acq p99",
                "rel p50",
                "pair p50",
                "pair p99",
                "x(r)",
                "tput pr/s",
                "p50 us",
                "p99 us",
                "p999 us",
                "x(r)",
                "guarded");
        for (Result r : results.values()) {
            Phase l = r.latency();
            Phase t = r.throughput();
            out.printf(
                    Locale.ROOT,
                    format,
                    r.workload().id(),
                    l == null ? "-" : Format.f("%.1f", l.pairsPerSec()),
                    us(l == null ? null : l.acquire(), 50),
                    us(l == null ? null : l.acquire(), 99),
                    us(l == null ? null : l.release(), 50),
                    us(l == null ? null : l.pair(), 50),
                    us(l == null ? null : l.pair(), 99),
                    ratio(l, base == null ? null : base.latency()),
                    t == null ? "-" : Format.f("%.1f", t.pairsPerSec()),
                    us(t == null ? null : t.pair(), 50),
                    us(t == null ? null : t.pair(), 99),
                    us(t == null ? null : t.pair(), 99.9),
                    ratio(t, base == null ? null : base.throughput()),
                    r.guardedCommits() < 0 ? "-" : Format.passFail(r.guardedExact()));
        }
    }

    private static String us(Histogram h, double percentile) {
        return h == null || h.getTotalCount() == 0 ? "-" : Long.toString(h.getValueAtPercentile(percentile));
    }

    private static String ratio(Phase p, Phase base) {
        return p == null || base == null || base.pairsPerSec() == 0
                ? "-"
                : Format.f("%.2f", p.pairsPerSec() / base.pairsPerSec());
    }

    String json(Map<LockWorkload, Result> results) {
        List<Object> workloads = new ArrayList<>();
        for (Result r : results.values()) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("name", r.workload().id());
            j.put("latency", json(r.latency()));
            j.put("throughput", json(r.throughput()));
            if (r.guardedCommits() >= 0) {
                j.put("guardedCommits", r.guardedCommits());
                j.put("guardedCounterTotal", r.guardedCounterTotal());
                j.put("guardedCheck", Format.passFail(r.guardedExact()));
            }
            if (!r.workload().redisson()) {
                Map<String, Object> ratios = new LinkedHashMap<>();
                for (LockWorkload b : BASELINES) {
                    Result base = results.get(b);
                    if (base != null) {
                        ratios.put(b.id(), ratios(r, base));
                    }
                }
                j.put("ratioTo", ratios);
            }
            j.put("configured", r.configuration());
            workloads.add(j);
        }
        Map<String, Object> top = new LinkedHashMap<>();
        top.put("concurrency", concurrency);
        top.put("locks", locks);
        top.put("durationSec", durationSeconds);
        top.put("warmupSec", warmupSeconds);
        top.put("workloads", workloads);
        return JsonMapper.shared().writeValueAsString(top);
    }

    private static Map<String, Object> json(Phase p) {
        if (p == null) {
            return null;
        }
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("workers", p.workers());
        j.put("locks", p.locks());
        j.put("pairsPerSec", round(p.pairsPerSec(), 1));
        j.put("pairs", p.pairs());
        j.put("durationSec", round(p.seconds(), 3));
        putMicros(j, "acquire", p.acquire());
        putMicros(j, "release", p.release());
        putMicros(j, "pair", p.pair());
        j.put("failures", new LinkedHashMap<>(p.failures()));
        Map<String, Object> commands = new LinkedHashMap<>();
        p.commands().total().forEach((name, c) -> commands.put(name, round(p.perPair(c.calls()), 4)));
        j.put("commandsPerPair", commands);
        j.put("serverUsecPerPair", round(p.perPair(p.commands().totalUsec()), 2));
        return j;
    }

    private static void putMicros(Map<String, Object> j, String what, Histogram h) {
        boolean any = h.getTotalCount() > 0;
        j.put(what + "P50Us", any ? h.getValueAtPercentile(50) : null);
        j.put(what + "P99Us", any ? h.getValueAtPercentile(99) : null);
        j.put(what + "P999Us", any ? h.getValueAtPercentile(99.9) : null);
    }

    /** redtx / baseline: pairs per second (higher is better for redtx) and latencies (lower is better). */
    private static Map<String, Object> ratios(Result r, Result base) {
        Map<String, Object> j = new LinkedHashMap<>();
        if (r.latency() != null && base.latency() != null) {
            j.put(
                    "latencyPairsPerSec",
                    div(r.latency().pairsPerSec(), base.latency().pairsPerSec()));
            j.put(
                    "latencyAcquireP50",
                    div(p(r.latency().acquire(), 50), p(base.latency().acquire(), 50)));
            j.put(
                    "latencyPairP50",
                    div(p(r.latency().pair(), 50), p(base.latency().pair(), 50)));
            j.put(
                    "latencyPairP99",
                    div(p(r.latency().pair(), 99), p(base.latency().pair(), 99)));
        }
        if (r.throughput() != null && base.throughput() != null) {
            j.put(
                    "throughputPairsPerSec",
                    div(r.throughput().pairsPerSec(), base.throughput().pairsPerSec()));
            j.put(
                    "throughputPairP50",
                    div(p(r.throughput().pair(), 50), p(base.throughput().pair(), 50)));
            j.put(
                    "throughputPairP99",
                    div(p(r.throughput().pair(), 99), p(base.throughput().pair(), 99)));
        }
        return j;
    }

    private static double p(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(percentile);
    }

    private static Double div(double a, double b) {
        return b == 0 ? null : round(a / b, 3);
    }

    /**
     * One phase of one workload.
     *
     * @param name latency or throughput
     * @param workers concurrent workers
     * @param locks lock names they picked from
     * @param seconds length of the measured window
     * @param pairs pairs (acquire and release) that finished in the window
     * @param failures failed pairs in the window, by exception type
     * @param firstFailures the first failure of each type
     * @param acquire acquisition latencies, microseconds
     * @param release release latencies, microseconds
     * @param pair pair latencies (the guarded transaction included), microseconds
     * @param finishedForStats pairs finished between the two commandstats snapshots (window and drain)
     * @param commands the commandstats deltas
     */
    record Phase(
            String name,
            int workers,
            int locks,
            double seconds,
            long pairs,
            Map<String, Long> failures,
            Map<String, Throwable> firstFailures,
            Histogram acquire,
            Histogram release,
            Histogram pair,
            long finishedForStats,
            CommandStats commands) {

        double pairsPerSec() {
            return pairs / seconds;
        }

        double perPair(long count) {
            return finishedForStats == 0 ? Double.NaN : (double) count / finishedForStats;
        }
    }

    /**
     * What one workload did.
     *
     * @param workload the workload
     * @param configuration how its client was configured
     * @param latency the latency phase, or null if not run
     * @param throughput the throughput phase, or null if not run
     * @param guardedCommits guarded transactions that committed, all phases and windows; -1 if not guarded
     * @param guardedCounterTotal the counters' sum on the server; -1 if not guarded
     * @param droppedErrors errors Reactor dropped during the workload
     */
    record Result(
            LockWorkload workload,
            String configuration,
            Phase latency,
            Phase throughput,
            long guardedCommits,
            long guardedCounterTotal,
            long droppedErrors) {

        List<Phase> phases() {
            List<Phase> list = new ArrayList<>();
            if (latency != null) {
                list.add(latency);
            }
            if (throughput != null) {
                list.add(throughput);
            }
            return list;
        }

        boolean guardedExact() {
            return guardedCommits == guardedCounterTotal && guardedCommits > 0;
        }

        /** @return pairs in every phase run, and for the guarded workload counters equal to its commits */
        boolean passed() {
            return phases().stream().allMatch(p -> p.pairs() > 0) && (guardedCommits < 0 || guardedExact());
        }
    }
}
