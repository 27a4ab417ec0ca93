package io.redtx.samples.bank;

import static io.redtx.samples.load.Format.describe;
import static io.redtx.samples.load.Format.f;
import static io.redtx.samples.load.Format.passFail;
import static io.redtx.samples.load.Format.round;

import io.redtx.api.CommitProtocol;
import io.redtx.api.RecoveryReport;
import io.redtx.samples.load.Format;
import io.redtx.samples.load.Latency;
import io.redtx.samples.load.Phases;
import io.redtx.test.redis.IntentCount;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the bank demo reports at the end of its run: the text report, the {@code RESULT} line and the JSON line.
 *
 * @param demo the options of the run
 * @param embedded whether the demo started the servers (else {@code --participant})
 * @param phases the windows of the run
 * @param conflicts conflicts in the whole run, every transaction
 * @param latency the latency of the measured window's committed transfers (a Recorder's interval histogram can be
 *     taken only once, so it is taken once, here)
 * @param invariant the final check, or {@code null} if it could not run ({@code invariantError} says why)
 * @param leftovers intents left on the embedded servers, or {@code null} with {@code --participant}
 * @param recovery the final recovery pass of {@code --chaos}, or {@code null}
 * @param faults faults injected by kind, empty without {@code --chaos}
 * @param cleanUp what became of the account keys on {@code --participant} servers, or {@code null}
 */
record BankReport(
        BankDemo demo,
        boolean embedded,
        Phases<BankWindow> phases,
        long conflicts,
        Histogram latency,
        Bank.Invariant invariant,
        Throwable invariantError,
        long auditViolations,
        boolean invariantHolds,
        IntentCount leftovers,
        RecoveryReport recovery,
        Map<String, Long> faults,
        Throwable chaosFailure,
        long droppedErrors,
        String cleanUp,
        boolean ok) {

    long faultsTotal() {
        return faults.values().stream().mapToLong(Long::longValue).sum();
    }

    void print(PrintStream out) {
        BankWindow m = phases.measured();
        double secs = phases.measuredSeconds();
        out.println(f("== report: %s; measured window %.2f s", demo.mode(), secs));
        out.println(f(
                "transfers committed: %d (%.1f/s)  [one-phase %d, two-phase %d]",
                m.committed.sum(),
                m.committed.sum() / secs,
                m.byProtocol(CommitProtocol.ONE_PHASE),
                m.byProtocol(CommitProtocol.TWO_PHASE)));
        out.println("latency of committed transfers (ms, retries included"
                + (demo.intake == null ? "" : ", from the request's emission to its outcome") + "): "
                + Latency.percentiles(latency));
        for (CommitProtocol p : List.of(CommitProtocol.ONE_PHASE, CommitProtocol.TWO_PHASE)) {
            Histogram h = m.latencyByProtocol.get(p).getIntervalHistogram();
            if (h.getTotalCount() > 0) {
                out.println("  " + p + ": " + Latency.percentiles(h));
            }
        }
        out.println("outcomes: " + m.outcomes());
        out.println(f(
                "conflicts: %d in the whole run (every transaction); retries in the window: %d conflicted attempts"
                        + " retried (%d committed transfers needed more than one attempt, max %d attempts)",
                conflicts, m.retries.sum(), m.retried.sum(), m.maxAttemptsSeen.get()));
        m.firstFailures().forEach((kind, e) -> out.println("  first " + kind + ": " + describe(e)));
        out.println(f(
                "audits: %d done (%.1f/s), %d saw a wrong group sum, %d failed %s, %d retries; latency ms %s",
                m.audits.sum(),
                m.audits.sum() / secs,
                m.auditViolations.sum(),
                m.auditsFailed.total(),
                m.auditsFailed,
                m.auditRetries.sum(),
                Latency.percentiles(m.auditLatency.getIntervalHistogram())));
        BankWindow w = phases.warmup();
        BankWindow d = phases.drain();
        out.println(f(
                "outside the window: warm-up %d committed, %d failed, %d audits (%d violations); drain %d committed,"
                        + " %d failed, %d audits (%d violations)",
                w.committed.sum(),
                w.failed.total(),
                w.audits.sum(),
                w.auditViolations.sum(),
                d.committed.sum(),
                d.failed.total(),
                d.audits.sum(),
                d.auditViolations.sum()));
        if (demo.chaos) {
            out.println(f(
                    "faults injected: %d kill -9 and restart, %d SIGSTOP past the lease%s",
                    faults.getOrDefault(Chaos.KILL, 0L),
                    faults.getOrDefault(Chaos.PAUSE, 0L),
                    chaosFailure == null ? "" : "; FAILED: " + describe(chaosFailure)));
            out.println("recovery pass: " + recovery);
        }
        if (invariant == null) {
            out.println("invariant: could not be checked: " + describe(invariantError) + ": FAIL");
        } else {
            out.println(f(
                    "invariant: total %d, expected %d; %d groups, %d inconsistent; %d audits saw a wrong group sum"
                            + " during the run: %s",
                    invariant.total(),
                    invariant.expected(),
                    invariant.groups(),
                    invariant.inconsistentGroups().size(),
                    auditViolations,
                    invariantHolds ? "PASS" : "FAIL " + invariant.inconsistentGroups()));
        }
        if (cleanUp != null) {
            out.println("clean-up: " + cleanUp);
        }
        out.println(
                leftovers == null
                        ? "intents left: not counted on --participant servers"
                        : "intents left: " + Format.intents(leftovers));
        out.println(
                f("errors dropped after cancellation (a sibling leg or read had already failed): %d", droppedErrors));
    }

    String summary() {
        return f(
                "RESULT: %s  %.1f transfers/s, p99 %s ms, invariant %s%s",
                passFail(ok),
                phases.measured().committed.sum() / phases.measuredSeconds(),
                latency.getTotalCount() == 0 ? "n/a" : f("%.2f", Latency.millis(latency, 99)),
                passFail(invariantHolds),
                demo.chaos ? ", faults " + faultsTotal() + " " + faults : "");
    }

    String json() {
        BankWindow m = phases.measured();
        double secs = phases.measuredSeconds();
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("mode", demo.intake == null ? "workers" : "intake");
        j.put("servers", embedded ? "embedded" : "external");
        j.put("persistence", embedded ? demo.inMemory ? "in-memory" : "aof-always" : null);
        j.put("chaos", demo.chaos);
        j.put("participants", embedded ? demo.participants : demo.participantUris.size());
        j.put("accounts", demo.accounts);
        j.put("concurrency", demo.intake == null ? demo.concurrency : demo.intake);
        j.put("durationSec", round(secs, 3));
        j.put("transfersCommitted", m.committed.sum());
        j.put("txPerSec", round(m.committed.sum() / secs, 1));
        Latency.putJson(j, latency);
        j.put("outcomes", m.outcomes());
        j.put("conflicts", conflicts);
        j.put("audits", m.audits.sum());
        j.put("auditViolations", auditViolations);
        j.put("invariant", passFail(invariantHolds));
        j.put("intentsLeft", leftovers == null ? null : Format.total(leftovers));
        j.put("faults", faults);
        j.put("faultsInjected", faultsTotal());
        j.put("result", passFail(ok));
        return JsonMapper.shared().writeValueAsString(j);
    }
}
