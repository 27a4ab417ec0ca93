package io.redtx.samples.bank;

import io.redtx.api.CommitProtocol;
import io.redtx.api.TransactionConflictException;
import io.redtx.samples.load.Counts;
import io.redtx.samples.load.Latency;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Recorder;

/**
 * The bank demo's figures of one window of the run (warm-up, measured, drain). Updated from Reactor and Netty threads
 * with wait-free structures only (LongAdder, HdrHistogram's Recorder, ConcurrentHashMap); read by the main thread.
 */
final class BankWindow {
    final LongAdder committed = new LongAdder();
    final LongAdder insufficient = new LongAdder();
    final LongAdder retries = new LongAdder();
    final LongAdder retried = new LongAdder();
    final AtomicInteger maxAttemptsSeen = new AtomicInteger();
    final Map<CommitProtocol, LongAdder> protocols = new ConcurrentHashMap<>();
    final Counts failed = new Counts();
    final Recorder latency = Latency.recorder();
    final Map<CommitProtocol, Recorder> latencyByProtocol = Map.of(
            CommitProtocol.ONE_PHASE, Latency.recorder(),
            CommitProtocol.TWO_PHASE, Latency.recorder(),
            CommitProtocol.NONE, Latency.recorder());
    final LongAdder audits = new LongAdder();
    final LongAdder auditViolations = new LongAdder();
    final LongAdder auditRetries = new LongAdder();
    final Counts auditsFailed = new Counts();
    final Recorder auditLatency = Latency.recorder();

    void transferDone(Bank.Transfer t, long nanos) {
        int attempts = t.commit().attempts();
        if (attempts > 1) {
            retries.add(attempts - 1);
            retried.increment();
        }
        maxAttemptsSeen.accumulateAndGet(attempts, Math::max);
        if (t.status() == Bank.Status.INSUFFICIENT_FUNDS) {
            insufficient.increment();
            return;
        }
        committed.increment();
        protocols.computeIfAbsent(t.commit().protocol(), p -> new LongAdder()).increment();
        long micros = Latency.micros(nanos);
        latency.recordValue(micros);
        latencyByProtocol.get(t.commit().protocol()).recordValue(micros);
    }

    void transferFailed(Throwable e, int maxAttempts) {
        if (e instanceof TransactionConflictException) {
            retries.add(maxAttempts - 1);
        }
        failed.add(e);
    }

    void auditDone(Bank.Audit a, long nanos) {
        audits.increment();
        if (!a.consistent()) {
            auditViolations.increment();
        }
        auditRetries.add(a.commit().attempts() - 1);
        auditLatency.recordValue(Latency.micros(nanos));
    }

    void auditFailed(Throwable e) {
        auditsFailed.add(e);
    }

    long byProtocol(CommitProtocol p) {
        LongAdder a = protocols.get(p);
        return a == null ? 0 : a.sum();
    }

    /**
     * @return the transfers of this window by how they ended: {@code transferred}, {@code insufficientFunds}
     *     (committed read-only), then failures by exception type
     */
    Map<String, Long> outcomes() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("transferred", committed.sum());
        m.put("insufficientFunds", insufficient.sum());
        m.putAll(failed.snapshot());
        return m;
    }

    /** @return the first failure of each kind ("audit X", "transfer X"), sorted */
    Map<String, Throwable> firstFailures() {
        Map<String, Throwable> m = new TreeMap<>();
        failed.first().forEach((kind, e) -> m.put("transfer " + kind, e));
        auditsFailed.first().forEach((kind, e) -> m.put("audit " + kind, e));
        return m;
    }
}
