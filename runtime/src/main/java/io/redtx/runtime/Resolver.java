package io.redtx.runtime;

import java.util.List;
import reactor.core.publisher.Mono;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * Settles another transaction's intent whose lease has expired (DESIGN §3, items 7 and 8), from what Redis holds: the
 * shard with the intent says whether the lease expired and which participant holds the record; the record decides.
 * COMMITTED → roll the intent forward; ABORTED, or PREPARED past its lease on the primary's own clock, or no record
 * at all → the primary gets (or keeps) its tombstone first, then the intent is rolled back. A live lease is left
 * alone. Best effort: any failure leaves the intent for a later resolver.
 */
final class Resolver {

    private static final Logger log = Loggers.getLogger(Resolver.class);

    private final RuntimeContext ctx;

    Resolver(RuntimeContext ctx) {
        this.ctx = ctx;
    }

    /**
     * @param where the participant holding the intent
     * @param owner the id of the transaction owning it
     * @return {@code true} once the intent is settled, {@code false} if it was left (live lease, unknown primary,
     *     failure); never an error
     */
    Mono<Boolean> resolve(Participant where, String owner) {
        String[] ownerKeys = {ctx.keys.txKey(owner), ctx.keys.indexKey()};
        var timeout = ctx.options.commitTimeout();
        return where.eval(LuaScript.INSPECT, timeout, new String[] {ownerKeys[0]})
                .flatMap(intent -> {
                    if (!"P".equals(intent.get(0)) || !"1".equals(intent.get(1))) {
                        return Mono.just(false);
                    }
                    String primaryName = (String) intent.get(2);
                    Participant primary = primaryName.isEmpty() ? where : ctx.participants.get(primaryName);
                    if (primary == null) {
                        log.warn(
                                "redtx: cannot resolve {}: its primary '{}' is not a participant here",
                                owner,
                                primaryName);
                        return Mono.just(false);
                    }
                    return primary.eval(LuaScript.ABORT, timeout, ownerKeys, owner, ctx.retentionMillis, "1", "1")
                            .map(decision -> (String) decision.get(0))
                            .flatMap(decision -> settle(where, primary, ownerKeys, owner, decision));
                })
                .onErrorResume(e -> {
                    log.warn("redtx: could not resolve {} on '{}' now: {}", owner, where.name(), e.toString());
                    return Mono.just(false);
                });
    }

    private Mono<Boolean> settle(
            Participant where, Participant primary, String[] ownerKeys, String owner, String decision) {
        var timeout = ctx.options.commitTimeout();
        Mono<List<Object>> step;
        switch (decision) {
            case "C" -> step = where.eval(LuaScript.COMMIT, timeout, ownerKeys, owner, ctx.retentionMillis);
            case "A" ->
                step = where == primary
                        ? Mono.just(List.of())
                        : where.eval(LuaScript.ABORT, timeout, ownerKeys, owner, ctx.retentionMillis, "1");
            default -> {
                return Mono.just(false); // LIVE: the primary's own clock says the lease still runs
            }
        }
        return step.doOnNext(ignored -> log.info(
                        "redtx: resolved expired intent of {} on '{}': {}",
                        owner,
                        where.name(),
                        "C".equals(decision) ? "rolled forward" : "rolled back"))
                .thenReturn(true);
    }
}
