package io.redtx.runtime.internal.protocol;

import io.redtx.api.CommitProtocol;
import io.redtx.api.CommitResult;
import io.redtx.api.Durations;
import io.redtx.api.ParticipantErrorException;
import io.redtx.api.RedtxException;
import io.redtx.api.TransactionConflictException;
import io.redtx.api.TransactionOutcomeUnknownException;
import io.redtx.api.TransactionPhase;
import io.redtx.api.TransactionStateException;
import io.redtx.api.lock.LockLease;
import io.redtx.api.lock.LockLostException;
import io.redtx.api.metrics.Phase;
import io.redtx.runtime.internal.redis.AbortReply;
import io.redtx.runtime.internal.redis.CommitReply;
import io.redtx.runtime.internal.redis.Errors;
import io.redtx.runtime.internal.redis.LuaScript;
import io.redtx.runtime.internal.redis.NotReplicatedException;
import io.redtx.runtime.internal.redis.RecordState;
import io.redtx.runtime.internal.redis.Shard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import reactor.core.Disposable;
import reactor.core.Exceptions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.Logger;
import reactor.util.Loggers;
import reactor.util.retry.Retry;

/**
 * Commits one transaction attempt (docs/design.md#the-commit-protocol): nothing to do, one shard (one script), or
 * several shards (prepare fanned out concurrently, commit point on the primary, secondaries rolled forward
 * concurrently). Runs detached from the caller's subscription (see {@code DefaultTransaction.commit()}); the decision
 * to pass the commit point is the CAS COMMITTING → PAST_COMMIT_POINT, which a cancellation (COMMITTING → ABORTING) can
 * pre-empt. From the first prepare until the commit point is decided, the leases of a multi-shard commit are extended
 * (docs/design.md#leases).
 */
public final class CommitProcess {

    private static final Logger log = Loggers.getLogger(CommitProcess.class);

    /** The keys of one shard and their encoded specs. */
    static final class ShardPlan {
        final Shard shard;
        final List<StagedKey> entries;
        /** The transaction's intent key and the shard's index key. */
        final String[] txKeys;

        final String[] pairKeys;
        final List<String> specs = new ArrayList<>();
        final boolean writes;

        ShardPlan(Shard shard, List<StagedKey> entries, String id) {
            this.shard = shard;
            this.entries = entries;
            this.txKeys = shard.txKeys(id);
            this.pairKeys = new String[entries.size() * 2];
            boolean w = false;
            for (int i = 0; i < entries.size(); i++) {
                StagedKey e = entries.get(i);
                pairKeys[2 * i] = e.key();
                pairKeys[2 * i + 1] = e.lockKey();
                e.encode(specs);
                w |= e.writes();
            }
            this.writes = w;
        }

        /** @return the shard's name, as records hold it */
        String name() {
            return shard.name;
        }

        /** @return the participant's name, as errors report it */
        String participant() {
            return shard.participant.name();
        }
    }

    private final RuntimeContext ctx;
    private final AttemptState state;
    /** Starts the transaction's rollback, or joins the one already started: it runs at most once. */
    private final Supplier<Mono<Void>> rollback;

    private final String id;
    private final List<ShardPlan> shards;
    private final ShardPlan primary;
    private final boolean readOnly;
    /** The shards' names, in order (the record lists them). */
    private final List<String> shardNames;
    /** The participants' names, sorted (reported in the result: a Cluster once, however many of its slots). */
    private final List<String> participantNames;
    /** The external (TCC) participants joined, by name, with what each is asked to reserve; empty for most. */
    private final Map<String, Map<String, String>> externals;

    private long prepareNanos;
    private long commitNanos;
    private long secondaryNanos;
    /** Per shard, 1 while a lease extension is in flight; made on the first extension (most commits never extend). */
    private AtomicIntegerArray extensionsInFlight;

