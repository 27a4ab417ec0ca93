package io.redtx.runtime.internal.saga;

import io.redtx.api.RedtxArgumentException;
import io.redtx.api.TransactionOptions;
import io.redtx.api.saga.ExternalStep;
import io.redtx.api.saga.SagaContext;
import io.redtx.api.saga.SagaDefinition;
import io.redtx.api.saga.SagaOutcome;
import io.redtx.api.saga.SagaRecovery;
import io.redtx.api.saga.SagaStep;
import io.redtx.api.saga.SagaStepTimeoutException;
import io.redtx.api.saga.TransactionStep;
import io.redtx.runtime.internal.handle.InternalKeys;
import io.redtx.runtime.internal.redis.ParticipantLink;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * One runner of one saga: it owns the saga (its id is the record's owner and the lease's) while it drives it, one
 * recorded transition at a time. Every transition is a redtx transaction that reads the record, checks that it is still
 * what this runner last saw (so a runner that lost the saga to another, or whose earlier attempt committed after all,
 * notices instead of writing over it), and writes the next record; a transaction step's own writes are in that same
 * transaction. The next move is always decided from the record, never from what this runner remembers.
 */
final class SagaRun {

    private static final Logger log = Loggers.getLogger(SagaRun.class);
    private static final TransactionOptions READ_ONLY =
            TransactionOptions.builder().readOnly(true).build();

    private final Sagas sagas;
    private final SagaDefinition def;
    private final String sagaId;
    private final String owner;
    private final ParticipantLink participant;
    private final String recordKey;
    private final String leaseKey;
    /** The error that made this runner compensate or give up, for the outcome it emits; null if none. */
    private volatile Throwable error;

    SagaRun(Sagas sagas, SagaDefinition def, String sagaId) {
        this.sagas = sagas;
        this.def = def;
        this.sagaId = sagaId;
        ThreadLocalRandom r = ThreadLocalRandom.current();
        this.owner = Long.toHexString(r.nextLong()) + Long.toHexString(r.nextLong());
        this.participant = sagas.participantOf(sagaId);
        this.recordKey = sagas.ctx.keys.sagaKey(sagaId);
        this.leaseKey = sagas.ctx.keys.sagaLeaseKey(sagaId);
    }

    // ---- entry points ----

    /** Creates the record and drives the saga, or joins the one that exists. */
    Mono<SagaOutcome> start(Map<String, String> input) {
        SagaRecord created = SagaRecord.created(def, input, owner);
        return sagas.runtime
                .inTransaction(tx -> {
                    InternalKeys k = new InternalKeys(tx, participant);
                    return k.get(recordKey).map(found -> {
                        if (found.isPresent()) {
                            return Optional.of(SagaRecord.decode(found.get()));
                        }
                        write(k, created);
                        k.set(leaseKey, leaseValue(), Duration.ZERO);
                        k.hset(sagas.ctx.keys.sagaIndexKey(), sagaId, def.name());
                        return Optional.<SagaRecord>empty();
                    });
                })
                .flatMap(existing -> {
                    if (existing.isEmpty()) {
                        return drivenWithLease(created);
                    }
                    if (!existing.get().name.equals(def.name())) {
                        return Mono.error(new RedtxArgumentException(
                                null,
                                "saga " + sagaId + " exists as an instance of saga '" + existing.get().name + "', not '"
                                        + def.name() + "'"));
                    }
                    return join();
                });
    }

    /** What one recovery pass does with this saga: take it over if its runner's lease ran out, and drive it. */
    Mono<Sagas.Recovered> recover() {
        return read().flatMap(seen -> {
                    SagaRecord rec = seen.record;
                    if (rec == null || rec.state.terminal()) {
                        return Mono.just(Sagas.Recovered.NOTHING);
                    }
                    if (!seen.leaseExpired()) {
                        return Mono.just(rec.failing ? Sagas.Recovered.FAILING : Sagas.Recovered.NOTHING);
                    }
                    return takeOver(rec)
                            .flatMap(taken -> taken.isEmpty()
                                    ? Mono.just(Sagas.Recovered.NOTHING)
                                    : drivenWithLease(taken.get()).map(outcome -> switch (outcome.status()) {
                                        case COMPLETED -> Sagas.Recovered.RESUMED;
                                        case COMPENSATED -> Sagas.Recovered.COMPENSATED;
                                        case FAILED -> Sagas.Recovered.FAILING;
                                    }));
                })
                .defaultIfEmpty(Sagas.Recovered.NOTHING);
    }

