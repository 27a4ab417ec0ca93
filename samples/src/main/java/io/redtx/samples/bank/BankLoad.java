package io.redtx.samples.bank;

import io.redtx.api.IntakeOptions;
import io.redtx.api.RecoveryReport;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.Transaction;
import io.redtx.api.TransactionConflictException;
import io.redtx.api.TransactionOutcome;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.metrics.TransactionMetrics;
import io.redtx.samples.load.DroppedErrors;
import io.redtx.samples.load.EmbeddedServers;
import io.redtx.samples.load.Format;
import io.redtx.samples.load.Phases;
import io.redtx.samples.load.Progress;
import io.redtx.test.redis.IntentCount;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * One run of the bank demo once its accounts are seeded: transfers and audits for the warm-up and the measured window,
 * the faults of {@code --chaos}, the drain, then the checks. Blocks the main thread, which only watches the clock.
 */
final class BankLoad {

    private final BankDemo demo;
    private final EmbeddedServers servers;
    private final TransactionRuntime runtime;
    private final Bank bank;
    private final Live live;
    private final Random random;
    private final Phases<BankWindow> phases = new Phases<>(BankWindow::new);

    /**
     * @param demo the options and the output
     * @param servers the embedded servers, or {@code null} with {@code --participant}
     * @param live the runtime's metrics
     */
    BankLoad(BankDemo demo, EmbeddedServers servers, TransactionRuntime runtime, Bank bank, Live live) {
        this.demo = demo;
        this.servers = servers;
        this.runtime = runtime;
        this.bank = bank;
        this.live = live;
        this.random = demo.seed == null ? new Random() : new Random(demo.seed);
    }

    /**
     * Runs the load, the checks and the clean-up.
     *
     * @param droppedErrors errors Reactor dropped, for the report
     * @return the report
     * @throws Exception if the load cannot run to its end
     */
    BankReport run(DroppedErrors droppedErrors) throws Exception {
        Mono<Void> transfers = demo.intake == null
                ? phases.ticks()
                        .flatMap(tick -> timedTransfer(), demo.concurrency)
                        .then()
                : intakeTransfers();
        Mono<Void> audits = demo.auditConcurrency == 0
                ? Mono.empty()
                : phases.ticks()
                        .flatMap(tick -> timedAudit(), demo.auditConcurrency)
                        .then();
        CompletableFuture<Void> load = Mono.when(transfers, audits).toFuture();
        phases.start(demo.warmupSeconds, demo.durationSeconds);

        // The main thread only watches the clock: it rewrites the progress line every second and switches the
        // window at the end of the warm-up and of the measured period. Faults come from a thread of their own.
        Progress progress = new Progress(
                phases,
                null,
                () -> Format.f("%d conflicts, %d in flight", live.conflicts.sum(), live.inFlight.getAsInt()));
        phases.awaitWarmup(demo.progress, load, progress);
        phases.startMeasured();
        Chaos faults = null;
        Thread faultThread = null;
        if (demo.chaos) {
            faults = new Chaos(
                    servers.list(),
                    bank.participants(),
                    BankDemo.CHAOS_LEASE,
                    phases.startedAt(),
                    phases.endsAt(),
                    this::event);
            faultThread = new Thread(faults, "bank-demo-chaos");
            faultThread.setDaemon(true);
            faultThread.start();
        }
        try {
            phases.awaitEnd(demo.progress, load, progress);
            phases.endMeasured();
        } finally {
            if (faults != null) {
                faults.stop();
                // Every fault is healed before the thread ends: only then may the drain wait for the transfers.
                faultThread.join(TimeUnit.SECONDS.toMillis(60));
            }
        }
        phases.awaitDrain(demo.progress, load, BankDemo.DRAIN_LIMIT, "bank-demo");

        RecoveryReport recovery = null;
        if (demo.chaos) {
            // Past the lease every intent a fault left is expired: one pass settles them all (the background pass
            // may already have), so the checks below read a settled state.
            demo.out.println(
                    Format.f("waiting out the %d ms lease, then one recovery pass", BankDemo.CHAOS_LEASE.toMillis()));
            Thread.sleep(BankDemo.CHAOS_LEASE.toMillis() + 500);
            recovery = runtime.recover().block(Duration.ofMinutes(1));
        }
        Bank.Invariant invariant = null;
        Throwable invariantError = null;
        try {
            invariant = bank.checkInvariant().block(Duration.ofMinutes(5));
        } catch (RuntimeException e) {
            invariantError = e;
        }
        long auditViolations = phases.measured().auditViolations.sum()
                + phases.warmup().auditViolations.sum()
                + phases.drain().auditViolations.sum();
        boolean invariantHolds = invariant != null && invariant.holds() && auditViolations == 0;
        String cleanUp = servers == null ? cleanUp(invariantHolds) : null;
        // Background roll-forwards and clean-ups finish before the runtime closes; only then are leftovers real.
        runtime.closeGracefully().block(Duration.ofSeconds(60));
        IntentCount leftovers =
                servers == null ? null : IntentCount.on(RuntimeOptions.DEFAULT_NAMESPACE, servers.list());
        Throwable chaosFailure = faults == null ? null : faults.failure();
        boolean ok = invariantHolds && (leftovers == null || leftovers.none()) && chaosFailure == null;
        return new BankReport(
                demo,
                servers != null,
                phases,
                live.conflicts.sum(),
                phases.measured().latency.getIntervalHistogram(),
                invariant,
                invariantError,
                auditViolations,
                invariantHolds,
                leftovers,
                recovery,
                faults == null ? Map.of() : faults.injected(),
                chaosFailure,
                droppedErrors.sum(),
                cleanUp,
                ok);
    }

