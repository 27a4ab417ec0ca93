package io.redtx.benchmarks;

import static io.redtx.samples.load.Format.round;

import io.redtx.samples.load.Format;
import io.redtx.samples.load.Latency;
import io.redtx.test.redis.IntentCount;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;
import tools.jackson.databind.json.JsonMapper;

/** The load program's report: each workload's figures when it ends, then the table and the JSON line of them all. */
final class LoadReport {

    /**
     * The most throughput an outbox message may cost, in percent of the plain workload's: the target the outbox
     * workloads report against (not a check: a single run on shared cores is too noisy to fail on).
     */
    static final double OUTBOX_COST_TARGET_PCT = 15;

    private final PrintStream out;
    private final int concurrency;
    private final int accounts;
    private final int durationSeconds;
    private final int warmupSeconds;

    LoadReport(PrintStream out, int concurrency, int accounts, int durationSeconds, int warmupSeconds) {
        this.out = out;
        this.concurrency = concurrency;
        this.accounts = accounts;
        this.durationSeconds = durationSeconds;
        this.warmupSeconds = warmupSeconds;
    }

    /**
     * Prints one workload's report.
     *
     * @param r the workload's figures
     * @param plain for an outbox workload, its plain counterpart's figures when it ran, else null
     */
    void print(Result r, Result plain) {
        Workload w = r.workload();
        out.printf(Locale.ROOT, "== %s: %s%n", w.id(), w.description());
        out.printf(
                Locale.ROOT,
                "  transfers: %d in %.2f s = %.1f tx/s; %d insufficient funds; %d retries after conflicts; failed: %s%n",
                r.transferred(),
                r.seconds(),
                r.txPerSec(),
                r.insufficient(),
                r.retries(),
                r.failures().isEmpty() ? "none" : r.failures());
        r.firstFailures().forEach((kind, e) -> out.println("    first " + kind + ": " + Format.describe(e)));
        out.println("  latency ms (transfers that moved money): " + Latency.percentiles(r.latency()));
        out.printf(
                Locale.ROOT,
                "  commandstats per transfer (all servers, from the measured window to the end of the drain, /%d"
                        + " transfers finished then; Redis also counts the commands a script runs):%n",
                r.finishedForStats());
        Map<String, CommandStats.Calls> total = r.commands().total();
        String scripts = calls(r, total, Kind.SCRIPT, 1);
        out.println("    script calls: " + scripts
                + (scripts.equals("none") || w.shardsPerTransfer() == 1
                        ? ""
                        : " = " + calls(r, total, Kind.SCRIPT, w.shardsPerTransfer()) + " per server touched ("
                                + w.shardsPerTransfer() + " per transfer)"));
        out.printf(
                Locale.ROOT,
                "    commands refused inside scripts (own round trips): %s%n",
                calls(r, total, Kind.CLIENT, 1));
        out.printf(
                Locale.ROOT,
                "    other commands (sent by a client, or run by a script): %s%n",
                calls(r, total, Kind.OTHER, 1));
        List<String> byServer = new ArrayList<>();
        for (int i = 0; i < r.commands().servers().size(); i++) {
            Map<String, CommandStats.Calls> s = r.commands().servers().get(i);
            byServer.add("s" + i + " " + (s.isEmpty() ? "-" : calls(r, s, null, 1)));
        }
        out.println("    by server: " + String.join("; ", byServer));
        out.printf(
                Locale.ROOT,
                "    server time: %.1f us per transfer (sum of commandstats usec)%n",
                r.perTransfer(r.commands().totalUsec()));
        Layout.Balances b = r.balances();
        out.printf(
                Locale.ROOT,
                "  balances: total %d, expected %d (drift %d), %d negative, %d missing: %s%n",
                b.total(),
                b.expected(),
                b.drift(),
                b.negative(),
                b.missing(),
                w.atomic()
                        ? (b.intact() ? "PASS" : "FAIL")
                        : (b.drift() == 0 ? "unchanged" : "changed") + " (not checked: " + w.id() + " is not atomic)");
        if (r.intents() != null) {
            out.println("  intents left: " + Format.intents(r.intents()));
        }
        OutboxCheck o = r.outbox();
        if (o != null) {
            out.printf(
                    Locale.ROOT,
                    "  outbox messages: %d appended (XINFO STREAM entries-added), %d transfers committed (warm-up,"
                            + " measured and drain); match: %s; stream length now %d (trimmed to ~%d): %s%n",
                    o.appended(),
                    o.committed(),
                    o.matches(),
                    o.length(),
                    Workload.OUTBOX_MAX_LEN,
                    o.matches() ? "PASS" : "FAIL");
            out.println("  " + outboxCost(r, plain));
        }
        if (w.replicated()) {
            out.println("  " + replicationCost(r, plain));
        }
        Audits a = r.audits();
        if (a != null) {
            out.printf(
                    Locale.ROOT,
                    "  audits beside the transfers: %d done (%.1f/s), %d retries, %d saw a wrong group sum, failed %s;"
                            + " latency ms p50 %.3f  p99 %.3f%n",
                    a.done(),
                    a.done() / r.seconds(),
                    a.retries(),
                    a.inconsistent(),
                    a.failures(),
                    a.percentileMs(50),
                    a.percentileMs(99));
        }
        if (r.droppedErrors() > 0) {
            out.printf(Locale.ROOT, "  errors dropped after a sibling failed: %d%n", r.droppedErrors());
        }
        out.flush();
    }

