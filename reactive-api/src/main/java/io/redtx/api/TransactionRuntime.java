package io.redtx.api;

import io.redtx.api.admin.TransactionAdmin;
import io.redtx.api.lock.DistributedLock;
import io.redtx.api.lock.LockOptions;
import io.redtx.api.lock.ReadWriteLock;
import io.redtx.api.message.ConsumerOptions;
import io.redtx.api.message.Delivery;
import io.redtx.api.message.DeliveryHandler;
import io.redtx.api.message.NoSuchGroupException;
import io.redtx.api.saga.Saga;
import io.redtx.api.saga.SagaDefinition;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Entry point of redtx: runs transactions across the participants named in its {@link RuntimeOptions}.
 *
 * <p>Obtain one from the runtime module ({@code io.redtx.runtime.RedisTransactionRuntime.create(options)}); share it;
 * close it when the application stops.
 */
public interface TransactionRuntime extends AutoCloseable {

    /**
     * Runs {@code work} in a transaction and commits it.
     *
     * <p>Lazy: each subscription starts a new attempt with a new transaction id and calls {@code work} with its handle.
     * The publisher {@code work} returns always runs to its end: every value it emits is requested (a {@code Flux} of
     * operations is never cut short), and only when it completes does the transaction commit. Its <em>last</em> value
     * is emitted after the commit succeeded; earlier values are dropped ({@link #inTransactionMany} emits them all).
     * Nothing is emitted before the commit. If {@code work} fails (or throws), the transaction is rolled back and the
     * error is propagated. Cancelling rolls back unless the commit point was passed. On a
     * {@link TransactionConflictException} the whole function is run again in a new attempt, as the
     * {@link RetryPolicy} allows (bounded, backoff with jitter); when attempts run out, the last conflict is signalled.
     * The whole attempt chain is bounded by {@link TimeoutOptions#transaction()}.
     *
     * @param work the transactional work; must do all its reads and writes through the handle it is given
     * @param <T> the value type
     * @return the last value {@code work} produced (empty if it completed empty), emitted after commit
     */
    <T> Mono<T> inTransaction(Function<? super Transaction, ? extends Publisher<T>> work);

    /**
     * An exclusive lock named {@code name}, with {@link LockOptions#defaults()}. Making it does nothing; see
     * {@link DistributedLock#acquire()}.
     *
     * @param name 1 to 256 characters; not starting with the runtime's namespace
     * @return the lock
     * @throws io.redtx.api.RedtxArgumentException for a bad name
     */
    default DistributedLock lock(String name) {
        return lock(name, LockOptions.defaults());
    }

    /**
     * An exclusive lock named {@code name}.
     *
     * @param name 1 to 256 characters; not starting with the runtime's namespace
     * @param options its participant, lease and wait time
     * @return the lock
     * @throws io.redtx.api.RedtxArgumentException for a bad name or an unknown participant
     */
    DistributedLock lock(String name, LockOptions options);

    /**
     * A read/write lock named {@code name} (its own name space: a lock and a read/write lock of one name are
     * different locks).
     *
     * @param name 1 to 256 characters; not starting with the runtime's namespace
     * @param options its participant, lease and wait time
     * @return the lock
     * @throws io.redtx.api.RedtxArgumentException for a bad name or an unknown participant
     */
    ReadWriteLock readWriteLock(String name, LockOptions options);

    /**
     * A counting semaphore named {@code name}: {@link DistributedLock#acquire()} takes one of {@code permits} permits,
     * each a lease of its own with its own fencing token. Every user of the semaphore must give the same
     * {@code permits}.
     *
     * @param name 1 to 256 characters; not starting with the runtime's namespace
     * @param permits at least 1
     * @param options its participant, lease and wait time
     * @return the semaphore
     * @throws io.redtx.api.RedtxArgumentException for a bad name, permits or an unknown participant
     */
    DistributedLock semaphore(String name, int permits, LockOptions options);

