package io.redtx.runtime.internal.handle;

import io.redtx.api.CommitResult;
import io.redtx.api.KeyCommands;
import io.redtx.api.RedtxArgumentException;
import io.redtx.api.Transaction;
import io.redtx.api.TransactionCommands;
import io.redtx.api.TransactionConflictException;
import io.redtx.api.TransactionOptions;
import io.redtx.api.TransactionStateException;
import io.redtx.api.lock.LockLease;
import io.redtx.api.metrics.AbortCause;
import io.redtx.runtime.internal.lock.Lease;
import io.redtx.runtime.internal.protocol.AttemptState;
import io.redtx.runtime.internal.protocol.CommitProcess;
import io.redtx.runtime.internal.protocol.RuntimeContext;
import io.redtx.runtime.internal.redis.ParticipantLink;
import io.redtx.runtime.internal.redis.Replies;
import io.redtx.runtime.internal.redis.Shard;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.Logger;
import reactor.util.Loggers;
import reactor.util.context.Context;

/**
 * One transaction attempt: its read set, its buffered writes, and its state ({@link AttemptState}: every transition
 * is named there and is one CAS, so a cancel racing the commit point has exactly one winner).
 */
public final class DefaultTransaction implements Transaction {

    private static final Logger log = Loggers.getLogger(DefaultTransaction.class);

    public final RuntimeContext ctx;
    private final String id;
    private final boolean readOnly;
    public final AttemptState state = new AttemptState();
    /** Keyed by participant name + '\0' + key, in first-use order. Guarded by {@code this}. */
    private final Map<String, KeyEntry> entries = new LinkedHashMap<>();
    /** External (TCC) participants joined, by name, with their requests; guarded by this. */
    private final Map<String, Map<String, String>> externals = new LinkedHashMap<>(0);

    private final Sinks.One<CommitResult> outcome = Sinks.one();
    /** Reads sent and not yet answered (guarded by {@code this}); see {@link #sentCommandsDone()}. */
    private List<CompletableFuture<?>> sentReads;
    /** Per shard, the batch of reads not sent yet (see {@link ReadBatch}); guarded by this. */
    private Map<Shard, ReadBatch> openReads;
    /** Completions of reads waiting to be run one at a time (see {@link #deliver}). */
    private final Queue<Runnable> deliveries = new ConcurrentLinkedQueue<>();

    private final AtomicInteger delivering = new AtomicInteger();
    /** Operations of the handle that wait for the server, started and not finished; guarded by this. */
    private int operationsRunning;
    /** Told when {@link #operationsRunning} drops to 0, for a commit waiting for them; guarded by this. */
    private Sinks.Empty<Void> operationsDone;
    /** The first writing operation cancelled before it buffered its write, described; guarded by this. */
    private String cutShort;

    private volatile Mono<Void> rollback;
    private volatile CommitProcess process;
    /** Told once when the transaction ends (see {@link #onEnd}); null when nobody needs to know. */
    private volatile EndListener onEnd;
    /** Why a commit in progress was stopped by this handle: set by the winner of COMMITTING → ABORTING. */
    private volatile AbortCause stoppedBy;

    private final AtomicBoolean ended = new AtomicBoolean();

    public DefaultTransaction(RuntimeContext ctx) {
        this(ctx, false);
    }

    /** @param readOnly whether every write of the handle is refused ({@link TransactionOptions#readOnly()}) */
    public DefaultTransaction(RuntimeContext ctx, boolean readOnly) {
        this.ctx = ctx;
        this.id = newId();
        this.readOnly = readOnly;
    }

    /**
     * {@code write}, unless this transaction is read-only: then an error naming the operation, and nothing buffered.
     *
     * @param operation the write's name, for the message
     */
    <T> Mono<T> writing(String operation, String key, String participant, Mono<T> write) {
        if (!readOnly) {
            return write;
        }
        return Mono.error(() -> new RedtxArgumentException(
                id,
                "transaction " + id + " is read-only: " + operation + " of '" + key + "' on '" + participant
                        + "' would write"));
    }

    /** Time-ordered (hex millis) plus 64 random bits: unique per attempt, and readable when debugging. */
    private static String newId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return Long.toHexString(System.currentTimeMillis()) + "-" + Long.toHexString(r.nextLong());
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public TransactionCommands on(String participant) {
        return new DefaultTransactionCommands(this, ctx.participant(id, participant));
    }