    /** Which commands of commandstats a list shows. */
    private enum Kind {
        SCRIPT,
        CLIENT,
        OTHER
    }

    private static Kind kind(Result r, String command) {
        if (CommandStats.SCRIPT_CALLS.contains(command)) {
            return Kind.SCRIPT;
        }
        return r.clientOnly().getOrDefault(command, false) ? Kind.CLIENT : Kind.OTHER;
    }

    /** "evalsha 6.000, get 1.000, ..." of the commands of {@code kind} (all if null), per transfer / {@code per}. */
    private static String calls(Result r, Map<String, CommandStats.Calls> stats, Kind kind, int per) {
        List<String> parts = new ArrayList<>();
        stats.forEach((name, c) -> {
            if (kind == null || kind(r, name) == kind) {
                double value = r.perTransfer(c.calls()) / per;
                parts.add(
                        value >= 0.01
                                ? String.format(Locale.ROOT, "%s %.3f", name, value)
                                : String.format(Locale.ROOT, "%s %.5f (%d calls)", name, value, c.calls()));
            }
        });
        return parts.isEmpty() ? "none" : String.join(", ", parts);
    }

    void table(Map<Workload, Result> results) {
        Result a = results.get(Workload.RAW_FANOUT);
        Result b = results.get(Workload.LUA_SINGLE);
        out.printf(
                Locale.ROOT,
                "== summary: concurrency %d, %d accounts, %d s measured after %d s warm-up per workload;"
                        + " (a) = raw-fanout, (b) = lua-single%n",
                concurrency,
                accounts,
                durationSeconds,
                warmupSeconds);
        String format = "%-16s %10s %8s %8s %8s %8s %8s %8s  %-8s  %s%n";
        out.printf(
                Locale.ROOT,
                format,
                "workload",
                "tx/s",
                "p50 ms",
                "p99 ms",
                "p999 ms",
                "x(a)",
                "x(b)",
                "p99/(a)",
                "balances",
                "commands per transfer (* = refused inside scripts)");
        for (Result r : results.values()) {
            out.printf(
                    Locale.ROOT,
                    format,
                    r.workload().id(),
                    String.format(Locale.ROOT, "%.1f", r.txPerSec()),
                    ms(r, 50),
                    ms(r, 99),
                    ms(r, 99.9),
                    ratio(r.txPerSec(), a == null ? null : a.txPerSec()),
                    ratio(r.txPerSec(), b == null ? null : b.txPerSec()),
                    ratio(r.p99(), a == null ? null : a.p99()),
                    r.balanceCheck(),
                    commandsColumn(r));
        }
        for (Result r : results.values()) {
            Result plain = r.workload().plain().map(results::get).orElse(null);
            if (r.workload().outbox()) {
                out.println(outboxCost(r, plain));
            }
            if (r.workload().replicated()) {
                out.println(replicationCost(r, plain));
            }
        }
    }

    /**
     * {@code outbox cost: X% throughput ...}: how much less throughput the outbox workload had than its plain
     * counterpart in this run, against the target.
     */
    private static String outboxCost(Result r, Result plain) {
        String plainId = r.workload().plain().map(Workload::id).orElseThrow();
        Double cost = outboxCostPct(r, plain);
        if (cost == null) {
            return "outbox cost: n/a (" + r.workload().id() + " needs " + plainId + " in the same run)";
        }
        return String.format(
                Locale.ROOT,
                "outbox cost: %.1f%% throughput (%s %.1f tx/s against %s %.1f tx/s, ratio %.3f); target <= %.0f%%: %s",
                cost,
                r.workload().id(),
                r.txPerSec(),
                plainId,
                plain.txPerSec(),
                r.txPerSec() / plain.txPerSec(),
                OUTBOX_COST_TARGET_PCT,
                cost <= OUTBOX_COST_TARGET_PCT ? "met" : "missed");
    }