    /**
     * Delivers the entries of a stream to one consumer of a consumer group ({@code XREADGROUP}), at least once: an
     * entry stays pending until {@link Delivery#ack()}, and one left pending for {@link ConsumerOptions#claimIdle()}
     * (its consumer died, or did not acknowledge) is reclaimed ({@code XAUTOCLAIM}) by whichever consumer reads next
     * and delivered again with a higher {@link Delivery#deliveryCount()}, until {@link
     * ConsumerOptions#maxDeliveries()} sends it to the dead-letter stream.
     *
     * <p>Lazy: each subscription is a consumer that reads only as much as is requested (never more than {@link
     * ConsumerOptions#batchSize()} at a time) and, when the stream has nothing new, asks again after {@link
     * ConsumerOptions#pollInterval()} without holding a thread or a connection. It ends only when cancelled or on an
     * error: {@link NoSuchGroupException} for a missing group (unless {@link ConsumerOptions#createGroup()}), {@link
     * io.redtx.api.ParticipantErrorException} for a key of another type, {@link
     * io.redtx.api.ParticipantUnavailableException} when the participant cannot be reached in time; the group's state
     * is in Redis, so resubscribing (for example with {@code retryWhen}) goes on where it stopped.
     *
     * @param options the stream, the group and how to read
     * @return the deliveries
     * @throws io.redtx.api.RedtxArgumentException for a stream or dead-letter stream in the runtime's namespace, an
     *     unknown participant, or on a Cluster a dead-letter stream in another slot than the stream
     */
    Flux<Delivery> consume(ConsumerOptions options);

    /**
     * Consumes like {@link #consume} and handles each delivery in its own transaction that also writes a processed
     * marker for the entry (next to the stream, kept {@link ConsumerOptions#processedRetention()}) and acknowledges it:
     * the handler's writes, the marker and the acknowledgement commit together or not at all. A delivery whose marker
     * exists (the message was processed, by this or another consumer, in a transaction that committed) is acknowledged
     * without running the handler. So a message delivered twice changes state once; the handler's writes may span any
     * participants.
     *
     * <p>Up to {@link ConsumerOptions#concurrency()} deliveries are handled at once, in no particular order. A handler
     * that fails, or whose transaction does not commit, leaves its delivery pending: it is delivered again after
     * {@link ConsumerOptions#claimIdle()} and dead-lettered after {@link ConsumerOptions#maxDeliveries()}. Each
     * handled delivery emits an outcome (committed with the handler's value, or why not) and the consumer goes on; it
     * ends as {@link #consume} does.
     *
     * @param options the stream, the group and how to read
     * @param handler the work for one delivery
     * @param <T> what the work produces
     * @return one outcome per handled delivery, in completion order
     * @throws io.redtx.api.RedtxArgumentException as {@link #consume}
     */
    <T> Flux<TransactionOutcome<Delivery, T>> consumeTransactionally(
            ConsumerOptions options, DeliveryHandler<T> handler);

    /**
     * The saga registered under {@code name} ({@link RuntimeOptions.Builder#saga(SagaDefinition)}), to start
     * instances of. Making it does nothing; see {@link Saga#start}.
     *
     * @param name a registered saga's name
     * @return the saga
     * @throws io.redtx.api.RedtxArgumentException if no saga of that name is registered
     */
    Saga saga(String name);

    /**
     * Like {@link #inTransaction(Function)}, but emits every value {@code work} produced, in order, once the commit
     * succeeded. The values are held in memory until then (nothing can be emitted before the commit: the transaction
     * might still roll back), so a unit of work should produce a bounded number of them. A retried attempt starts over:
     * only the values of the attempt that committed are emitted.
     *
     * @param work the transactional work; must do all its reads and writes through the handle it is given
     * @param <T> the value type
     * @return the values {@code work} produced, emitted after commit; empty if it produced none
     */
    <T> Flux<T> inTransactionMany(Function<? super Transaction, ? extends Publisher<T>> work);

