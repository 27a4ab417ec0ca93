package io.redtx.runtime.internal.lock;

import io.redtx.api.ParticipantUnavailableException;
import io.redtx.api.TransactionPhase;
import io.redtx.api.TransactionStateException;
import io.redtx.api.TransactionTimeoutException;
import io.redtx.api.lock.DistributedLock;
import io.redtx.api.lock.LockLease;
import io.redtx.api.lock.LockOptions;
import io.redtx.api.lock.LockUnavailableException;
import io.redtx.runtime.internal.protocol.RuntimeContext;
import io.redtx.runtime.internal.redis.Errors;
import io.redtx.runtime.internal.redis.Keys;
import io.redtx.runtime.internal.redis.LuaScript;
import io.redtx.runtime.internal.redis.ParticipantLink;
import io.redtx.runtime.internal.redis.Shard;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.reactivestreams.Publisher;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * One lock of a participant: an exclusive lock ('x'), a side of a read/write lock ('r', 'w') or a semaphore's permits
 * ('s'). Each {@link #acquire()} asks {@code lock_acquire.lua}; if not granted it waits in line until a release message
 * on the lock's channel, the moment the holder's lease would end, or {@link Locks#FALLBACK}, whichever comes first,
 * and asks again, until granted or out of wait time.
 */
final class DefaultLock implements DistributedLock {

    private static final Logger log = Loggers.getLogger(DefaultLock.class);

    final RuntimeContext ctx;
    final String name;
    final ParticipantLink participant;
    final LockOptions options;
    /** The holders key, also the name of the channel its releases are announced on. */
    final String holders;

    private final char mode;
    private final String permits;
    private final Shard shard;
    private final String[] acquireKeys;
    final String[] releaseKeys;
    final String leaseMillis;

    DefaultLock(
            Locks locks, String kind, char mode, int permits, String name, ParticipantLink participant, LockOptions o) {
        this.ctx = locks.ctx;
        this.name = name;
        this.mode = mode;
        this.permits = Integer.toString(permits);
        this.participant = participant;
        this.options = o;
        this.holders = ctx.keys.lockHolders(kind, name);
        this.shard = participant.shardOf(holders);
        String line = Keys.lockLine(holders);
        String waiters = Keys.lockWaiters(holders);
        this.acquireKeys = new String[] {holders, Keys.lockSequence(holders), line, waiters, ctx.keys.lockKey(holders)};
        this.releaseKeys = new String[] {holders, line, waiters};
        this.leaseMillis = Long.toString(o.lease().toMillis());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Mono<LockLease> acquire() {
        return Mono.defer(() -> ctx.closed.get()
                ? Mono.error(new TransactionStateException(null, "the transaction runtime is closed"))
                : new Acquisition().run());
    }

    @Override
    public <T> Flux<T> withLock(Function<? super LockLease, ? extends Publisher<T>> work) {
        return Flux.usingWhen(
                acquire(),
                work,
                LockLease::release,
                (lease, error) -> lease.release().onErrorResume(e -> Mono.empty()),
                lease -> lease.release().onErrorResume(e -> Mono.empty()));
    }

    /** The runtime's clock, in ms (a virtual one when the options give a timer). */
    long now() {
        return ctx.nowMillis();
    }

    Duration commandTimeout() {
        return ctx.options.timeouts().commit();
    }

    /**
     * A failure to reach the participant, as the API reports it: no reply, or no connection, within its time limit is
     * an unavailable participant (a lock has no transaction whose phase timed out).
     */
    Throwable unreachable(Throwable e) {
        if (e instanceof TimeoutException || e instanceof TransactionTimeoutException) {
            return new ParticipantUnavailableException(null, participant.name(), e);
        }
        return Errors.map(e, null, participant.name(), TransactionPhase.READ, commandTimeout());
    }

    @Override
    public String toString() {
        return "Lock{" + name + " (" + mode + ") on " + participant.name() + "}";
    }

    /** One subscription to {@link #acquire()}. */
    private final class Acquisition {
        private final String holder =
                Long.toHexString(ThreadLocalRandom.current().nextLong())
                        + Long.toHexString(ThreadLocalRandom.current().nextLong());
        private final boolean queue = !options.waitTime().isZero();
        private final long deadline = now() + options.waitTime().toMillis();
        /** Release messages heard on the lock's channel. */
        private final AtomicLong heard = new AtomicLong();

        private volatile MonoSink<Void> waiting;
        /** What the last refusal said: when asking again makes sense at the latest. */
        private volatile long retryMillis;
        /** {@link #heard} when the last attempt was sent: a message since then may mean the lock is free now. */
        private volatile long heardBefore;

        /** Set once a refusal has put this acquisition in line (the server may hold its place). */
        private volatile boolean inLine;
        /** Set once the acquisition failed or was cancelled. */
        private volatile boolean over;

        /** The lock's channel, listened to from the first refusal on (most acquisitions never wait). */
        private volatile Disposable listening;

        Mono<LockLease> run() {
            return Mono.defer(this::attempt)
                    .repeatWhenEmpty(refusals -> refusals.concatMap(refusal -> pause()))
                    .doOnError(e -> ended())
                    .doOnCancel(this::ended)
                    // A grant dropped on its way because the subscriber cancelled meanwhile: no one will release it.
                    .doOnDiscard(Lease.class, lease -> lease.release().subscribe(null, e -> {}))
                    .doFinally(signal -> {
                        Disposable l = listening;
                        if (l != null) {
                            l.dispose();
                        }
                    })
                    // Past here the grant is the subscriber's: a cancel after it (next(), take(1)) releases nothing.
                    .doOnNext(lease -> ((Lease) lease).handedOver = true);
        }

        private void wake() {
            heard.incrementAndGet();
            MonoSink<Void> w = waiting;
            if (w != null) {
                w.success();
            }
        }

        /**
         * Asks once. The script runs to its reply even if the subscriber cancels meanwhile, so that a grant is never
         * lost: a grant nobody awaits any more is released.
         */
        private Mono<LockLease> attempt() {
            heardBefore = heard.get();
            long sentAt = now();
            return Mono.create(sink -> participant
                    .eval(
                            LuaScript.LOCK_ACQUIRE,
                            commandTimeout(),
                            null,
                            acquireKeys,
                            holder,
                            String.valueOf(mode),
                            leaseMillis,
                            permits,
                            queue ? "1" : "0",
                            Long.toString(Locks.WAITER_LEASE.toMillis()),
                            shard.txPrefix())
                    .subscribe(reply -> granted(reply, sentAt, sink), e -> sink.error(unreachable(e))));
        }

        /**
         * Takes an attempt's reply. {@link #over} is set before a cancel reaches the attempt, so a reply that finds it
         * set may have no one to receive it: a place in line is given back, a grant released.
         */
        private void granted(List<Object> reply, long sentAt, MonoSink<LockLease> sink) {
            long number = (Long) reply.get(1);
            if (!"OK".equals(reply.get(0))) {
                // Whichever of this and ended() comes second takes the place back (both may: that is harmless). A
                // cancel may also have taken it back already while this attempt, sent on another connection, was
                // putting it in line again.
                inLine = queue; // trying once, it was not put in line
                if (over && queue) {
                    leaveLine();
                    return;
                }
                retryMillis = number;
                sink.success();
                return;
            }
            inLine = false; // the grant took it out of the line
            Lease lease = new Lease(DefaultLock.this, holder, number, sentAt);
            if (over) {
                lease.release().subscribe(null, e -> {});
                return;
            }
            lease.startRenewing();
            sink.success(lease);
            if (over && !lease.handedOver) {
                // Cancelled while the grant was being handed over: it may never have reached anyone. Releasing twice
                // is harmless, should it have reached a usingWhen that releases it too.
                lease.release().subscribe(null, e -> {});
            }
        }

        /**
         * Waits for the next attempt; fails once out of wait time. The first pause starts listening to the lock's
         * channel; its confirmation wakes the waiter for one more attempt, after which no release goes unheard.
         */
        private Mono<Long> pause() {
            long left = deadline - now();
            if (!queue || left <= 0) {
                return Mono.error(new LockUnavailableException(name, participant.name(), options.waitTime()));
            }
            if (listening == null) {
                // A release names the waiter it wakes, or '*' for all of them.
                listening = participant.messages(holders).subscribe(m -> {
                    if (m.equals(holder) || m.equals("*") || m.equals(ParticipantLink.SUBSCRIBED)) {
                        wake();
                    }
                });
            }
            if (heard.get() != heardBefore) {
                return Mono.just(0L); // released while the refusal was on its way
            }
            long ms = Math.max(1, Math.min(Math.min(retryMillis, Locks.FALLBACK.toMillis()), left));
            Mono<Void> message = Mono.create(sink -> {
                waiting = sink;
                if (heard.get() != heardBefore) {
                    sink.success();
                }
            });
            return Mono.firstWithSignal(message.thenReturn(0L), ctx.deadlines.delay(Duration.ofMillis(ms)));
        }

        /** The acquisition failed or was cancelled: it leaves the line if a refusal put it there. */
        private void ended() {
            over = true;
            if (inLine) {
                leaveLine();
            }
        }

        /**
         * Gives up the place in line, in the background, and wakes the next waiter. If it fails (the participant is
         * down), the place ends by itself after a waiter's lease.
         */
        private void leaveLine() {
            participant
                    .eval(LuaScript.LOCK_RELEASE, commandTimeout(), null, releaseKeys, holder, "", holders)
                    .subscribe(done -> {}, e -> log.debug("redtx: leaving the line of lock '{}' failed: {}", name, e));
        }
    }
}