    @Override
    public KeyCommands routed() {
        return new RoutedCommands(this);
    }

    @Override
    public Mono<Void> external(String participant, Map<String, String> request) {
        return writing("external", participant, participant, Mono.fromRunnable(() -> {
            if (participant == null || !ctx.options.externals().containsKey(participant)) {
                throw new RedtxArgumentException(
                        id,
                        "unknown external participant " + (participant == null ? "null" : "'" + participant + "'")
                                + "; registered: " + ctx.options.externals().keySet());
            }
            if (request == null) {
                throw new RedtxArgumentException(
                        id, "request to external participant '" + participant + "' must not be null");
            }
            request.forEach((k, v) -> {
                if (k == null || v == null) {
                    throw new RedtxArgumentException(
                            id, "request to external participant '" + participant + "' has a null field or value");
                }
            });
            checkValues(() -> "request to external participant '" + participant + "'", request);
            synchronized (this) {
                checkActive();
                if (externals.putIfAbsent(participant, Map.copyOf(request)) != null) {
                    throw new RedtxArgumentException(
                            id, "external participant '" + participant + "' already joined this transaction");
                }
            }
        }));
    }

    /**
     * Marks entry {@code id} of {@code stream} processed by {@code group}, and acknowledges it, with this transaction:
     * the marker (a string expiring after {@code retention}) is read, validated at commit like any read, and written;
     * the acknowledgement is staged like a published message.
     *
     * @return true if the marker was absent (the message is processed for the first time), false if a committed
     *     transaction processed it already
     */
    public Mono<Boolean> processOnce(
            ParticipantLink participant, String marker, Duration retention, String stream, String group, String id) {
        return new DefaultTransactionCommands(this, participant).processOnce(marker, retention, stream, group, id);
    }

    @Override
    public Mono<Void> requireLock(LockLease lease) {
        return Mono.fromRunnable(() -> {
            if (!(lease instanceof Lease held) || !held.belongsTo(ctx)) {
                throw new RedtxArgumentException(
                        id, "requireLock needs a lease of a lock of this runtime, was " + lease);
            }
            synchronized (this) {
                KeyEntry e = internalEntry(held.link(), held.holdersKey());
                if (e.requiredLease != null && e.requiredLease != held) {
                    throw new RedtxArgumentException(
                            id, "transaction already requires another lease of lock '" + held.name() + "'");
                }
                e.requiredLease = held;
            }
        });
    }

    public boolean pastCommitPoint() {
        return state.isPastCommitPoint();
    }

    // ---- buffer access, used by DefaultTransactionCommands ----

    /** Finds or creates the entry of a key; validates key and limits. Call while holding {@code this}. */
    KeyEntry entry(ParticipantLink participant, String key) {
        checkActive();
        if (key == null || key.isEmpty()) {
            throw new RedtxArgumentException(
                    id, "key must not be null or empty (participant '" + participant.name() + "')");
        }
        ctx.keys.refuseInternal(id, "key", key);
        KeyEntry e = internalEntry(participant, key);
        if (e.streamAppends != null) {
            throw new RedtxArgumentException(
                    id,
                    "key '" + key + "' on '" + participant.name()
                            + "' is a stream this transaction publishes to; no other command applies to it");
        }
        return e;
    }

    /** The entry of a stream this transaction publishes to; refuses a key it reads or writes otherwise. */
    KeyEntry streamEntry(ParticipantLink participant, String key) {
        checkActive();
        if (key == null || key.isEmpty()) {
            throw new RedtxArgumentException(
                    id, "stream must not be null or empty (participant '" + participant.name() + "')");
        }
        ctx.keys.refuseInternal(id, "stream", key);
        KeyEntry e = internalEntry(participant, key);
        if (e.streamAppends == null) {
            if (e.write != KeyEntry.WriteKind.NONE
                    || e.stringRead
                    || e.existsSeen != null
                    || e.fieldsSeen != null
                    || e.hashSeen != null
                    || !e.conditions.isEmpty()) {
                throw new RedtxArgumentException(
                        id,
                        "key '" + key + "' on '" + participant.name()
                                + "' is read or written otherwise in this transaction; it cannot also be published to");
            }
            e.streamAppends = new ArrayList<>(1);
        }
        return e;
    }