    /**
     * {@code replication cost: X% throughput, p99 a -> b ms ...}: what waiting for a replica on every step cost against
     * the same transfers without the wait in this run (both with the replicas running). No target: a figure to know.
     */
    private static String replicationCost(Result r, Result plain) {
        String plainId = r.workload().plain().map(Workload::id).orElseThrow();
        if (plain == null || plain.txPerSec() == 0) {
            return "replication cost: n/a (" + r.workload().id() + " needs " + plainId + " in the same run)";
        }
        return String.format(
                Locale.ROOT,
                "replication cost: %.1f%% throughput (%s %.1f tx/s against %s %.1f tx/s), p99 %s ms against %s ms",
                100 * (1 - r.txPerSec() / plain.txPerSec()),
                r.workload().id(),
                r.txPerSec(),
                plainId,
                plain.txPerSec(),
                ms(r, 99),
                ms(plain, 99));
    }

    /** @return the throughput the message costs in percent of {@code plain}'s (negative: noise in its favour) */
    private static Double outboxCostPct(Result r, Result plain) {
        if (plain == null || plain.txPerSec() == 0 || !r.workload().outbox()) {
            return null;
        }
        return 100 * (1 - r.txPerSec() / plain.txPerSec());
    }

    private static String ms(Result r, double percentile) {
        return r.latency().getTotalCount() == 0 ? "-" : String.format(Locale.ROOT, "%.2f", r.percentileMs(percentile));
    }

    private static String ratio(double value, Double base) {
        return base == null || base == 0 || Double.isNaN(value) || Double.isNaN(base)
                ? "-"
                : String.format(Locale.ROOT, "%.2f", value / base);
    }

    /**
     * Script calls, then commands refused in scripts (marked *), then the rest: by name when no script ran, else summed
     * up as "(+N other)" (they ran inside the scripts, or were sent: the workload's report lists them). Values under
     * 0.01 per transfer are left out.
     */
    private static String commandsColumn(Result r) {
        List<String> parts = new ArrayList<>();
        long other = 0;
        boolean scripted = false;
        for (Kind kind : Kind.values()) {
            for (Map.Entry<String, CommandStats.Calls> e : r.commands().total().entrySet()) {
                String name = e.getKey();
                long calls = e.getValue().calls();
                if (kind(r, name) != kind) {
                    continue;
                }
                scripted |= kind == Kind.SCRIPT;
                if (kind == Kind.OTHER && scripted) {
                    other += calls;
                } else if (r.perTransfer(calls) >= 0.01) {
                    parts.add(String.format(
                            Locale.ROOT, "%s%s %.2f", name, kind == Kind.CLIENT ? "*" : "", r.perTransfer(calls)));
                }
            }
        }
        if (other > 0) {
            parts.add(String.format(Locale.ROOT, "(+%.2f other)", r.perTransfer(other)));
        }
        return String.join(" ", parts);
    }

