package io.redtx.runtime.internal.protocol;

import io.redtx.api.RecoveryReport;
import io.redtx.runtime.internal.redis.AbortReply;
import io.redtx.runtime.internal.redis.Inspection;
import io.redtx.runtime.internal.redis.Keys;
import io.redtx.runtime.internal.redis.LuaScript;
import io.redtx.runtime.internal.redis.ParticipantLink;
import io.redtx.runtime.internal.redis.RecordState;
import io.redtx.runtime.internal.redis.Shard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * Settles another transaction's intent whose lease has expired (docs/design.md#recovery-without-the-coordinator), from
 * what Redis holds: the shard with the intent says whether the lease expired and which participant holds the record;
 * the record decides. COMMITTED → roll the intent forward; ABORTED, or PREPARED past its lease on the primary's own
 * clock, or no record at all → the primary gets (or keeps) its tombstone first, then the intent is rolled back. A live
 * lease is left alone. Best effort: any failure leaves the intent for a later resolver.
 *
 * <p>It also removes stale lock entries: an entry whose owner's intent on its shard is settled or gone (see
 * {@code unlock.lua}), which nothing else would ever remove. Readers report those they meet (writers' scripts remove
 * them themselves), and every recovery pass sweeps a share of each participant's lock keys for them.
 */
public final class Resolver {

    private static final Logger log = Loggers.getLogger(Resolver.class);
    static final int BATCH = 1000;

    /** SCAN calls per participant and recovery pass for the stale-lock sweep (see ParticipantLink#lockKeysToSweep). */
    public static final int SWEEP_SCANS = 10;

    /** Lock keys per unlock script. */
    private static final int UNLOCK_BATCH = 100;

    /** Expired intents of one shard settled at once in a pass. */
    private static final int RESOLVING_PER_SHARD = 8;

    private final RuntimeContext ctx;

    Resolver(RuntimeContext ctx) {
        this.ctx = ctx;
    }

    /**
     * One recovery pass over every shard's intent index (at most {@value #BATCH} expired intents each): a Cluster's
     * are found on every master. Every index is read before anything is resolved, so that the report counts each
     * intent found, even one that the resolution of another shard's intent (through a shared primary) settled first.
     * Then each participant's share of lock keys for this pass is swept for stale entries.
     */
    public Mono<RecoveryReport> recoverAll() {
        int n = ctx.participants.size();
        Tally externals = new Tally();
        Mono<RecoveryReport> intents = Flux.fromIterable(ctx.participants.values())
                .flatMap(this::indexedShards, n)
                .flatMap(shard -> expired(shard).map(owners -> Map.entry(shard, owners)), n)
                .collectList()
                .flatMapMany(Flux::fromIterable)
                .flatMap(found -> resolveAll(found.getKey(), found.getValue(), externals), n)
                .reduce(RecoveryReport.EMPTY, RecoveryReport::plus)
                .map(report -> report.plus(externals.report()));
        Mono<RecoveryReport> locks = Flux.fromIterable(ctx.participants.values())
                .flatMap(this::sweep, n)
                .reduce(0L, Long::sum)
                .map(removed -> new RecoveryReport(0, 0, 0, 0, removed));
        return intents.flatMap(report -> locks.map(report::plus));
    }

    /** Removes the stale entries of {@code p}'s lock keys swept in this pass; how many. Never an error. */
    private Mono<Long> sweep(ParticipantLink p) {
        Duration timeout = ctx.options.timeouts().commit();
        return p.lockKeysToSweep(SWEEP_SCANS, timeout)
                .collect(
                        LinkedHashMap<Shard, List<String>>::new,
                        (byShard, lockKey) -> byShard.computeIfAbsent(p.shardOf(lockKey), s -> new ArrayList<>())
                                .add(lockKey))
                .flatMapMany(byShard -> Flux.fromIterable(byShard.entrySet()))
                .concatMap(locks -> unlock(locks.getKey(), locks.getValue()).onErrorResume(e -> {
                    log.warn(
                            "redtx: recovery could not check the lock keys it found on '{}' now: {}",
                            locks.getKey().name,
                            e.toString());
                    return Mono.just(0L);
                }))
                .reduce(0L, Long::sum)
                .onErrorResume(e -> {
                    log.warn("redtx: recovery could not sweep the lock keys of '{}': {}", p.name(), e.toString());
                    return Mono.just(0L);
                });
    }

