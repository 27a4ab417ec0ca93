package io.redtx.runtime.internal.lock;

import io.redtx.api.lock.LockLease;
import io.redtx.api.lock.LockLostException;
import io.redtx.runtime.internal.protocol.RuntimeContext;
import io.redtx.runtime.internal.redis.LuaScript;
import io.redtx.runtime.internal.redis.ParticipantLink;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * A granted lease: renewed every third of its length on the runtime's timer until released or lost. Lost means a
 * renewal found it no longer held, or renewals failed until its length had passed since the last one that succeeded
 * was sent (so by this side's clock the server's lease has surely ended); a lost lease is never reported held again.
 */
public final class Lease implements LockLease {

    private static final Logger log = Loggers.getLogger(Lease.class);

    private static final int HELD = 0;
    private static final int RELEASED = 1;
    private static final int LOST = 2;

    private final DefaultLock lock;
    private final String holder;
    private final long token;
    private final long leaseMillis;
    private final AtomicInteger state = new AtomicInteger(HELD);
    private final Sinks.Empty<Void> lost = Sinks.empty();
    /** When (runtime clock, ms) the last renewal that succeeded, or the grant, was sent. */
    private volatile long renewedAt;

    private volatile Disposable renewals;
    /** Set once the grant reached the acquisition's subscriber (see {@code DefaultLock}). */
    volatile boolean handedOver;

    private Mono<Void> release; // guarded by this

    Lease(DefaultLock lock, String holder, long token, long grantSentAt) {
        this.lock = lock;
        this.holder = holder;
        this.token = token;
        this.leaseMillis = lock.options.lease().toMillis();
        this.renewedAt = grantSentAt;
    }

    void startRenewing() {
        Duration period = lock.options.lease().dividedBy(3);
        // Every tick judges the lease, even while a renewal is still waiting for its reply or for a connection to be
        // made (bounded by the connect timeout, which may be longer than the lease): a tick that finds one in flight
        // sends no other.
        AtomicBoolean inFlight = new AtomicBoolean();
        renewals = lock.ctx
                .deadlines
                .delay(period)
                .repeat()
                .onBackpressureDrop()
                .takeWhile(tick -> state.get() == HELD)
                .filter(tick -> !endedUnrenewed() && inFlight.compareAndSet(false, true))
                .flatMap(tick -> renew().doFinally(signal -> inFlight.set(false)))
                .subscribe(ignored -> {}, e -> log.debug("redtx: renewals of lock '{}' stopped: {}", lock.name, e));
        if (state.get() != HELD) {
            renewals.dispose(); // released or lost before the renewals began
        }
    }

    /** @return whether a whole lease passed since the last renewal that succeeded was sent (then it is lost) */
    private boolean endedUnrenewed() {
        if (lock.now() - renewedAt < leaseMillis) {
            return false;
        }
        lostBecause("no renewal succeeded for a whole lease");
        return true;
    }

    private Mono<Void> renew() {
        long sentAt = lock.now();
        return lock.participant
                .eval(
                        LuaScript.LOCK_RENEW,
                        lock.commandTimeout(),
                        null,
                        new String[] {lock.holders},
                        holder,
                        Long.toString(token),
                        lock.leaseMillis)
                .doOnNext(reply -> {
                    if (Long.valueOf(1).equals(reply.get(0))) {
                        renewedAt = sentAt;
                    } else {
                        lostBecause("a renewal found it no longer held");
                    }
                })
                .onErrorResume(e -> {
                    log.debug("redtx: a renewal of lock '{}' failed: {}", lock.name, e.toString());
                    return Mono.empty();
                })
                .then();
    }

    private void lostBecause(String why) {
        if (state.compareAndSet(HELD, LOST)) {
            stopRenewing();
            log.warn("redtx: lock '{}' on '{}' (token {}) is lost: {}", lock.name, lock.participant.name(), token, why);
            lost.tryEmitEmpty();
        }
    }

    private void stopRenewing() {
        Disposable r = renewals;
        if (r != null) {
            r.dispose();
        }
    }

    /** @return the key of the lock's holders, where a transaction checks this lease */
    public String holdersKey() {
        return lock.holders;
    }

    /** @return the id this lease is held under */
    public String holder() {
        return holder;
    }

    /** @return whether the runtime of {@code ctx} made this lease's lock */
    public boolean belongsTo(RuntimeContext ctx) {
        return lock.ctx == ctx;
    }

    /** @return the participant holding the lock */
    public ParticipantLink link() {
        return lock.participant;
    }

    @Override
    public String name() {
        return lock.name;
    }

    @Override
    public String participant() {
        return lock.participant.name();
    }

    @Override
    public long token() {
        return token;
    }

    @Override
    public boolean isHeld() {
        return state.get() == HELD && lock.now() - renewedAt < leaseMillis;
    }

    @Override
    public Mono<Void> lost() {
        return lost.asMono();
    }

    @Override
    public Mono<Void> release() {
        return Mono.defer(() -> {
            synchronized (this) {
                if (release == null) {
                    release = state.compareAndSet(HELD, RELEASED)
                            ? releaseHeld()
                            : Mono.error(lostError("lost before the release"));
                }
                return release;
            }
        });
    }

    private Mono<Void> releaseHeld() {
        stopRenewing();
        return lock.participant
                .eval(
                        LuaScript.LOCK_RELEASE,
                        lock.commandTimeout(),
                        null,
                        lock.releaseKeys,
                        holder,
                        Long.toString(token),
                        lock.holders)
                .onErrorMap(lock::unreachable)
                .flatMap(reply -> Long.valueOf(1).equals(reply.get(0))
                        ? Mono.<Void>empty()
                        : Mono.error(lostError("its lease had ended before the release")))
                .cache();
    }

    private LockLostException lostError(String detail) {
        return new LockLostException(null, lock.name, lock.participant.name(), token, detail);
    }

    @Override
    public String toString() {
        return "LockLease{" + lock.name + " on " + participant() + ", token " + token + ", "
                + (state.get() == HELD ? "held" : state.get() == RELEASED ? "released" : "lost") + "}";
    }
}
