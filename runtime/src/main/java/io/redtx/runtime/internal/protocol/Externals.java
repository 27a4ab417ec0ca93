package io.redtx.runtime.internal.protocol;

import io.redtx.api.Durations;
import io.redtx.api.external.ExternalParticipant;
import io.redtx.api.external.ExternalParticipantException;
import io.redtx.runtime.internal.redis.LuaScript;
import io.redtx.runtime.internal.redis.Shard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * Calls the external (TCC) participants of a transaction: the tries of its prepare, then the confirms or cancels that
 * its record decided, each bounded by a time limit; marks on the record those that are done ({@code ext_done.lua}),
 * so that the record is kept, and recovery calls the rest again, until none is left.
 */
final class Externals {

    private static final Logger log = Loggers.getLogger(Externals.class);

    private Externals() {}

    /**
     * Every participant's {@code tryReserve}, concurrently: the first failure (or a try not done within the prepare
     * timeout) ends them all as an {@link ExternalParticipantException}.
     */
    static Mono<Void> tryAll(RuntimeContext ctx, String id, Map<String, Map<String, String>> requests) {
        Duration timeout = ctx.options.timeouts().prepare();
        AtomicBoolean failed = new AtomicBoolean();
        return Flux.fromIterable(requests.entrySet())
                .flatMap(
                        r -> Mono.defer(() ->
                                        ctx.options.externals().get(r.getKey()).tryReserve(id, r.getValue()))
                                .timeout(timeout, ctx.timer())
                                .onErrorMap(e -> failure(id, r.getKey(), e, timeout))
                                // The first failure ends the fan-out; the others are no news.
                                .onErrorResume(e -> failed.compareAndSet(false, true) ? Mono.error(e) : Mono.empty()),
                        requests.size())
                .then();
    }

    private static ExternalParticipantException failure(String id, String name, Throwable e, Duration timeout) {
        if (e instanceof TimeoutException) {
            return new ExternalParticipantException(
                    id,
                    name,
                    "external participant '" + name + "' did not reserve within " + Durations.text(timeout)
                            + " (timeouts.prepare)",
                    null);
        }
        return new ExternalParticipantException(
                id, name, "external participant '" + name + "' refused to reserve: " + e, e);
    }

    /**
     * Confirms ({@code confirm}) or cancels every participant of {@code names} (concurrently, each within the commit
     * timeout), then marks those that succeeded as done on the record. A participant not registered in this runtime,
     * or one that fails, stays pending for a later recovery pass. Never an error.
     *
     * @return how many were done now and how many are left pending
     */
    static Mono<Settled> settle(
            RuntimeContext ctx, Shard primary, String id, Collection<String> names, boolean confirm) {
        if (names.isEmpty()) {
            return Mono.just(Settled.NONE);
        }
        Duration timeout = ctx.options.timeouts().commit();
        String action = confirm ? "confirm" : "cancel";
        return Flux.fromIterable(names)
                .flatMap(
                        name -> {
                            ExternalParticipant p = ctx.options.externals().get(name);
                            if (p == null) {
                                log.warn(
                                        "redtx: cannot {} {} on external participant '{}': it is not registered in"
                                                + " this runtime",
                                        action,
                                        id,
                                        name);
                                return Mono.empty();
                            }
                            return Mono.defer(() -> confirm ? p.confirm(id) : p.cancel(id))
                                    .timeout(timeout, ctx.timer())
                                    .thenReturn(name)
                                    .onErrorResume(e -> {
                                        log.warn(
                                                "redtx: {} of {} on external participant '{}' failed; recovery will"
                                                        + " try again: {}",
                                                action,
                                                id,
                                                name,
                                                e.toString());
                                        return Mono.empty();
                                    });
                        },
                        names.size())
                .collectList()
                .flatMap(done -> {
                    if (done.isEmpty()) {
                        return Mono.just(new Settled(0, names.size()));
                    }
                    List<String> args = new ArrayList<>(done.size() + 2);
                    args.add(id);
                    args.add(ctx.retentionMillis);
                    args.addAll(done);
                    return primary.eval(LuaScript.EXT_DONE, timeout, primary.txKeys(id), args.toArray(String[]::new))
                            .map(reply -> new Settled(done.size(), ((Long) reply.get(0)).intValue()));
                })
                .onErrorResume(e -> {
                    log.warn(
                            "redtx: could not record the {}s of {} on '{}': {}",
                            action,
                            id,
                            primary.name,
                            e.toString());
                    return Mono.just(new Settled(0, names.size()));
                });
    }

    /**
     * What one {@link #settle} did.
     *
     * @param done participants confirmed or cancelled now (and so marked)
     * @param pending participants still pending on the record
     */
    record Settled(int done, int pending) {
        static final Settled NONE = new Settled(0, 0);

        boolean complete() {
            return pending == 0;
        }
    }
}