    /**
     * Removes, in the background, the stale entries of lock keys of {@code shard} that a reader met (it could not:
     * reads run as read-only scripts).
     */
    public void removeStaleLocks(Shard shard, List<String> lockKeys) {
        List<String> keys = lockKeys.stream().distinct().toList();
        ctx.background.run("unlock", "stale locks " + keys + " on '" + shard.name + "'", unlock(shard, keys));
    }

    /** Runs {@code unlock.lua} on {@code lockKeys} of {@code shard}, in batches; how many entries it removed. */
    private Mono<Long> unlock(Shard shard, List<String> lockKeys) {
        Duration timeout = ctx.options.timeouts().commit();
        return Flux.range(0, (lockKeys.size() + UNLOCK_BATCH - 1) / UNLOCK_BATCH)
                .map(i -> lockKeys.subList(i * UNLOCK_BATCH, Math.min(lockKeys.size(), (i + 1) * UNLOCK_BATCH)))
                .concatMap(
                        batch -> shard.eval(LuaScript.UNLOCK, timeout, batch.toArray(new String[0]), shard.txPrefix())
                                .map(reply -> (Long) reply.get(0)))
                .reduce(0L, Long::sum)
                .doOnNext(removed -> {
                    if (removed > 0) {
                        log.warn(
                                "redtx: removed {} lock entries of settled transactions from {} on '{}'",
                                removed,
                                lockKeys.size() == 1 ? lockKeys.get(0) : lockKeys.size() + " lock keys",
                                shard.name);
                    }
                });
    }

    /** The shards of {@code p} with an intent index; none if they cannot be listed now. */
    private Flux<Shard> indexedShards(ParticipantLink p) {
        return p.shardsWithKey(Keys::indexKeysPattern, ctx.options.timeouts().commit())
                .onErrorResume(e -> {
                    log.warn("redtx: recovery could not list the intent indexes of '{}': {}", p.name(), e.toString());
                    return Flux.empty();
                });
    }

    /**
     * The expired intents of one shard, each owner with how long ago its index entry fell due on that shard's clock;
     * none if it cannot be read now.
     */
    private Mono<Map<String, Long>> expired(Shard shard) {
        return shard.eval(
                        LuaScript.EXPIRED,
                        ctx.options.timeouts().commit(),
                        new String[] {shard.indexKey},
                        Integer.toString(BATCH))
                .map(reply -> {
                    long now = Long.parseLong((String) reply.get(reply.size() - 1));
                    Map<String, Long> overdue = new LinkedHashMap<>();
                    for (int i = 0; i + 1 < reply.size(); i += 2) {
                        long due = (long) Double.parseDouble((String) reply.get(i + 1));
                        overdue.put((String) reply.get(i), Math.max(0, now - due));
                    }
                    return overdue;
                })
                .onErrorResume(e -> {
                    log.warn("redtx: recovery could not read the intents of '{}': {}", shard.name, e.toString());
                    return Mono.just(Map.of());
                });
    }

    private Mono<RecoveryReport> resolveAll(Shard p, Map<String, Long> owners, Tally externals) {
        externals.overdue.putAll(owners);
        // A few at once: one intent whose settling is slow (a primary that does not answer, an external participant's
        // confirm that hangs until the commit timeout) must not hold up the shard's other intents for the whole pass.
        return Flux.fromIterable(owners.keySet())
                .flatMap(owner -> resolve(p, owner, externals), RESOLVING_PER_SHARD)
                .reduce(
                        RecoveryReport.EMPTY,
                        (r, outcome) -> r.plus(new RecoveryReport(
                                1,
                                outcome == Outcome.ROLLED_FORWARD ? 1 : 0,
                                outcome == Outcome.ROLLED_BACK ? 1 : 0,
                                outcome == Outcome.LEFT ? 1 : 0,
                                0)));
    }

