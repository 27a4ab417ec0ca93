package io.redtx.runtime.internal.protocol;

import io.redtx.runtime.internal.redis.LuaScript;
import io.redtx.runtime.internal.redis.Shard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Mono;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * Forgets settled COMMITTED records on one participant's primary shards in batches ({@code forget.lua} takes many, of
 * one shard): a record waits at most {@link #DELAY} or until {@value #MAX_BATCH} are queued. Forgetting is off the critical path (the
 * transaction has already reported its outcome), and one script for every transaction that committed meanwhile
 * costs the primary far less than one each: under load, a 2PC transfer then runs one script per shard per phase and
 * almost nothing else.
 *
 * <p>Queued records count as background work, so a graceful close waits for them. If a batch fails, or the runtime
 * closes first, its records stay indexed as COMMITTED and recovery forgets them
 * (docs/design.md#recovery-without-the-coordinator), as it would after a coordinator crash.
 */
final class Forgets {

    /** Longest wait of a queued record. */
    static final Duration DELAY = Duration.ofMillis(10);

    /** Most records per script: bounds the script's run time and its reply. */
    static final int MAX_BATCH = 256;

    private static final Logger log = Loggers.getLogger(Forgets.class);

    private final String participant;
    private final RuntimeContext ctx;
    private final ConcurrentLinkedQueue<Record> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicBoolean timerSet = new AtomicBoolean();

    private record Record(Shard primary, String id) {}

    Forgets(String participant, RuntimeContext ctx) {
        this.participant = participant;
        this.ctx = ctx;
    }

    /**
     * Queues the record of {@code id} on {@code primary} (a shard of this participant), whose every shard is settled,
     * to be forgotten. Never blocks.
     */
    void add(Shard primary, String id) {
        ctx.background.started();
        queue.add(new Record(primary, id));
        if (queued.incrementAndGet() >= MAX_BATCH) {
            flush();
        } else if (timerSet.compareAndSet(false, true)) {
            ctx.deadlines
                    .delay(DELAY)
                    .subscribe(
                            tick -> {
                                // Unset before draining: a record queued after the drain sets a new timer (or fills a
                                // batch).
                                timerSet.set(false);
                                flush();
                            },
                            // Only once the runtime has closed: the records stay indexed, for recovery.
                            e -> log.debug("redtx: records to forget on '{}' left to recovery: {}", participant, e));
        }
    }

    private void flush() {
        Map<Shard, List<String>> byShard = new LinkedHashMap<>();
        int n = 0;
        for (Record r; n < MAX_BATCH && (r = queue.poll()) != null; n++) {
            byShard.computeIfAbsent(r.primary, s -> new ArrayList<>()).add(r.id);
        }
        if (n == 0) {
            return;
        }
        queued.addAndGet(-n);
        byShard.forEach(this::forget);
    }

    /** One script for the records of one shard (a Cluster's are in that shard's slot). */
    private void forget(Shard primary, List<String> ids) {
        String[] keys = new String[ids.size() + 1];
        String[] args = new String[ids.size() + 1];
        keys[0] = primary.indexKey;
        args[0] = ctx.retentionMillis;
        for (int i = 0; i < ids.size(); i++) {
            keys[i + 1] = primary.txKey(ids.get(i));
            args[i + 1] = ids.get(i);
        }
        int n = ids.size();
        ctx.background.run(
                "forget",
                n + " records, the first " + ids.get(0),
                primary.eval(LuaScript.FORGET, ctx.options.timeouts().commit(), keys, args)
                        .doFinally(signal -> ctx.background.ended(n)));
    }

    /** Forgets the record of {@code id} now, alone (recovery settles records one at a time). */
    static Mono<List<Object>> one(Shard primary, RuntimeContext ctx, String id) {
        return primary.eval(
                LuaScript.FORGET,
                ctx.options.timeouts().commit(),
                new String[] {primary.indexKey, primary.txKey(id)},
                ctx.retentionMillis,
                id);
    }
}
