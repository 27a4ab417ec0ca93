package io.redtx.runtime.internal.handle;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.ThreadExecutorMap;
import io.redtx.runtime.internal.redis.Errors;
import io.redtx.runtime.internal.redis.LuaScript;
import io.redtx.runtime.internal.redis.ParticipantLink;
import io.redtx.runtime.internal.redis.ReadReply;
import io.redtx.runtime.internal.redis.Shard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The reads one transaction issues together on one shard, sent as one {@code read.lua} call: the two balances of
 * a transfer, or the hundred of an audit, cost one script instead of one each.
 *
 * <p>"Together" means within one task of a Netty event loop, which is where reads start once a transaction runs (the
 * continuation of an earlier reply): the first read of a batch defers sending it to the end of that task, and the reads
 * subscribed meanwhile (the sources of a {@code Mono.zip} or {@code Flux.merge}) join it. A read started on any other
 * thread is sent at once, alone, as before batching. Guarded by the transaction's monitor.
 */
final class ReadBatch {

    private final DefaultTransaction tx;
    private final Shard shard;
    private final List<String> keys = new ArrayList<>(4);
    private final List<String> args = new ArrayList<>(6);
    private final List<CompletableFuture<ReadReply>> replies = new ArrayList<>(2);

    private ReadBatch(DefaultTransaction tx, Shard shard) {
        this.tx = tx;
        this.shard = shard;
        args.add(tx.id());
        args.add(shard.txPrefix());
    }

    /**
     * Adds a read to the open batch of its key's shard, opening one if none is; the batch leaves at the end of the
     * current event-loop task, or now off an event loop. Must hold the transaction's monitor.
     *
     * @return the batch to send now (the caller sends it once it released the monitor), or null
     */
    static ReadBatch add(
            DefaultTransaction tx, KeyEntry e, String op, String field, CompletableFuture<ReadReply> reply) {
        Shard shard = e.shard;
        ReadBatch batch = tx.openReads(shard);
        boolean opened = batch == null;
        if (opened) {
            batch = new ReadBatch(tx, shard);
        }
        batch.keys.add(e.key);
        batch.keys.add(e.lockKey);
        batch.args.add(op);
        batch.args.add(field);
        batch.replies.add(reply);
        if (!opened) {
            return null;
        }
        EventExecutor loop = ThreadExecutorMap.currentExecutor();
        if (loop == null) {
            return batch; // not on an event loop: nothing else will join it before it is sent
        }
        ReadBatch deferred = batch;
        try {
            loop.execute(() -> {
                synchronized (tx) {
                    tx.closeReads(shard, deferred);
                }
                deferred.send();
            });
        } catch (RejectedExecutionException shuttingDown) {
            return batch; // the loop takes no more tasks: send it now, alone
        }
        tx.openReads(shard, batch);
        return null;
    }

    /**
     * Sends the batch (closed to new reads) and hands each read its own entry of the reply; lock entries that the
     * script found stale (listed after the reads' entries) are removed in the background. While the shard's Cluster
     * slot is being resharded, Redis refuses the script; the keys are then read one by one
     * ({@link ParticipantLink#readAlone}), which Redis serves during a migration.
     */
    void send() {
        Duration timeout = tx.ctx.options.timeouts().read();
        shard.evalOnce(LuaScript.READ, timeout, tx::readSent, keys.toArray(new String[0]), args.toArray(new String[0]))
                .map(reply -> ReadReply.Batch.of(reply, replies.size()))
                .onErrorResume(Errors::slotMoving, refused -> readEachAlone(timeout))
                .subscribe(
                        batch -> {
                            // First: the removal is background work a graceful close waits for, and handing out the
                            // reads may end the transaction.
                            if (!batch.staleLocks().isEmpty()) {
                                tx.ctx.resolver.removeStaleLocks(shard, batch.staleLocks());
                            }
                            for (int i = 0; i < replies.size(); i++) {
                                replies.get(i).complete(batch.entries().get(i));
                            }
                        },
                        error -> replies.forEach(r -> r.completeExceptionally(error)));
    }

    /** What read.lua would answer, read key by key (the keys of this batch, at once). */
    private Mono<ReadReply.Batch> readEachAlone(Duration timeout) {
        return Flux.range(0, replies.size())
                .flatMapSequential(i -> shard.participant.readAlone(
                        keys.get(2 * i),
                        keys.get(2 * i + 1),
                        args.get(2 + 2 * i),
                        args.get(3 + 2 * i),
                        tx.id(),
                        timeout,
                        tx::readSent))
                .collectList()
                .map(entries -> new ReadReply.Batch(entries, List.of()));
    }
}