    /** What became of an intent. */
    enum Outcome {
        ROLLED_FORWARD,
        ROLLED_BACK,
        /** Live lease, primary unknown here, or a participant did not answer: a later resolver will try again. */
        LEFT
    }

    /**
     * @param where the shard holding the intent
     * @param owner the id of the transaction owning it
     * @return what became of it; never an error
     */
    public Mono<Outcome> resolve(Shard where, String owner) {
        return resolve(where, owner, new Tally());
    }

    /**
     * Like {@link #resolve(Shard, String)}; with {@code force}, also while a lease still runs (an operator's decision:
     * see {@code TransactionAdmin.resolve}). The record still decides: a COMMITTED record is rolled forward, never
     * aborted, so forcing cannot break atomicity, only abort a live coordinator's transaction before its commit point.
     */
    public Mono<Outcome> resolve(Shard where, String owner, boolean force) {
        return resolve(where, owner, new Tally(), force);
    }

    private Mono<Outcome> resolve(Shard where, String owner, Tally externals) {
        return resolve(where, owner, externals, false);
    }

    /** Like {@link #resolve(Shard, String)}, adding what it did to external participants to {@code externals}. */
    private Mono<Outcome> resolve(Shard where, String owner, Tally externals, boolean force) {
        var timeout = ctx.options.timeouts().commit();
        return where.eval(LuaScript.INSPECT, timeout, new String[] {where.txKey(owner)})
                .map(Inspection::of)
                .flatMap(intent -> {
                    // Settled meanwhile (by its coordinator or another resolver): say how. An aborted record whose
                    // external participants are not all cancelled stays indexed for this.
                    if (intent.state() == RecordState.ABORTED) {
                        return intent.primary() && !intent.pendingExternals().isEmpty()
                                ? settleExternals(
                                        where, owner, intent.pendingExternals(), false, Outcome.ROLLED_BACK, externals)
                                : Mono.just(Outcome.ROLLED_BACK);
                    }
                    if (intent.state() == RecordState.COMMITTED && !intent.primary()) {
                        return Mono.just(Outcome.ROLLED_FORWARD);
                    }
                    boolean expired = force || intent.leaseExpired();
                    if (expired && intent.state() == RecordState.COMMITTED) {
                        return finishCommitted(where, owner, intent.shards(), intent.pendingExternals(), externals);
                    }
                    if (!expired || intent.state() != RecordState.PREPARED) {
                        return Mono.just(Outcome.LEFT);
                    }
                    String primaryName = intent.primaryName();
                    Shard primary = primaryName.isEmpty() ? where : ctx.shard(primaryName);
                    if (primary == null) {
                        log.warn(
                                "redtx: cannot resolve {}: its primary '{}' is not a participant here",
                                owner,
                                primaryName);
                        return Mono.just(Outcome.LEFT);
                    }
                    // Forced: no onlyIfExpired, so the primary's PREPARED record is aborted even while its lease runs
                    // (abort.lua still never aborts over COMMITTED).
                    String[] abortArgs = force
                            ? new String[] {owner, ctx.retentionMillis, "1"}
                            : new String[] {owner, ctx.retentionMillis, "1", "1"};
                    return primary.eval(LuaScript.ABORT, timeout, primary.txKeys(owner), abortArgs)
                            .flatMap(reply -> {
                                AbortReply decision = AbortReply.of(reply);
                                String pending = AbortReply.pendingExternals(reply);
                                Mono<Outcome> settled = settle(where, primary, owner, decision, force);
                                return pending.isEmpty()
                                        ? settled
                                        : settled.flatMap(outcome ->
                                                settleExternals(primary, owner, pending, false, outcome, externals));
                            });
                })
                .onErrorResume(e -> {
                    log.warn("redtx: could not resolve {} on '{}' now: {}", owner, where.name, e.toString());
                    return Mono.just(Outcome.LEFT);
                });
    }