    /**
     * @param id the attempt's transaction id
     * @param state the attempt's state, which this process moves on from COMMITTING
     * @param rollback starts the attempt's rollback (through {@link #abortAll()}) or joins the one already started;
     *     called when this process wins COMMITTING → ABORTING
     * @param entries every key the attempt read or wrote
     */
    public CommitProcess(
            RuntimeContext ctx, String id, AttemptState state, Supplier<Mono<Void>> rollback, List<StagedKey> entries) {
        this(ctx, id, state, rollback, entries, Map.of());
    }

    /**
     * @param externals the external (TCC) participants joined, by name, with their requests: the transaction then
     *     commits in two phases, its record on a Redis shard (one of its own, or the key router's pick for its id when
     *     it has none) listing them
     */
    public CommitProcess(
            RuntimeContext ctx,
            String id,
            AttemptState state,
            Supplier<Mono<Void>> rollback,
            List<StagedKey> entries,
            Map<String, Map<String, String>> externals) {
        this.ctx = ctx;
        this.id = id;
        this.state = state;
        this.rollback = rollback;
        this.externals = externals;
        Map<Shard, List<StagedKey>> byShard = new LinkedHashMap<>();
        boolean anyWrite = !externals.isEmpty();
        for (StagedKey e : entries) {
            byShard.computeIfAbsent(e.shard(), p -> new ArrayList<>()).add(e);
            anyWrite |= e.writes();
        }
        if (byShard.isEmpty() && !externals.isEmpty()) {
            // Nothing in Redis but the record: on the shard the key router picks for the id.
            Shard record = ctx.participant(id, ctx.options.keyRouter().participantFor(id))
                    .shardOf(id);
            byShard.put(record, List.of());
        }
        List<ShardPlan> plans = new ArrayList<>(byShard.size());
        byShard.forEach((shard, es) -> plans.add(new ShardPlan(shard, es, id)));
        plans.sort(Comparator.comparing(ShardPlan::name));
        this.shards = plans;
        String[] names = new String[plans.size()];
        Set<String> participants = new TreeSet<>();
        for (int i = 0; i < names.length; i++) {
            names[i] = plans.get(i).name();
            participants.add(plans.get(i).participant());
        }
        this.shardNames = List.of(names);
        this.participantNames = List.copyOf(participants);
        this.readOnly = !anyWrite;
        this.primary = choosePrimary(plans, id, readOnly, !externals.isEmpty());
    }

    /**
     * Deterministic in the transaction id and the shard set, and spread over the written shards so that records and
     * commit points do not all land on one server.
     */
    private static ShardPlan choosePrimary(List<ShardPlan> plans, String id, boolean readOnly, boolean external) {
        if ((plans.size() < 2 && !external) || readOnly) {
            return null;
        }
        List<ShardPlan> written = plans.stream().filter(p -> p.writes).toList();
        List<ShardPlan> candidates = written.isEmpty() ? plans : written; // only reads and external work
        return candidates.get(Math.floorMod(id.hashCode(), candidates.size()));
    }

    public Mono<CommitResult> run() {
        if (shards.isEmpty()) {
            if (!state.markPastCommitPoint()) {
                return Mono.error(cancelled());
            }
            return Mono.just(result(CommitProtocol.NONE, true));
        }
        return shards.size() == 1 && externals.isEmpty() ? onePhase(shards.get(0)) : twoPhase();
    }

    // ---- one shard ----