    /**
     * Like {@link #entry}, for one of redtx's own keys (a lock's holders, a fence): only the limit is checked. Call
     * while holding {@code this}.
     */
    KeyEntry internalEntry(ParticipantLink participant, String key) {
        checkActive();
        String slot = participant.name() + '\0' + key;
        KeyEntry e = entries.get(slot);
        if (e == null) {
            if (entries.size() >= ctx.options.limits().maxKeysPerTransaction()) {
                throw new RedtxArgumentException(
                        id,
                        "transaction would touch more than maxKeysPerTransaction="
                                + ctx.options.limits().maxKeysPerTransaction() + " keys (adding '" + key + "' on '"
                                + participant.name() + "')");
            }
            e = new KeyEntry(participant.shardOf(key), key, ctx.keys.lockKey(key));
            entries.put(slot, e);
        }
        return e;
    }

    void checkActive() {
        if (!state.isActive()) {
            throw new TransactionStateException(
                    id, "transaction " + id + " is " + state.describe() + "; its handle accepts no more operations");
        }
        if (ctx.closed.get()) {
            throw new TransactionStateException(
                    id, "transaction " + id + " belongs to a closed runtime; its handle accepts no more operations");
        }
    }

    /**
     * Refuses a null or oversized value; {@code what} names it in the message, built only on failure (this runs for
     * every buffered write).
     */
    void checkValue(Supplier<String> what, String value) {
        if (value == null) {
            throw new RedtxArgumentException(id, what.get() + " must not be null");
        }
        // UTF-8 length is at most 3 bytes per char: skip the encoding for values that are surely small enough.
        if ((long) value.length() * 3 > ctx.options.limits().maxValueBytes()) {
            checkSize(what, value.getBytes(StandardCharsets.UTF_8).length);
        }
    }

    /**
     * Checks a message or request as one value: its fields and values together (a map of many small fields is as
     * large as one big value). The caller checked that none is null.
     */
    void checkValues(Supplier<String> what, Map<String, String> fields) {
        long chars = 0;
        for (Map.Entry<String, String> f : fields.entrySet()) {
            chars += f.getKey().length() + f.getValue().length();
        }
        if (chars * 3 > ctx.options.limits().maxValueBytes()) {
            long bytes = 0;
            for (Map.Entry<String, String> f : fields.entrySet()) {
                bytes += f.getKey().getBytes(StandardCharsets.UTF_8).length
                        + f.getValue().getBytes(StandardCharsets.UTF_8).length;
            }
            checkSize(what, bytes);
        }
    }

    private void checkSize(Supplier<String> what, long bytes) {
        if (bytes > ctx.options.limits().maxValueBytes()) {
            throw new RedtxArgumentException(
                    id,
                    what.get() + " is " + bytes + " bytes, over maxValueBytes="
                            + ctx.options.limits().maxValueBytes());
        }
    }

    /** Signals a read that met another transaction's intent. */
    TransactionConflictException foreignIntent(ParticipantLink p, String key, String owner) {
        return new TransactionConflictException(
                id, p.name(), key, TransactionConflictException.Reason.FOREIGN_INTENT, "held by " + owner);
    }

    /** @return the batch of reads on {@code p} not sent yet, or null; hold this monitor */
    ReadBatch openReads(Shard p) {
        return openReads == null ? null : openReads.get(p);
    }

    /** Makes {@code batch} the one later reads on {@code p} join until it is sent; hold this monitor. */
    void openReads(Shard p, ReadBatch batch) {
        if (openReads == null) {
            openReads = new HashMap<>(4);
        }
        openReads.put(p, batch);
    }

    /** Closes {@code batch} to later reads, which then open another; hold this monitor. */
    void closeReads(Shard p, ReadBatch batch) {
        openReads.remove(p, batch);
    }

    /** Records a read handed to a connection; its reply may come after its subscriber has gone. */
    void readSent(CompletableFuture<?> reply) {
        synchronized (this) {
            if (sentReads == null) {
                sentReads = new ArrayList<>();
            }
            sentReads.add(reply);
        }
    }