    /**
     * With {@code --participant}: deletes the accounts the demo wrote once the checks passed, or keeps them for
     * inspection.
     *
     * @return what was done, for the report
     */
    private String cleanUp(boolean checksPassed) {
        String keys = "the account keys acct:0 .. acct:" + (demo.accounts - 1);
        if (!checksPassed) {
            return "kept " + keys + " for inspection; delete them before the next run";
        }
        try {
            bank.deleteAccounts().block(Duration.ofMinutes(5));
            return "deleted " + keys;
        } catch (RuntimeException e) {
            return "could not delete " + keys + ": " + Format.describe(e);
        }
    }

    /**
     * The transfers of {@code --intake} mode: one intake fed by the ticks of the run, so the source makes a request
     * only when the intake asks for one and completes at the end of the measured window. Stopping the source rather
     * than cancelling the outcomes lets the transfers in flight finish (a cancel would roll them back); the intake
     * then completes once their outcomes are out, which is the drain.
     */
    private Mono<Void> intakeTransfers() {
        Flux<TransferRequest> requests = phases.ticks()
                .map(tick ->
                        new TransferRequest(bank.randomTransfer(random, demo.crossParticipant), System.nanoTime()));
        IntakeOptions options =
                IntakeOptions.builder().maxInFlight(demo.intake).ordered(false).build();
        return runtime.intake(requests, (TransferRequest r, Transaction tx) -> bank.transfer(tx, r.order()), options)
                .doOnNext(this::recordOutcome)
                .then();
    }

    private void recordOutcome(TransactionOutcome<TransferRequest, Bank.Status> o) {
        TransferRequest r = o.request();
        if (o.status() == TransactionOutcome.Status.COMMITTED) {
            transferDone(new Bank.Transfer(r.order(), o.value(), o.commit()), System.nanoTime() - r.emittedAt());
        } else {
            phases.current().transferFailed(o.error(), demo.maxAttempts);
        }
    }

    private void transferDone(Bank.Transfer t, long nanos) {
        phases.current().transferDone(t, nanos);
        if (t.status() == Bank.Status.TRANSFERRED) {
            phases.moved(nanos);
        }
    }

    private Mono<Void> timedTransfer() {
        return Mono.defer(() -> {
            long start = System.nanoTime();
            return bank.transfer(random, demo.crossParticipant)
                    .doOnNext(t -> transferDone(t, System.nanoTime() - start))
                    .then()
                    .onErrorResume(e -> {
                        phases.current().transferFailed(e, demo.maxAttempts);
                        return Phases.backoff();
                    });
        });
    }

    private Mono<Void> timedAudit() {
        return Mono.defer(() -> {
            long start = System.nanoTime();
            return bank.audit(random.nextInt(bank.groups()))
                    .doOnNext(a -> phases.current().auditDone(a, System.nanoTime() - start))
                    .then()
                    .onErrorResume(e -> {
                        phases.current().auditFailed(e);
                        return Phases.backoff();
                    });
        });
    }

    /** One line of its own (a fault event): blanks the progress line first; the next tick writes it again. */
    private void event(String line) {
        demo.progress.event(demo.out, line);
    }

    /** One transfer of {@code --intake} mode, chosen when the source emits it; {@code emittedAt} starts its latency. */
    record TransferRequest(Bank.TransferOrder order, long emittedAt) {}

    /**
     * What the progress line shows besides the transfers, fed from Reactor and Netty threads with wait-free
     * structures only: the runtime's metrics SPI (conflicts, the in-flight count).
     */
    static final class Live implements TransactionMetrics {
        final LongAdder conflicts = new LongAdder();
        volatile IntSupplier inFlight = () -> 0;

        @Override
        public void conflict(TransactionConflictException.Reason reason) {
            conflicts.increment();
        }

        @Override
        public void inFlight(IntSupplier inFlight) {
            this.inFlight = inFlight;
        }
    }
}