    private Mono<CommitResult> onePhase(ShardPlan s) {
        if (!state.markPastCommitPoint()) {
            return Mono.error(cancelled());
        }
        String[] args = new String[s.specs.size() + 4];
        args[0] = id;
        args[1] = s.shard.txPrefix();
        args[2] = ctx.options.recovery().onePhaseMarkers() ? s.shard.onePhaseKey(id) : "";
        args[3] = ctx.retentionMillis;
        for (int i = 0; i < s.specs.size(); i++) {
            args[i + 4] = s.specs.get(i);
        }
        Duration timeout = ctx.options.timeouts().commit();
        return timed(Phase.ONE_PHASE, s.shard.eval(LuaScript.COMMIT_ONE_PHASE, timeout, s.pairKeys, args))
                .onErrorMap(e -> {
                    if (e instanceof Error) {
                        return e;
                    }
                    // A script that writes nothing changes nothing whether it ran or not: without a reply, it
                    // failed like a read (and may be retried).
                    if (Errors.notSent(e) || Errors.serverRefused(e) || !s.writes) {
                        state.markOnePhaseFailed();
                        return Errors.map(e, id, s.participant(), TransactionPhase.ONE_PHASE_COMMIT, timeout);
                    }
                    // Sent, but no reply: the script may or may not have run (if it did, its marker says so).
                    return new TransactionOutcomeUnknownException(
                            id,
                            e instanceof NotReplicatedException
                                    ? "the one-phase commit ran on participant '" + s.participant()
                                            + "' and may be lost in a failover: " + e.getMessage()
                                    : "no reply from participant '" + s.participant()
                                            + "' to the one-phase commit within " + Durations.text(timeout) + " ("
                                            + e + ")",
                            e);
                })
                .flatMap(reply -> {
                    CommitReply decoded = CommitReply.of(reply);
                    if (decoded instanceof CommitReply.Ok) {
                        return Mono.just(result(CommitProtocol.ONE_PHASE, true));
                    }
                    state.markOnePhaseFailed();
                    return refused(s, decoded);
                });
    }

    // ---- several shards ----

    private Mono<CommitResult> twoPhase() {
        return Mono.defer(() -> {
            String shardList = String.join(",", shardNames);
            int n = shards.size();
            // Leases run from the first prepare until the commit point is decided; a live coordinator extends them,
            // so a slow step (a paused shard, a long GC) never lets a resolver abort a transaction still at work.
            Disposable leases = extendLeases();
            return afterHook(ProtocolHooks.Step.BEFORE_PREPARE, 0, n, timed(Phase.PREPARE, prepareAll(shardList)))
                    .onErrorMap(Exceptions::isMultiple, Errors::first)
                    .onErrorResume(error -> {
                        leases.dispose(); // the abort (or a halt) starts: nothing left to keep alive
                        return abortThenFail(error);
                    })
                    .then(afterHook(ProtocolHooks.Step.AFTER_PREPARE, 0, n, Mono.defer(() -> {
                        if (!state.markPastCommitPoint()) {
                            return Mono.error(cancelled());
                        }
                        // A read-only transaction has no commit point: NONE stands for "nothing decided".
                        return readOnly ? Mono.just(RecordState.NONE) : commitPoint();
                    })))
                    // Decided (or failed, halted, cancelled): stop before the roll-forward or release starts. The
                    // doFinally covers cancel and error; doOnSuccess runs before the value moves on.
                    .doOnSuccess(record -> leases.dispose())
                    .doFinally(signal -> leases.dispose())
                    .flatMap(record -> readOnly ? release() : afterCommitPoint(record));
        });
    }

    /**
     * Every leaseDuration / 3, extends this transaction's lease on every shard (concurrently, each bounded by the
     * commit timeout; a shard whose previous extension is still in flight is skipped rather than queued again). Stops
     * by itself once the transaction is aborting; the caller disposes it when the commit point is decided, and on any
     * error or cancellation. The only cost while it does not fire is one entry on the runtime's timer wheel.
     *
     * <p>Failures are ignored: a lease that expires only allows resolution, and the primary's record decides it, so a
     * resolver can at worst abort a transaction whose commit point comes later (it then finds ABORTED).
     */
    private Disposable extendLeases() {
        Duration period = ctx.options.recovery().lease().dividedBy(3);
        // On the runtime's wheel: most commits end before the first tick, so this is an entry added and removed.
        return ctx.deadlines
                .delay(period)
                .repeat()
                .onBackpressureDrop()
                .takeWhile(tick -> keepsLeases())
                .flatMap(tick -> extendAll())
                .subscribe(ignored -> {}, e -> log.debug("redtx: lease extension of {} stopped: {}", id, e.toString()));
    }