    /**
     * Completes when every read this attempt sent has been answered (or after the read timeout). A failed attempt
     * waits here before its error goes on to a retry: when one of many concurrent reads conflicts, the others are
     * cancelled but already queued on the connections, and an attempt that retried at once would pile new reads on
     * top of them without bound. Waiting keeps what each transaction has queued bounded.
     */
    public Mono<Void> sentCommandsDone() {
        CompletableFuture<?>[] pending;
        synchronized (this) {
            if (sentReads == null) {
                return Mono.empty();
            }
            pending = sentReads.stream().filter(f -> !f.isDone()).toArray(CompletableFuture[]::new);
        }
        if (pending.length == 0) {
            return Mono.empty();
        }
        return Replies.of(CompletableFuture.allOf(pending))
                .onErrorComplete()
                .timeout(ctx.deadlines.delay(ctx.options.timeouts().read()), Mono.empty());
    }

    // ---- delivering replies ----

    /**
     * Runs {@code signal} (the outcome of one of this transaction's operations reaching its subscriber) after every
     * signal handed here before it, one at a time, on whichever thread comes first. Replies of one transaction arrive on several threads (event
     * loops, time limits); if two of its operations failed at the same instant, the user's {@code zip} or
     * {@code flatMap} over them would see the second error after it had already failed and hand it to Reactor's
     * {@code onErrorDropped}. One at a time, the first failure has cancelled the other operations before their turn,
     * and a cancelled reply is dropped quietly ({@link Replies}).
     */
    void deliver(Runnable signal) {
        int missed;
        if (delivering.get() == 0 && delivering.compareAndSet(0, 1)) {
            run(signal); // the usual case: nothing else is being handed over
            missed = delivering.decrementAndGet();
            if (missed == 0) {
                return;
            }
        } else {
            deliveries.offer(signal);
            if (delivering.getAndIncrement() != 0) {
                return;
            }
            missed = 1;
        }
        for (; ; ) {
            for (Runnable next; (next = deliveries.poll()) != null; ) {
                run(next);
            }
            missed = delivering.addAndGet(-missed);
            if (missed == 0) {
                return;
            }
        }
    }

    private void run(Runnable signal) {
        try {
            signal.run();
        } catch (RuntimeException e) {
            // A subscriber that throws breaks its own rule; the next ones still get their replies.
            log.error("redtx: delivering a reply of {} failed", id, e);
        }
    }

    /**
     * {@code work} subscribed to in turn with the replies and the cancel ({@link #deliver}): a cancel arriving on
     * another thread while the work subscribes to its first operations then waits for the subscription to finish,
     * instead of rolling the transaction back under it (its next operation would fail with an error nobody hears).
     */
    public <T> Mono<T> subscribedInTurn(Mono<T> work) {
        return new Mono<>() {
            @Override
            public void subscribe(CoreSubscriber<? super T> actual) {
                deliver(() -> work.subscribe(actual));
            }
        };
    }

    /** The reply of one of this transaction's operations, handed over by {@link #deliver}. */
    <T> Mono<T> delivered(CompletableFuture<T> reply) {
        return Replies.of(reply, this::deliver);
    }

    // ---- operations in flight ----

    /**
     * {@code op}, a read of the handle from the server, counted while it runs: a commit first waits for every
     * operation started on the handle, so that each one's read, and the write its subscriber buffers on its value, are
     * in the transaction. It counts as done once its value went through the subscriber (or it failed, completed empty
     * or was cancelled). For a read a write depends on ({@code writes}), a cancel before the value means the write is
     * lost: the handle then refuses to commit (see {@link #commit()}).
     *
     * @param what names the writing operation, built only if it is cut short
     */
    <T> Mono<T> operation(Mono<T> op, boolean writes, Supplier<String> what) {
        return new Operation<>(op, writes, what);
    }

    /** An operation counted from its subscription to its first signal or its cancel (see {@link #operation}). */
    private final class Operation<T> extends Mono<T> {
        private final Mono<T> op;
        private final boolean writes;
        private final Supplier<String> what;

        Operation(Mono<T> op, boolean writes, Supplier<String> what) {
            this.op = op;
            this.writes = writes;
            this.what = what;
        }