    String json(Map<Workload, Result> results) {
        Result a = results.get(Workload.RAW_FANOUT);
        Result b = results.get(Workload.LUA_SINGLE);
        List<Object> workloads = new ArrayList<>();
        for (Result r : results.values()) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("name", r.workload().id());
            j.put("txPerSec", round(r.txPerSec(), 1));
            Latency.putJson(j, r.latency());
            j.put("transfers", r.transferred());
            j.put("durationSec", round(r.seconds(), 3));
            j.put("insufficientFunds", r.insufficient());
            j.put("retries", r.retries());
            j.put("failures", new LinkedHashMap<>(r.failures()));
            j.put("txPerSecRatioToRawFanout", a == null ? null : round(r.txPerSec() / a.txPerSec(), 3));
            j.put("txPerSecRatioToLuaSingle", b == null ? null : round(r.txPerSec() / b.txPerSec(), 3));
            j.put("p99RatioToRawFanout", a == null ? null : round(r.p99() / a.p99(), 3));
            Map<String, Object> commands = new LinkedHashMap<>();
            r.commands().total().forEach((name, c) -> commands.put(name, round(r.perTransfer(c.calls()), 4)));
            j.put("commandsPerTransfer", commands);
            j.put(
                    "scriptCallsPerTransfer",
                    round(
                            r.perTransfer(r.commands().total().entrySet().stream()
                                    .filter(e -> CommandStats.SCRIPT_CALLS.contains(e.getKey()))
                                    .mapToLong(e -> e.getValue().calls())
                                    .sum()),
                            4));
            j.put("serversTouchedPerTransfer", r.workload().shardsPerTransfer());
            j.put("serverUsecPerTransfer", round(r.perTransfer(r.commands().totalUsec()), 2));
            j.put("balanceCheck", r.balanceCheck());
            j.put("totalBalanceDrift", r.balances().drift());
            j.put("negativeBalances", r.balances().negative());
            j.put("intentsLeft", r.intents() == null ? null : Format.total(r.intents()));
            Result plain = r.workload().plain().map(results::get).orElse(null);
            Double cost = outboxCostPct(r, plain);
            j.put("outboxCostPct", cost == null ? null : round(cost, 2));
            j.put("txPerSecRatioToPlain", cost == null ? null : round(r.txPerSec() / plain.txPerSec(), 3));
            j.put("outboxCostTargetMet", cost == null ? null : cost <= OUTBOX_COST_TARGET_PCT);
            j.put(
                    "replicationCostPct",
                    r.workload().replicated() && plain != null && plain.txPerSec() > 0
                            ? round(100 * (1 - r.txPerSec() / plain.txPerSec()), 2)
                            : null);
            OutboxCheck o = r.outbox();
            Map<String, Object> messages = null;
            if (o != null) {
                messages = new LinkedHashMap<>();
                messages.put("appended", o.appended());
                messages.put("committedTransfers", o.committed());
                messages.put("match", o.matches());
                messages.put("streamLength", o.length());
            }
            j.put("outboxMessages", messages);
            Audits audits = r.audits();
            if (audits == null) {
                j.put("audits", null);
            } else {
                Map<String, Object> figures = new LinkedHashMap<>();
                figures.put("done", audits.done());
                figures.put("perSec", round(audits.done() / r.seconds(), 1));
                figures.put("retries", audits.retries());
                figures.put("inconsistent", audits.inconsistent());
                figures.put("failures", new LinkedHashMap<>(audits.failures()));
                figures.put("p50Ms", round(audits.percentileMs(50), 3));
                figures.put("p99Ms", round(audits.percentileMs(99), 3));
                j.put("audits", figures);
            }
            j.put("concurrency", concurrency);
            j.put("accounts", accounts);
            workloads.add(j);
        }
        return JsonMapper.shared().writeValueAsString(Map.of("workloads", workloads));
    }

    /**
     * What one workload did.
     *
     * @param seconds length of the measured window
     * @param transferred transfers that moved money and finished in the window
     * @param insufficient transfers that found too little on the source and finished in the window
     * @param retries attempts beyond the first of the transfers that finished in the window (redtx conflicts)
     * @param failures transfers that failed in the window, by exception type
     * @param firstFailures the first failure of each type
     * @param latency latencies (microseconds) of {@code transferred}
     * @param finishedForStats transfers finished between the two commandstats snapshots (window and drain)
     * @param commands the commandstats deltas
     * @param clientOnly for every command in {@code commands}, whether Redis refuses it inside scripts
     * @param balances the balances after the workload
     * @param intents redtx only: intents left once the runtime closed
     * @param outbox outbox workloads only: the messages appended against the transfers committed
     * @param droppedErrors errors Reactor dropped during the workload
     * @param audits the read-only audits run beside the transfers ({@code --audits}), or null
     */
    record Result(
            Workload workload,
            double seconds,
            long transferred,
            long insufficient,
            long retries,
            Map<String, Long> failures,
            Map<String, Throwable> firstFailures,
            Histogram latency,
            long finishedForStats,
            CommandStats commands,
            Map<String, Boolean> clientOnly,
            Layout.Balances balances,
            IntentCount intents,
            OutboxCheck outbox,
            long droppedErrors,
            Audits audits) {

        double txPerSec() {
            return transferred / seconds;
        }

        double percentileMs(double percentile) {
            return Latency.millis(latency, percentile);
        }

        double p99() {
            return latency.getTotalCount() == 0 ? Double.NaN : percentileMs(99);
        }

        double perTransfer(long count) {
            return finishedForStats == 0 ? Double.NaN : (double) count / finishedForStats;
        }

        /**
         * @return for atomic workloads, whether the total held, nothing was left behind and (outbox) every message
         *     matched a committed transfer
         */
        boolean passed() {
            return !workload.atomic()
                    || ((audits == null || audits.inconsistent() == 0)
                            && balances.intact()
                            && (intents == null || intents.none())
                            && (outbox == null || outbox.matches()));
        }

        /** @return PASS or FAIL for atomic workloads, {@code n/a} for raw-fanout */
        String balanceCheck() {
            return workload.atomic() ? (passed() ? "PASS" : "FAIL") : "n/a";
        }
    }

    /**
     * Read-only audits of groups of accounts that ran beside a workload's transfers, in its measured window.
     *
     * @param done audits that committed
     * @param retries attempts beyond the first of those (a balance they read changed before their commit)
     * @param inconsistent audits that saw a group sum other than the invariant one, or a negative balance
     * @param failures audits that failed, by exception type
     * @param latency latencies (microseconds) of {@code done}
     */
    record Audits(long done, long retries, long inconsistent, Map<String, Long> failures, Histogram latency) {

        double percentileMs(double percentile) {
            return latency.getTotalCount() == 0 ? Double.NaN : Latency.millis(latency, percentile);
        }
    }
}