    /** Before the commit point (not aborting), or past it while the commit point's reply is awaited. */
    private boolean keepsLeases() {
        return state.keepsLeases();
    }

    /** One round of extensions. Called serially by the ticker (one tick at a time), so the lazy init is safe. */
    private Mono<Void> extendAll() {
        AtomicIntegerArray inFlight = extensionsInFlight;
        if (inFlight == null) {
            inFlight = new AtomicIntegerArray(shards.size());
            extensionsInFlight = inFlight;
        }
        AtomicIntegerArray busy = inFlight;
        Duration timeout = ctx.options.timeouts().commit();
        return Flux.range(0, shards.size())
                .filter(k -> busy.compareAndSet(k, 0, 1))
                .flatMap(
                        k -> shards.get(k)
                                .shard
                                .eval(LuaScript.EXTEND, timeout, shards.get(k).txKeys, id, ctx.leaseMillis)
                                .onErrorResume(e -> {
                                    if (log.isDebugEnabled()) {
                                        log.debug(
                                                "redtx: lease extension of {} on '{}' failed: {}",
                                                id,
                                                shards.get(k).name(),
                                                e.toString());
                                    }
                                    return Mono.empty();
                                })
                                .doFinally(signal -> busy.set(k, 0)),
                        shards.size())
                .then();
    }

    /**
     * {@code next}, after the test hook of {@code step} let it go on; a hook's error halts the coordinator (see
     * {@link ProtocolHooks}). Production runtimes skip the hook altogether.
     */
    private <T> Mono<T> afterHook(ProtocolHooks.Step step, int sent, int of, Mono<T> next) {
        if (ctx.hooks == ProtocolHooks.NONE) {
            return next;
        }
        ProtocolHooks.Point point = new ProtocolHooks.Point(step, id, sent, of);
        return Mono.defer(() -> ctx.hooks.at(point))
                .onErrorMap(e -> new ProtocolHooks.Halted(point, e))
                .then(next);
    }

    /** {@code step(k)} for every k in [0, n), all at once, each after the test hook of {@code hook} (k of n sent). */
    private <T> Flux<T> fanOut(ProtocolHooks.Step hook, int n, IntFunction<Mono<T>> step) {
        // max: a transaction with external participants may have no Redis shard besides its primary
        return Flux.range(0, n).flatMap(k -> afterHook(hook, k, n, step.apply(k)), Math.max(1, n));
    }

    /**
     * Every shard's prepare, concurrently. The first failure ends the fan-out (the abort then starts at once); a
     * failure of another leg meanwhile is no news, and is dropped here rather than by the fan-out, which would hand it
     * to Reactor's onErrorDropped hook.
     */
    private Mono<Void> prepareAll(String shardList) {
        AtomicBoolean failed = new AtomicBoolean();
        int n = shards.size();
        return Flux.range(0, n)
                .flatMap(
                        k -> afterHook(ProtocolHooks.Step.PREPARE_SHARD, k, n, prepareLeg(shards.get(k), shardList))
                                .onErrorResume(e -> failed.compareAndSet(false, true) ? Mono.error(e) : Mono.empty()),
                        n)
                .then();
    }

    /**
     * One shard's prepare; on the primary of a transaction with external participants, followed by their tries: they
     * reserve only once the record lists them (one that reserved for a transaction whose coordinator then died is
     * found, and cancelled, by recovery), and meanwhile the other shards prepare.
     */
    private Mono<Void> prepareLeg(ShardPlan s, String shardList) {
        Mono<Void> prepare = prepare(s, shardList);
        return s == primary && !externals.isEmpty()
                ? prepare.then(Mono.defer(() -> Externals.tryAll(ctx, id, externals)))
                : prepare;
    }