    /**
     * Waits for the saga's end: the outcome of a finished or failing saga at once; else reads the record again every
     * so often, and takes the saga over if its runner's lease runs out.
     */
    private Mono<SagaOutcome> join() {
        return read().flatMap(seen -> {
            SagaRecord rec = seen.record;
            if (rec == null) {
                return Mono.error(new RedtxArgumentException(
                        null, "saga " + sagaId + " has no record (it ended longer ago than its retention)"));
            }
            if (rec.state.terminal() || rec.failing) {
                return Mono.just(rec.outcome(sagaId, def, null));
            }
            if (seen.leaseExpired()) {
                return takeOver(rec).flatMap(taken -> taken.isPresent() ? drivenWithLease(taken.get()) : join());
            }
            return Mono.delay(pollInterval(), sagas.ctx.timer()).then(Mono.defer(this::join));
        });
    }

    private Duration pollInterval() {
        Duration d = def.lease().dividedBy(5);
        return d.compareTo(Duration.ofSeconds(1)) > 0 ? Duration.ofSeconds(1) : d;
    }

    // ---- the record ----

    private record Seen(SagaRecord record, String lease) {
        boolean leaseExpired() {
            if (lease == null) {
                return true;
            }
            int bar = lease.lastIndexOf('|');
            return Long.parseLong(lease.substring(bar + 1)) < System.currentTimeMillis();
        }
    }

    /** The record and the lease, read together; empty if there is no record. */
    private Mono<Seen> read() {
        return sagas.runtime.inTransaction(READ_ONLY, tx -> {
            InternalKeys k = new InternalKeys(tx, participant);
            return k.get(recordKey)
                    .zipWith(k.get(leaseKey))
                    .map(both -> new Seen(
                            both.getT1().map(SagaRecord::decode).orElse(null),
                            both.getT2().orElse(null)));
        });
    }

    /**
     * Makes this runner the owner of a saga whose lease ran out, if the record is still {@code seen} and the lease
     * still expired when the transaction commits: of two runtimes racing for it, one wins.
     */
    private Mono<Optional<SagaRecord>> takeOver(SagaRecord seen) {
        return sagas.runtime.inTransaction(tx -> {
            InternalKeys k = new InternalKeys(tx, participant);
            return k.get(recordKey).zipWith(k.get(leaseKey)).map(both -> {
                SagaRecord rec = both.getT1().map(SagaRecord::decode).orElse(null);
                if (rec == null
                        || !rec.equals(seen)
                        || !new Seen(rec, both.getT2().orElse(null)).leaseExpired()) {
                    return Optional.<SagaRecord>empty();
                }
                SagaRecord mine = rec.ownedBy(owner);
                write(k, mine);
                k.set(leaseKey, leaseValue(), Duration.ZERO);
                log.info("redtx: saga {} ({}) taken over at {}", sagaId, def.name(), rec);
                return Optional.of(mine);
            });
        });
    }

    private String leaseValue() {
        return owner + "|" + (System.currentTimeMillis() + def.lease().toMillis());
    }

    private void write(InternalKeys k, SagaRecord rec) {
        if (rec.state.terminal()) {
            // Kept for a while to answer a repeated start; the index only lists what recovery may have to finish.
            k.set(recordKey, rec.encoded(), def.retention());
            k.delete(leaseKey);
            k.hdel(sagas.ctx.keys.sagaIndexKey(), sagaId);
        } else {
            k.set(recordKey, rec.encoded(), Duration.ZERO);
        }
    }

