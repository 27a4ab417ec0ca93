package io.redtx.runtime.internal.protocol;

import io.redtx.runtime.internal.redis.LuaScript;
import io.redtx.runtime.internal.redis.ParticipantLink;
import io.redtx.runtime.internal.redis.Shard;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * How a reader waits for another transaction's write intent on a key to settle instead of failing: a reader holds no
 * locks, so waiting blocks no one, and the writer is in its commit, which ends within its lease. Woken, not polling:
 * the reader subscribes to the intent key's channel, then flags the intent ({@code wait_mark.lua}); the script that
 * settles the intent ({@code commit.lua}, {@code abort.lua}) publishes there when it finds the flag. A missed message
 * (no Pub/Sub permission, a reconnect) only leaves the reader to its timer: the lease's end, when recovery may settle
 * a writer that died, or the reader's own deadline.
 */
public final class IntentWait {

    /** How long a reader waits for its subscription to be confirmed before it flags the intent anyway. */
    static final Duration SUBSCRIBE_PATIENCE = Duration.ofMillis(200);

    /** Time after the lease's end before the reader looks again (the resolver then settles a dead writer). */
    static final Duration AFTER_LEASE = Duration.ofMillis(5);

    private IntentWait() {}

    /**
     * Completes when {@code owner}'s intent on {@code shard} no longer holds {@code lockKey} (settled, or never there
     * any more), or its lease ended, or {@code deadlineNanos} ({@link System#nanoTime()}) passed, whichever comes
     * first: the caller then reads again. Never an error: a failure to flag the intent ends the wait at once (the
     * read again meets the intent and the caller decides).
     */
    public static Mono<Void> settled(
            RuntimeContext ctx, Shard shard, String lockKey, String owner, long deadlineNanos) {
        ParticipantLink link = shard.participant;
        String channel = shard.txKey(owner);
        return Mono.defer(() -> {
            Duration left = Duration.ofNanos(deadlineNanos - System.nanoTime());
            if (left.isNegative() || left.isZero()) {
                return Mono.empty();
            }
            // The intent is flagged once the subscription is confirmed, or after SUBSCRIBE_PATIENCE without one (no
            // Pub/Sub permission, no connection yet): then only the lease timer may end the wait early.
            AtomicBoolean marked = new AtomicBoolean();
            Flux<String> signals = Flux.merge(
                    link.messages(channel),
                    ctx.deadlines.delay(SUBSCRIBE_PATIENCE).map(ignored -> ParticipantLink.SUBSCRIBED));
            // flatMap, not concatMap: the settle message must end the wait while the mark's lease timer runs.
            Mono<Void> woken = signals.flatMap(m -> !ParticipantLink.SUBSCRIBED.equals(m)
                            ? Mono.just(Duration.ZERO)
                            : marked.compareAndSet(false, true)
                                    ? mark(ctx, shard, channel, lockKey, owner, left)
                                    : Mono.<Duration>empty())
                    .next()
                    .then();
            // The lease's end is known once the intent is flagged; until then the reader's deadline bounds the wait.
            return Mono.firstWithSignal(woken, ctx.deadlines.delay(left).then()).onErrorResume(e -> Mono.empty());
        });
    }

    /**
     * Flags the intent, then emits (zero) when the reader should read again: at once if the intent no longer holds the
     * key, else just after its lease ends, unless the settle message ends the wait before.
     */
    private static Mono<Duration> mark(
            RuntimeContext ctx, Shard shard, String txKey, String lockKey, String owner, Duration timeout) {
        return shard.eval(LuaScript.WAIT_MARK, timeout, new String[] {txKey, lockKey}, owner)
                .flatMap(reply -> {
                    if (!"WAIT".equals(reply.get(0))) {
                        return Mono.just(Duration.ZERO);
                    }
                    long leaseLeft = Long.parseLong(String.valueOf(reply.get(1)));
                    if (leaseLeft <= 0) {
                        return Mono.just(Duration.ZERO);
                    }
                    // Not woken by the time the lease ends: read again then (and let the resolver settle the intent).
                    return ctx.deadlines
                            .delay(Duration.ofMillis(leaseLeft).plus(AFTER_LEASE))
                            .thenReturn(Duration.ZERO);
                })
                .onErrorReturn(Duration.ZERO);
    }
}