    private Mono<Void> prepare(ShardPlan s, String shardNames) {
        String[] keys = new String[s.pairKeys.length + 2];
        keys[0] = s.txKeys[0];
        keys[1] = s.txKeys[1];
        System.arraycopy(s.pairKeys, 0, keys, 2, s.pairKeys.length);
        String[] args = new String[s.specs.size() + 6];
        args[0] = id;
        args[1] = ctx.leaseMillis;
        args[2] = s == primary ? "1" : "0";
        args[3] = s == primary ? shardNames : "";
        args[4] = primary == null ? "" : primary.name(); // where a resolver finds the record
        args[5] = s == primary && !externals.isEmpty() ? String.join(",", externals.keySet()) : "";
        for (int i = 0; i < s.specs.size(); i++) {
            args[i + 6] = s.specs.get(i);
        }
        Duration timeout = ctx.options.timeouts().prepare();
        return s.shard
                .eval(LuaScript.PREPARE, timeout, keys, args)
                .onErrorMap(e -> Errors.map(e, id, s.participant(), TransactionPhase.PREPARE, timeout))
                .map(CommitReply::of)
                .flatMap(reply -> reply instanceof CommitReply.Ok ? Mono.empty() : refused(s, reply));
    }

    /** A refusal, error, timeout before the commit point: roll back, then report (the rollback runs once). */
    private Mono<Void> abortThenFail(Throwable error) {
        if (error instanceof ProtocolHooks.Halted) {
            return Mono.error(error); // a dead coordinator rolls nothing back
        }
        if (state.markAborting()) {
            return rollback.get().then(Mono.error(error));
        }
        return Mono.error(error); // a cancel or rollback() already started the rollback
    }

    /**
     * Removes every shard's intent: the primary first (ABORTED record), then the others concurrently; then cancels the
     * external participants, if any (each, whether its try ran or not: a cancel also refuses a try still on its way).
     */
    public Mono<Void> abortAll() {
        Mono<Void> first = primary == null ? Mono.empty() : abortShard(primary, true);
        return first.then(Flux.fromIterable(shards)
                        .filter(s -> s != primary)
                        // Tombstones even for a read-only transaction: after a cancel or failure one of its prepares
                        // may still arrive, and without a tombstone it would leave read locks behind.
                        .flatMap(s -> abortShard(s, true), shards.size())
                        .then())
                .then(
                        externals.isEmpty()
                                ? Mono.empty()
                                : Mono.defer(() -> Externals.settle(ctx, primary.shard, id, externals.keySet(), false))
                                        .then())
                .doFinally(signal -> state.markRolledBack());
    }

    private Mono<Void> abortShard(ShardPlan s, boolean keepTombstone) {
        return s.shard
                .eval(
                        LuaScript.ABORT,
                        ctx.options.timeouts().commit(),
                        s.txKeys,
                        id,
                        ctx.retentionMillis,
                        keepTombstone ? "1" : "0")
                .doOnNext(reply -> {
                    if (AbortReply.of(reply) != AbortReply.ABORTED) {
                        log.error("redtx: abort of {} on '{}' found state {}", id, s.name(), reply);
                    }
                })
                .onErrorResume(e -> {
                    log.warn(
                            "redtx: abort of {} on '{}' failed; its intent stays until recovery settles it: {}",
                            id,
                            s.name(),
                            e.toString());
                    return Mono.empty();
                })
                .then();
    }

    /** Releases a read-only transaction's read locks: its second phase, reported as its secondaries. */
    private Mono<CommitResult> release() {
        return timed(
                        Phase.SECONDARIES,
                        Flux.fromIterable(shards)
                                .flatMap(s -> abortShard(s, false), shards.size())
                                .then())
                .then(Mono.fromSupplier(() -> result(CommitProtocol.TWO_PHASE, true)));
    }