    /**
     * Like {@link #inTransaction(Function)}, but emits the value (the last one {@code work} produced, or {@code null})
     * together with the {@link CommitResult}.
     *
     * @param work the transactional work
     * @param <T> the value type
     * @return the value and the commit result
     */
    <T> Mono<TransactionResult<T>> inTransactionWithResult(Function<? super Transaction, ? extends Publisher<T>> work);

    /**
     * Like {@link #inTransaction(Function)}, with this transaction's own time limit, retry policy or read-only flag
     * (what {@code options} leaves unset is the runtime's).
     *
     * @param options this transaction's options, not null
     * @param work the transactional work
     * @param <T> the value type
     * @return the last value {@code work} produced, emitted after commit
     */
    <T> Mono<T> inTransaction(TransactionOptions options, Function<? super Transaction, ? extends Publisher<T>> work);

    /**
     * Like {@link #inTransactionWithResult(Function)}, with this transaction's own options.
     *
     * @param options this transaction's options, not null
     * @param work the transactional work
     * @param <T> the value type
     * @return the value and the commit result
     */
    <T> Mono<TransactionResult<T>> inTransactionWithResult(
            TransactionOptions options, Function<? super Transaction, ? extends Publisher<T>> work);

    /**
     * Like {@link #inTransactionMany(Function)}, with this transaction's own options.
     *
     * @param options this transaction's options, not null
     * @param work the transactional work
     * @param <T> the value type
     * @return the values {@code work} produced, emitted after commit
     */
    <T> Flux<T> inTransactionMany(
            TransactionOptions options, Function<? super Transaction, ? extends Publisher<T>> work);

    /**
     * Starts a transaction to be driven by the caller ({@link Transaction#commit()} / {@link Transaction#rollback()}).
     * Lazy: each subscription emits a new handle. No automatic retry.
     *
     * @return a new transaction handle
     */
    Mono<Transaction> begin();

    /**
     * Like {@link #begin()}, with this transaction's own options: its time limit (an unfinished handle is rolled back
     * after it) and read-only flag.
     *
     * @param options this transaction's options, not null, without a retry policy (a handle is never retried)
     * @return a new transaction handle
     * @throws RedtxArgumentException if {@code options} sets a retry policy
     */
    Mono<Transaction> begin(TransactionOptions options);

    /**
     * Looks up what the participants hold about a transaction attempt, for example after a
     * {@link TransactionOutcomeUnknownException} ({@link RedtxException#transactionId()}). Lazy; one round trip per
     * participant. Commits are known for {@link RecoveryOptions#recordRetention()} after they settle (a one-phase commit
     * that wrote nothing, or ran with {@link RecoveryOptions#onePhaseMarkers()} off, leaves no marker: {@link
     * TransactionStatus#UNKNOWN}).
     *
     * @param transactionId the id of the attempt
     * @return its status; {@link RedtxArgumentException} for a null or empty id
     */
    Mono<TransactionStatus> status(String transactionId);

    /**
     * Like {@link #status(String)}, with the participant that holds the transaction's record and the state of each
     * external (TCC) participant the record lists: which are still to be confirmed or cancelled after a coordinator
     * died, and which are done. Lazy; the same round trips as {@link #status(String)}.
     *
     * @param transactionId the id of the attempt
     * @return what the participants hold about it; {@link RedtxArgumentException} for a null or empty id
     */
    Mono<TransactionDetails> details(String transactionId);

    /**
     * Reads every participant's persistence settings and says what survives a restart of each. Lazy; one connection
     * (made if needed) and two commands per participant. With {@link ConnectionOptions#requireSyncedWrites()} the same
     * check refuses, when it connects, a participant below {@link ParticipantDurability.Level#EVERY_WRITE_SYNCED}.
     *
     * @return one entry per participant, in the order of {@link RuntimeOptions#participants()}
     */
    Mono<List<ParticipantDurability>> durability();