        @Override
        public void subscribe(CoreSubscriber<? super T> actual) {
            synchronized (DefaultTransaction.this) {
                operationsRunning++;
            }
            op.subscribe(new Running<>(actual, writes, what));
        }
    }

    /** The subscriber of one {@link Operation}: passes every signal on, and ends the operation once. */
    private final class Running<T> implements CoreSubscriber<T>, Subscription {
        private final CoreSubscriber<? super T> actual;
        private final boolean writes;
        private final Supplier<String> what;
        private Subscription upstream;
        /** Set once the value goes to the subscriber, which buffers its write with it; read by finished(). */
        private volatile boolean valued;

        private boolean ended; // guarded by the transaction

        Running(CoreSubscriber<? super T> actual, boolean writes, Supplier<String> what) {
            this.actual = actual;
            this.writes = writes;
            this.what = what;
        }

        @Override
        public Context currentContext() {
            return actual.currentContext();
        }

        @Override
        public void onSubscribe(Subscription s) {
            upstream = s;
            actual.onSubscribe(this);
        }

        @Override
        public void onNext(T value) {
            valued = true;
            actual.onNext(value); // the subscriber buffers its write here, synchronously (and may cancel then)
            finished(false);
        }

        @Override
        public void onError(Throwable e) {
            finished(false);
            actual.onError(e);
        }

        @Override
        public void onComplete() {
            finished(false);
            actual.onComplete();
        }

        @Override
        public void request(long n) {
            upstream.request(n);
        }

        @Override
        public void cancel() {
            finished(true);
            upstream.cancel();
        }

        private void finished(boolean cancelled) {
            Sinks.Empty<Void> waiting = null;
            synchronized (DefaultTransaction.this) {
                if (ended) {
                    return;
                }
                ended = true;
                if (cancelled && writes && !valued && cutShort == null) {
                    cutShort = what.get();
                }
                if (--operationsRunning == 0) {
                    waiting = operationsDone;
                    operationsDone = null;
                }
            }
            if (waiting != null) {
                waiting.tryEmitEmpty();
            }
        }
    }

    /** Completes once no operation of the handle is running; null if none is now. */
    private Mono<Void> operationsDone() {
        synchronized (this) {
            if (operationsRunning == 0) {
                return null;
            }
            if (operationsDone == null) {
                operationsDone = Sinks.empty();
            }
            return operationsDone.asMono();
        }
    }

    // ---- lifecycle ----

    /** Learns how a transaction ended: exactly one call, on one of its two methods. */
    public interface EndListener {
        /** The commit succeeded. */
        void committed(CommitResult result);

        /**
         * The transaction ended without committing.
         *
         * @param cause why
         * @param error what its commit failed with, or null when it was rolled back, cancelled or expired
         */
        void aborted(AbortCause cause, Throwable error);
    }

    /**
     * Sets who is told, once, when this transaction ends: its commit's outcome is known (success or failure), or it is
     * rolled back before any commit started. Set before the handle is published.
     */
    public void onEnd(EndListener listener) {
        this.onEnd = listener;
    }

    private void end(AbortCause cause, Throwable error) {
        EndListener listener = onEnd;
        if (listener != null && ended.compareAndSet(false, true)) {
            listener.aborted(cause, error);
        }
    }

    private void end(CommitResult result) {
        EndListener listener = onEnd;
        if (listener != null && ended.compareAndSet(false, true)) {
            listener.committed(result);
        }
    }

    /** Rolls back a transaction nobody committed or rolled back within the transaction timeout. */
    public void expire() {
        if (state.markRolledBackBeforeCommit()) {
            end(AbortCause.TIMEOUT, null);
        }
    }

    @Override
    public Mono<CommitResult> commit() {
        return Mono.defer(() -> {
            Mono<Void> running = operationsDone();
            return running == null
                    ? commitNow()
                    : running.then(Mono.defer(this::commitNow)).doOnCancel(this::cancel);
        });
    }