    /** Runs the commit point on the primary: its record's state afterwards (NONE when missing). */
    private Mono<RecordState> commitPoint() {
        Duration timeout = ctx.options.timeouts().commit();
        return timed(
                Phase.COMMIT_POINT,
                primary.shard
                        .eval(LuaScript.COMMIT, timeout, primary.txKeys, id, ctx.retentionMillis)
                        .map(RecordState::ofCommitReply)
                        .onErrorResume(e -> Errors.serverRefused(e) && Errors.notYet(e)
                                ? refusedCommitPoint(e, timeout)
                                : settleThroughPrimary(e, timeout)));
    }

    /**
     * The primary refused the commit point whole (a slot migration that outlasted the commit timeout, a restart): it
     * did not run, and nobody but this coordinator ever commits a record, so the transaction is not committed and
     * never will be. Roll it back (what this leaves, recovery settles) and report the refusal.
     */
    private Mono<RecordState> refusedCommitPoint(Throwable refusal, Duration timeout) {
        return abortAllAfterSettle()
                .then(Mono.error(
                        Errors.map(refusal, id, primary.participant(), TransactionPhase.COMMIT_POINT, timeout)));
    }

    private Mono<CommitResult> afterCommitPoint(RecordState record) {
        if (record == RecordState.COMMITTED) {
            return afterHook(ProtocolHooks.Step.AFTER_COMMIT_POINT, 0, shards.size(), rollForward());
        }
        // ABORTED by a resolver (our lease expired), or the record is gone (primary lost its data).
        state.markCommitPointFailed();
        return abortAll()
                .then(Mono.error(new TransactionConflictException(
                        id,
                        primary.participant(),
                        primary.txKeys[0],
                        TransactionConflictException.Reason.ALREADY_SETTLED,
                        "the record was " + (record == RecordState.ABORTED ? "ABORTED" : "missing")
                                + " at the commit point")));
    }

    /**
     * The commit point's reply was lost: ask the primary by trying to abort there (never over COMMITTED). 'C' means
     * committed, 'A' means it is now certainly aborted (a late commit point finds ABORTED and does nothing). If the
     * primary cannot answer, the outcome is unknown.
     */
    private Mono<RecordState> settleThroughPrimary(Throwable cause, Duration timeout) {
        return primary.shard
                .eval(LuaScript.ABORT, timeout, primary.txKeys, id, ctx.retentionMillis, "1")
                .retryWhen(Retry.fixedDelay(2, Duration.ofMillis(50)))
                .map(AbortReply::of)
                .onErrorMap(e -> new TransactionOutcomeUnknownException(
                        id,
                        "the commit point on '" + primary.participant() + "' got no reply within "
                                + Durations.text(timeout)
                                + " and the record could not be read (" + cause + ")",
                        cause))
                // Without onlyIfExpired abort.lua never answers LIVE: ABORTED or COMMITTED decide it.
                .flatMap(decided -> decided == AbortReply.ABORTED
                        ? abortAllAfterSettle()
                                .then(Mono.error(Errors.map(
                                        cause, id, primary.participant(), TransactionPhase.COMMIT_POINT, timeout)))
                        : Mono.just(RecordState.COMMITTED));
    }

    private Mono<Void> abortAllAfterSettle() {
        state.markCommitPointFailed();
        return abortAll();
    }

    private Mono<CommitResult> rollForward() {
        Duration timeout = ctx.options.timeouts().commit();
        List<ShardPlan> secondaries = shards.stream().filter(s -> s != primary).toList();
        int n = secondaries.size();
        Mono<Boolean> confirmed = externals.isEmpty()
                ? Mono.just(true)
                : Mono.defer(() -> Externals.settle(ctx, primary.shard, id, externals.keySet(), true)
                        .map(Externals.Settled::complete));
        return timed(
                        Phase.SECONDARIES,
                        fanOut(ProtocolHooks.Step.COMMIT_SECONDARY, n, k -> rollForward(secondaries.get(k), timeout))
                                .all(settled -> settled)
                                .zipWith(confirmed, Boolean::logicalAnd))
                .map(allSettled -> {
                    if (allSettled) {
                        ctx.forgets(primary.participant()).add(primary.shard, id);
                    }
                    return result(CommitProtocol.TWO_PHASE, allSettled);
                });
    }