    /**
     * One transition: if the record is still {@code expected}, runs {@code work} (a step's or compensation's
     * transaction work, or null) and writes {@code change(expected)}, all in one transaction. Otherwise writes nothing
     * and returns the record as it is, for the caller to decide again.
     */
    private Mono<SagaRecord> transition(
            SagaRecord expected, TransactionStep work, SagaContext context, UnaryOperator<SagaRecord> change) {
        return sagas.runtime.inTransaction(tx -> {
            InternalKeys k = new InternalKeys(tx, participant);
            return k.get(recordKey).flatMap(found -> {
                if (found.isEmpty()) {
                    return Mono.error(new IllegalStateException("saga " + sagaId + " lost its record"));
                }
                SagaRecord current = SagaRecord.decode(found.get());
                if (!current.equals(expected)) {
                    return Mono.just(current);
                }
                Mono<Void> user = work == null
                        ? Mono.empty()
                        : Flux.from(work.apply(context, tx)).then();
                return user.then(Mono.fromCallable(() -> {
                    SagaRecord next = change.apply(current);
                    write(k, next);
                    return next;
                }));
            });
        });
    }

    /** Renews the lease while this runner drives; stops when another runner holds it. Errors are left to the next. */
    private Mono<Boolean> renew() {
        return sagas.runtime.inTransaction(tx -> {
            InternalKeys k = new InternalKeys(tx, participant);
            return k.get(leaseKey).map(lease -> {
                if (lease.isEmpty() || !lease.get().startsWith(owner + "|")) {
                    return false;
                }
                k.set(leaseKey, leaseValue(), Duration.ZERO);
                return true;
            });
        });
    }

    private Mono<SagaOutcome> drivenWithLease(SagaRecord rec) {
        Duration period = def.lease().dividedBy(3);
        // A renewal slower than the period (a conflict, a slow server) skips ticks rather than piling them up.
        Mono<SagaOutcome> renewing = Flux.interval(period, period, sagas.ctx.timer())
                .onBackpressureDrop()
                .concatMap(tick -> renew().onErrorResume(e -> {
                    log.debug("redtx: renewing the lease on saga {} failed; trying again", sagaId, e);
                    return Mono.just(true);
                }))
                .takeWhile(mine -> mine)
                .then(Mono.never());
        return Mono.firstWithSignal(drive(rec), renewing);
    }

    // ---- driving ----

    /** Takes the next step the record calls for, until the saga ends, fails, or another runner owns it. */
    private Mono<SagaOutcome> drive(SagaRecord rec) {
        return Mono.defer(() -> {
            if (!rec.owner.equals(owner)) {
                return join();
            }
            if (rec.state.terminal() || rec.failing) {
                return Mono.just(rec.outcome(sagaId, def, rec.cause == null ? null : error));
            }
            return rec.state == SagaRecord.State.RUNNING ? forward(rec) : backward(rec);
        });
    }

    private Mono<SagaOutcome> forward(SagaRecord rec) {
        int i = rec.next;
        SagaStep step = def.steps().get(i);
        int count = def.steps().size();
        if (step.isTransactional()) {
            TransactionStep work = step.transactionWork().orElseThrow();
            return attempts(
                            step,
                            i,
                            false,
                            n -> transition(rec, work, context(i, false, n, rec), r -> r.done(i, count)))
                    .flatMap(next -> drive(next))
                    .onErrorResume(e -> failed(rec, i, e));
        }
        ExternalStep work = step.externalWork().orElseThrow();
        Mono<SagaRecord> started =
                rec.status(i) == 'S' ? Mono.just(rec) : transition(rec, null, null, r -> r.started(i));
        return started.flatMap(s -> {
            if (!s.equals(rec.started(i))) {
                return drive(s); // the record moved on: decide again
            }
            return attempts(
                            step,
                            i,
                            false,
                            n -> Mono.from(work.apply(context(i, false, n, s))).then())
                    .then(Mono.defer(() -> transition(s, null, null, r -> r.done(i, count))))
                    .flatMap(next -> drive(next))
                    .onErrorResume(e -> failed(s, i, e));
        });
    }