    /**
     * A COMMITTED record still in its primary's index after its lease: the coordinator died between the commit point
     * and forgetting it. Roll every secondary forward (idempotent: settled ones answer C, or NONE once their marker
     * expired), then let the record expire. If a secondary cannot be reached, the record stays for the next pass.
     */
    private Mono<Outcome> finishCommitted(Shard primary, String owner, String shards, String pending, Tally externals) {
        var timeout = ctx.options.timeouts().commit();
        return Flux.fromArray(shards.split(","))
                .filter(name -> !name.isEmpty() && !name.equals(primary.name))
                .concatMap(name -> {
                    Shard s = ctx.shard(name);
                    return s == null
                            ? Mono.error(new IllegalStateException("shard '" + name + "' is unknown here"))
                            : s.eval(LuaScript.COMMIT, timeout, s.txKeys(owner), owner, ctx.retentionMillis);
                })
                .then(settleExternals(primary, owner, pending, true, Outcome.ROLLED_FORWARD, externals))
                .flatMap(outcome -> outcome == Outcome.LEFT
                        ? Mono.just(outcome)
                        : Forgets.one(primary, ctx, owner).thenReturn(outcome));
    }

    /**
     * Confirms ({@code confirm}) or cancels the record's external participants still pending: {@code outcome} once none
     * is left, {@link Outcome#LEFT} while one is (the record stays indexed for the next pass).
     */
    private Mono<Outcome> settleExternals(
            Shard primary, String owner, String pending, boolean confirm, Outcome outcome, Tally externals) {
        return Externals.settle(ctx, primary, owner, Inspection.names(pending), confirm)
                .map(settled -> {
                    externals.settled(owner, confirm, settled);
                    return settled.complete() ? outcome : Outcome.LEFT;
                });
    }

    /**
     * What one recovery pass did to external participants, counted as its resolutions run concurrently. A record found
     * through the intents of several of its shards is settled (or tried) once for each: its pending participants count
     * once, as the last try left them.
     */
    private static final class Tally {
        /** Owner of each expired intent found: how long ago it fell due. */
        final Map<String, Long> overdue = new ConcurrentHashMap<>();

        private final AtomicLong settled = new AtomicLong();
        private final Map<String, Pending> pending = new ConcurrentHashMap<>();

        private record Pending(boolean confirm, int count, long overdueMillis) {}

        void settled(String owner, boolean confirm, Externals.Settled done) {
            settled.addAndGet(done.done());
            if (done.complete()) {
                pending.remove(owner);
            } else {
                pending.put(owner, new Pending(confirm, done.pending(), overdue.getOrDefault(owner, 0L)));
            }
        }

        RecoveryReport report() {
            long confirming = 0;
            long cancelling = 0;
            long oldest = 0;
            for (Pending p : pending.values()) {
                if (p.confirm()) {
                    confirming += p.count();
                } else {
                    cancelling += p.count();
                }
                oldest = Math.max(oldest, p.overdueMillis());
            }
            return new RecoveryReport(
                    0, 0, 0, 0, 0, 0, 0, 0, settled.get(), confirming, cancelling, Duration.ofMillis(oldest));
        }
    }

    private Mono<Outcome> settle(Shard where, Shard primary, String owner, AbortReply decision, boolean force) {
        var timeout = ctx.options.timeouts().commit();
        String[] ownerKeys = where.txKeys(owner);
        Mono<List<Object>> step;
        switch (decision) {
            case COMMITTED -> step = where.eval(LuaScript.COMMIT, timeout, ownerKeys, owner, ctx.retentionMillis);
            case ABORTED ->
                step = where == primary
                        ? Mono.just(List.of())
                        : where.eval(LuaScript.ABORT, timeout, ownerKeys, owner, ctx.retentionMillis, "1");
            default -> {
                return Mono.just(Outcome.LEFT); // LIVE: the primary's own clock says the lease still runs
            }
        }
        boolean forward = decision == AbortReply.COMMITTED;
        return step.doOnNext(ignored -> log.info(
                        "redtx: resolved {} intent of {} on '{}': {}",
                        // An operator's forced resolution may settle an intent whose lease still ran: say so.
                        force ? "(forced)" : "expired",
                        owner,
                        where.name,
                        forward ? "rolled forward" : "rolled back"))
                .thenReturn(forward ? Outcome.ROLLED_FORWARD : Outcome.ROLLED_BACK);
    }
}