    private Mono<Boolean> rollForward(ShardPlan s, Duration timeout) {
        return s.shard
                .eval(LuaScript.COMMIT, timeout, s.txKeys, id, ctx.retentionMillis)
                .map(reply -> RecordState.ofCommitReply(reply) == RecordState.COMMITTED)
                .onErrorResume(e -> {
                    log.warn(
                            "redtx: roll-forward of {} on '{}' failed; recovery will finish it: {}",
                            id,
                            s.name(),
                            e.toString());
                    return Mono.just(false);
                });
    }

    // ---- helpers ----

    /**
     * {@code step}, timed from subscription to its value, completion or error: kept for the {@link CommitResult} and
     * reported to the metrics (a cancelled step is not reported).
     */
    private <T> Mono<T> timed(Phase phase, Mono<T> step) {
        return Mono.defer(() -> {
            long start = System.nanoTime();
            return step.doOnSuccess(v -> ended(phase, start)).doOnError(e -> ended(phase, start));
        });
    }

    private void ended(Phase phase, long start) {
        long nanos = System.nanoTime() - start;
        switch (phase) {
            case PREPARE -> prepareNanos = nanos;
            case SECONDARIES -> secondaryNanos = nanos;
            default -> commitNanos = nanos;
        }
        ctx.telemetry.phase(phase, nanos);
    }

    private CommitResult result(CommitProtocol protocol, boolean settled) {
        return new CommitResult(
                id,
                participantNames,
                protocol,
                1,
                Duration.ofNanos(prepareNanos),
                Duration.ofNanos(commitNanos),
                Duration.ofNanos(secondaryNanos),
                settled);
    }

    private TransactionStateException cancelled() {
        return new TransactionStateException(
                id, "transaction " + id + " was cancelled or rolled back before its " + "commit point");
    }

    /**
     * Fails with the refusal; a foreign intent whose lease has expired is resolved first, so that the retry finds the
     * key free.
     */
    private <T> Mono<T> refused(ShardPlan s, CommitReply reply) {
        RedtxException error = refusal(s, reply);
        if (reply instanceof CommitReply.Conflict c
                && c.reason() == TransactionConflictException.Reason.FOREIGN_INTENT) {
            return ctx.resolver.resolve(s.shard, c.holder()).then(Mono.error(error));
        }
        return Mono.error(error);
    }

    /** Maps a script's refusal to the exception naming the key. */
    private RedtxException refusal(ShardPlan s, CommitReply reply) {
        if (reply instanceof CommitReply.Conflict c) {
            return new TransactionConflictException(
                    id,
                    s.participant(),
                    s.entries.get(c.keyIndex()).key(),
                    c.reason(),
                    c.holder().isEmpty() ? null : "held by " + c.holder());
        }
        if (reply instanceof CommitReply.LockLost l) {
            LockLease lease = s.entries.get(l.keyIndex()).requiredLease();
            return new LockLostException(
                    id,
                    lease.name(),
                    lease.participant(),
                    lease.token(),
                    "the transaction requiring it did not commit");
        }
        if (reply instanceof CommitReply.WrongType w) {
            return new ParticipantErrorException(
                    id,
                    s.participant(),
                    "WRONGTYPE key '" + s.entries.get(w.keyIndex()).key() + "' holds a " + w.type()
                            + (s.entries.get(w.keyIndex()).appends()
                                    ? " but the transaction appends messages to it (a stream)"
                                    : " but the transaction writes hash fields into it"),
                    null);
        }
        if (reply instanceof CommitReply.Settled settled) {
            return new TransactionConflictException(
                    id,
                    s.participant(),
                    s.txKeys[0],
                    TransactionConflictException.Reason.ALREADY_SETTLED,
                    "prepare refused: state " + settled.state());
        }
        return new ParticipantErrorException(id, s.participant(), "unexpected script reply " + reply, null);
    }
}