    /** Step {@code i} failed for good: compensate backward or stop forward, as the definition says. */
    private Mono<SagaOutcome> failed(SagaRecord rec, int i, Throwable e) {
        String why = describe(e);
        log.debug(
                "redtx: saga {} step '{}' failed for good: {}",
                sagaId,
                def.steps().get(i).name(),
                why);
        UnaryOperator<SagaRecord> change =
                def.recovery() == SagaRecovery.BACKWARD ? r -> r.compensating(def, i, why) : r -> r.failingAt(i, why);
        error = e;
        return transition(rec, null, null, change).flatMap(this::drive);
    }

    private Mono<SagaOutcome> backward(SagaRecord rec) {
        int j = rec.next;
        SagaStep step = def.steps().get(j);
        if (step.isTransactional()) {
            TransactionStep comp = step.transactionCompensation().orElseThrow();
            return attempts(
                            step,
                            j,
                            true,
                            n -> transition(rec, comp, context(j, true, n, rec), r -> r.compensated(def, j)))
                    .flatMap(next -> drive(next))
                    .onErrorResume(e -> compensationFailed(rec, j, e));
        }
        ExternalStep comp = step.externalCompensation().orElseThrow();
        char st = rec.status(j);
        Mono<SagaRecord> started =
                st == 'X' || st == 'Y' ? Mono.just(rec) : transition(rec, null, null, r -> r.compensationStarted(j));
        return started.flatMap(s -> {
            char now = s.status(j);
            if (!s.owner.equals(owner)
                    || s.state != SagaRecord.State.COMPENSATING
                    || s.next != j
                    || (now != 'X' && now != 'Y')) {
                return drive(s);
            }
            return attempts(
                            step,
                            j,
                            true,
                            n -> Mono.from(comp.apply(context(j, true, n, s))).then())
                    .then(Mono.defer(() -> transition(s, null, null, r -> r.compensated(def, j))))
                    .flatMap(next -> drive(next))
                    .onErrorResume(e -> compensationFailed(s, j, e));
        });
    }

    private Mono<SagaOutcome> compensationFailed(SagaRecord rec, int j, Throwable e) {
        String why = "compensation of step '" + def.steps().get(j).name() + "' failed: " + describe(e);
        log.warn("redtx: saga {} ({}) cannot finish, kept for recovery: {}", sagaId, def.name(), why);
        error = e;
        return transition(rec, null, null, r -> r.compensationFailing(j, why)).flatMap(this::drive);
    }

    private SagaContext context(int i, boolean compensating, int attempt, SagaRecord rec) {
        return new SagaContext(sagaId, def.name(), i, def.steps().get(i).name(), compensating, attempt, rec.input);
    }

    /**
     * Runs {@code attempt} (given its number, from 1) until it succeeds or the step's retry policy runs out, each
     * attempt within the step's timeout. A retry re-subscribes: a new attempt, a new transaction.
     */
    private <T> Mono<T> attempts(SagaStep step, int i, boolean compensating, Function<Integer, Mono<T>> attempt) {
        return attempt(step, i, compensating, attempt, 1);
    }

    private <T> Mono<T> attempt(SagaStep step, int i, boolean compensating, Function<Integer, Mono<T>> attempt, int n) {
        return Mono.defer(() -> attempt.apply(n))
                .timeout(step.timeout(), sagas.ctx.timer())
                .onErrorMap(
                        TimeoutException.class,
                        e -> new SagaStepTimeoutException(sagaId, step.name(), compensating, step.timeout()))
                .onErrorResume(e -> {
                    if (n >= step.retry().attempts() || sagas.ctx.closed.get()) {
                        return Mono.error(e);
                    }
                    log.debug("redtx: saga {} step '{}' attempt {} failed; retrying", sagaId, step.name(), n, e);
                    return Mono.delay(step.retry().delayAfter(n), sagas.ctx.timer())
                            .then(attempt(step, i, compensating, attempt, n + 1));
                });
    }

    private static String describe(Throwable e) {
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
}
