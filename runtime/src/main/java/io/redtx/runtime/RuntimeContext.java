package io.redtx.runtime;

import io.redtx.api.RedtxArgumentException;
import io.redtx.api.RuntimeOptions;
import io.redtx.runtime.internal.Deadlines;
import io.redtx.runtime.internal.ProtocolHooks;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/** What every transaction of one runtime shares: options, key names, participants, background work. */
final class RuntimeContext {

    final RuntimeOptions options;
    final Keys keys;
    final Map<String, Participant> participants;
    final BackgroundTasks background = new BackgroundTasks();
    /** Set when the runtime closes its connections: handles then refuse operations and commits. */
    final AtomicBoolean closed = new AtomicBoolean();

    final String leaseMillis;
    final String retentionMillis;
    final ProtocolHooks hooks;
    final Telemetry telemetry;
    final Resolver resolver;
    final Deadlines deadlines;
    /** Per participant, its batches of records to forget as primary. */
    private final Map<Participant, Forgets> forgets;

    RuntimeContext(
            RuntimeOptions options,
            Keys keys,
            Map<String, Participant> participants,
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
        Map<Participant, Forgets> f = new IdentityHashMap<>();
        participants.values().forEach(p -> f.put(p, new Forgets(p, this)));
        this.forgets = f;
    }

    /** @return the batches of records to forget on {@code primary} */
    Forgets forgets(Participant primary) {
        return forgets.get(primary);
    }

    /**
     * @param name a shard's name as records hold it ({@link Shard#name})
     * @return that shard, or null if no participant here has it
     */
    Shard shard(String name) {
        int at = name.indexOf('@');
        Participant p = participants.get(at < 0 ? name : name.substring(0, at));
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

    Participant participant(String txId, String name) {
        if (name == null) {
            throw new RedtxArgumentException(txId, "participant must not be null");
        }
        Participant p = participants.get(name);
        if (p == null) {
            throw new RedtxArgumentException(
                    txId,
                    "unknown participant '" + name + "'; known: "
                            + options.participants().keySet());
        }
        return p;
    }
}
