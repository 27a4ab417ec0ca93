package io.redtx.runtime.internal.protocol;

import io.redtx.api.RedtxArgumentException;
import io.redtx.api.RuntimeOptions;
import io.redtx.runtime.internal.Deadlines;
import io.redtx.runtime.internal.admission.Telemetry;
import io.redtx.runtime.internal.redis.Keys;
import io.redtx.runtime.internal.redis.ParticipantLink;
import io.redtx.runtime.internal.redis.Shard;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/** What every transaction of one runtime shares: options, key names, participants, background work. */
public final class RuntimeContext {

    public final RuntimeOptions options;
    public final Keys keys;
    public final Map<String, ParticipantLink> participants;
    public final BackgroundTasks background = new BackgroundTasks();
    /** Set when the runtime closes its connections: handles then refuse operations and commits. */
    public final AtomicBoolean closed = new AtomicBoolean();

    final String leaseMillis;
    final String retentionMillis;
    final ProtocolHooks hooks;
    public final Telemetry telemetry;
    public final Resolver resolver;
    public final Deadlines deadlines;
    /** Per participant, its batches of records to forget as primary. */
    private final Map<String, Forgets> forgets = new ConcurrentHashMap<>();

    public RuntimeContext(
            RuntimeOptions options,
            Keys keys,
            Map<String, ? extends ParticipantLink> participants,
            ProtocolHooks hooks,
            Deadlines deadlines) {
        this.hooks = hooks;
        this.deadlines = deadlines;
        this.telemetry = new Telemetry(options.metrics(), options.observer());
        this.resolver = new Resolver(this);
        this.options = options;
        this.keys = keys;
        this.participants = Map.copyOf(participants);
        this.leaseMillis = Long.toString(options.recovery().lease().toMillis());
        this.retentionMillis =
                Long.toString(options.recovery().recordRetention().toMillis());
    }

    /**
     * @return where the runtime's delays and periods run: the scheduler the options give, else Reactor's parallel
     *     scheduler, looked up at each call (so that a test's virtual time, installed later, applies)
     */
    public Scheduler timer() {
        return options.timer().orElseGet(Schedulers::parallel);
    }

    /**
     * @return the runtime's clock in ms: the given timer's ({@code RuntimeOptions.timer}), else a monotonic one (not
     *     the wall clock, which may jump)
     */
    public long nowMillis() {
        return options.timer().map(t -> t.now(TimeUnit.MILLISECONDS)).orElseGet(() -> System.nanoTime() / 1_000_000);
    }

    /** @return the batches of records to forget on participant {@code primary} */
    Forgets forgets(String primary) {
        Forgets f = forgets.get(primary);
        return f != null ? f : forgets.computeIfAbsent(primary, name -> new Forgets(name, this));
    }

    /**
     * @param name a shard's name as records hold it ({@link Shard#name})
     * @return that shard, or null if no participant here has it
     */
    Shard shard(String name) {
        int at = name.indexOf('@');
        ParticipantLink p = participants.get(at < 0 ? name : name.substring(0, at));
        if (p == null) {
            return null;
        }
        if (at < 0) {
            return p.shard(-1);
        }
        try {
            return p.shard(Integer.parseInt(name.substring(at + 1)));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    public ParticipantLink participant(String txId, String name) {
        if (name == null) {
            throw new RedtxArgumentException(txId, "participant must not be null");
        }
        ParticipantLink p = participants.get(name);
        if (p == null) {
            throw new RedtxArgumentException(
                    txId,
                    "unknown participant '" + name + "'; known: "
                            + options.participants().keySet());
        }
        return p;
    }
}