    private Mono<CommitResult> commitNow() {
        return Mono.defer(() -> {
            // Closed: the connections are gone, so a commit could only fail with an unknown outcome. Nothing was
            // sent yet, so refuse it cleanly.
            if (ctx.closed.get() && state.markRolledBackBeforeCommit()) {
                TransactionStateException error = new TransactionStateException(
                        id, "transaction " + id + " cannot be committed: the transaction runtime is closed");
                end(AbortCause.INVALID, error);
                return Mono.error(error);
            }
            String lost;
            synchronized (this) {
                lost = cutShort;
            }
            if (lost != null && state.markRolledBackBeforeCommit()) {
                TransactionStateException error = new TransactionStateException(
                        id,
                        "transaction " + id + " was rolled back instead of committed: " + lost + " was cancelled"
                                + " before it buffered its write, which the commit would have left out");
                end(AbortCause.INVALID, error);
                return Mono.error(error);
            }
            CommitProcess started = null;
            // The CAS and publishing the process are one step for startRollback(), which holds the monitor too: a
            // cancel that wins COMMITTING -> ABORTING right after this CAS must find the process whose prepares it
            // has to abort (else its rollback would be empty and the prepared intents would stay).
            synchronized (this) {
                if (state.markCommitting()) {
                    started = new CommitProcess(
                            ctx,
                            id,
                            state,
                            this::startRollback,
                            List.copyOf(entries.values()),
                            // In the order they joined: the record lists them so (Map.copyOf has no order).
                            externals.isEmpty()
                                    ? Map.of()
                                    : Collections.unmodifiableMap(new LinkedHashMap<>(externals)));
                    process = started;
                } else if (process == null) {
                    return Mono.error(new TransactionStateException(
                            id, "transaction " + id + " was rolled back; it cannot be committed"));
                }
            }
            if (started != null) {
                // Detached on purpose: the subscriber may cancel, but past the commit point the commit must finish.
                ctx.background.run(
                        "commit",
                        id,
                        started.run()
                                .doOnSuccess(result -> {
                                    end(result);
                                    outcome.tryEmitValue(result);
                                })
                                .doOnError(error -> {
                                    AbortCause by = stoppedBy;
                                    end(by != null ? by : AbortCause.of(error), error);
                                    outcome.tryEmitError(error);
                                })
                                // Only if the commit itself was cancelled (the runtime shutting down).
                                .doFinally(signal -> end(AbortCause.CANCELLED, null))
                                .onErrorComplete());
            }
            return outcome.asMono().doOnCancel(this::cancel);
        });
    }

    @Override
    public Mono<Void> rollback() {
        return Mono.defer(() -> {
            if (state.markRolledBackBeforeCommit()) {
                end(AbortCause.ROLLED_BACK, null);
                return Mono.empty(); // nothing was written before commit
            }
            if (state.isRolledBack()) {
                return Mono.empty();
            }
            if (state.markAborting()) {
                stoppedBy = AbortCause.ROLLED_BACK;
                return startRollback();
            }
            if (state.isAborting()) {
                return startRollback(); // the rollback already started (or about to be): wait for it
            }
            return Mono.error(new TransactionStateException(
                    id, "transaction " + id + " passed its commit point; it cannot be rolled back"));
        });
    }

    /**
     * Cancellation: roll back, in the background, unless the commit point was passed. Taken in turn with the replies
     * being handed over ({@link #deliver}): a reply handed over while the subscriber cancels on another thread then
     * still finds the transaction active, instead of failing an operation with an error nobody would hear.
     */
    public void cancel() {
        deliver(this::cancelNow);
    }

    private void cancelNow() {
        if (state.markRolledBackBeforeCommit()) {
            end(AbortCause.CANCELLED, null);
            return;
        }
        // Not active any more, and states only move forward: committing (then this cancel rolls back), or past the
        // commit point or already rolling back (then it does nothing).
        if (state.markAborting()) {
            stoppedBy = AbortCause.CANCELLED;
            ctx.background.run("rollback after cancel", id, startRollback());
        }
    }

    /** Called by the winner of the COMMITTING → ABORTING transition; the rollback runs at most once. */
    private Mono<Void> startRollback() {
        synchronized (this) {
            Mono<Void> r = rollback;
            if (r == null) {
                CommitProcess p = process;
                r = (p == null ? Mono.<Void>empty() : p.abortAll()).cache();
                rollback = r;
            }
            return r;
        }
    }

    @Override
    public String toString() {
        return "Transaction{" + id + ", " + state.describe() + "}";
    }
}