    /**
     * Checks now, on every participant, what a transaction would otherwise find on first use, so that an application
     * can refuse to start with a configuration that cannot work: connects (to every master of a Cluster), loads the
     * scripts, checks that the Redis user may run every command they call (ACL), and reads the durability (with
     * {@link ConnectionOptions#requireSyncedWrites()}, a participant below
     * {@link ParticipantDurability.Level#EVERY_WRITE_SYNCED} fails). Lazy; each subscription checks again; the
     * connections made are kept for the transactions. Each participant is bounded by
     * {@link TimeoutOptions#connect()}.
     *
     * @return every participant's durability, in the order of {@link RuntimeOptions#participants()}, once every check
     *     passed; else a {@link RedtxConfigurationException} naming each participant that failed and why (an
     *     unreachable participant included: at start-up that is a configuration to fix, not a moment to wait out)
     */
    Mono<List<ParticipantDurability>> verify();

    /**
     * Operator access to what this runtime's participants hold: transactions in doubt, one transaction with its keys,
     * resolving one by hand, the locks on a key (docs/operations.md#operator-tools). Making it does nothing; it uses
     * this runtime's connections and is usable until the runtime closes.
     *
     * @return the operator API over this runtime's participants
     */
    TransactionAdmin admin();

    /**
     * Runs one recovery pass now: on every participant, finds the intents whose lease has expired (through the shard's
     * intent index) and settles each through its primary's record — roll forward if COMMITTED, roll back otherwise.
     * Lazy; each subscription runs a pass. A participant that cannot be reached is skipped (with a warning in the log):
     * its intents are counted nowhere, and a later pass settles them.
     *
     * @return what the pass did
     */
    Mono<RecoveryReport> recover();

    /**
     * The intake: runs one transaction per request of {@code requests}, {@code work(request, transaction)} inside it
     * (with the retries of {@link #inTransaction}, and like there run to its end, its last value kept), and emits one
     * {@link TransactionOutcome} per request. Lazy: nothing is requested from {@code requests} before the result is
     * subscribed.
     *
     * <p>Backpressure: at most {@link IntakeOptions#maxInFlight()} requests run at once, and the intake never requests
     * more from {@code requests} than that many ahead of the outcomes taken downstream, so a slow consumer slows the
     * source instead of growing memory. Each transaction also takes an admission permit of the runtime
     * ({@link AdmissionOptions#maxInFlight()}); a rejection becomes a FAILED outcome, not an error of the stream.
     *
     * <p>Signals: an outcome per request (never an error for a request's failure); completes after the source
     * completes and every outcome was emitted; an error of the source is signalled after the outcomes of requests
     * already taken from it. Cancelling the result cancels the source and rolls back every transaction not past its commit
     * point (those past it finish in the background). The intake completes, cancelling its source, when the runtime
     * starts closing.
     *
     * @param requests the requests, not null
     * @param work the transaction of one request, not null
     * @param options in-flight limit, order, deadline; not null
     * @param <I> the request type
     * @param <T> the work's value type
     * @return the outcomes, one per request
     */
    <I, T> Flux<TransactionOutcome<I, T>> intake(
            Publisher<? extends I> requests,
            BiFunction<? super I, ? super Transaction, ? extends Publisher<T>> work,
            IntakeOptions options);

    /**
     * Closes gracefully: refuses new transactions and completes every intake (cancelling its source), waits for the
     * transactions of {@link #inTransaction} and the intakes still running and for background rollbacks and
     * roll-forwards (at most {@link TimeoutOptions#transaction()}: what is still unsettled then is left to
     * recovery), then closes every connection. Explicit handles from {@link #begin()} not committed by then can no
     * longer commit. Lazy; idempotent.
     *
     * @return completes when everything is closed
     */
    Mono<Void> closeGracefully();

    /**
     * Closes now: refuses new transactions and closes every connection without waiting. Work still in flight fails;
     * what it left in Redis is settled by recovery.
     */
    @Override
    void close();
}
