package io.redtx.api;

import io.redtx.api.lock.LockLease;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;

/**
 * One attempt of a transaction: a handle for reads and buffered writes on any participant, committed atomically.
 *
 * <p>A handle belongs to one attempt. After {@link #commit()} or {@link #rollback()} has been subscribed, every further
 * operation fails with {@link TransactionStateException}. Handles are safe to use from several threads, but the
 * operations of one transaction are meant to be composed in one reactive pipeline.
 */
public interface Transaction {

    /**
     * The key under which the runtime puts the current attempt's id (a {@code String}) into the Reactor context of the
     * work it runs in a transaction ({@code inTransaction}, the intake), for logs and tracing:
     * {@code Mono.deferContextual(c -> log(c.get(Transaction.CONTEXT_KEY)))}. Not set for {@code begin()}, whose handle
     * the caller composes itself.
     */
    String CONTEXT_KEY = "redtx.transaction.id";

    /**
     * The key of a {@code Consumer<String>} that a caller puts into the Reactor context of a transaction it subscribes
     * to ({@code inTransaction}, {@code inTransactionWithResult}, {@code inTransactionMany}, the intake); the runtime
     * hands it each attempt's id as the attempt starts, before the attempt sends anything. So a caller that cancels,
     * or whose own time limit fires, still knows which ids to ask {@link TransactionRuntime#status} about. Use
     * {@link #onAttempt}. The consumer is called on whatever thread starts the attempt; it must be quick and must not
     * throw (what it throws is logged and ignored).
     */
    String ATTEMPT_LISTENER_KEY = "redtx.transaction.attempt-listener";

    /**
     * A context that hands every attempt's id to {@code listener} (see {@link #ATTEMPT_LISTENER_KEY}):
     *
     * <pre>{@code
     * List<String> ids = new CopyOnWriteArrayList<>();
     * runtime.inTransaction(work)
     *         .contextWrite(Transaction.onAttempt(ids::add))
     *         .timeout(Duration.ofMillis(500))
     *         .onErrorResume(TimeoutException.class, e -> Flux.fromIterable(ids).flatMap(runtime::status).then());
     * }</pre>
     *
     * @param listener gets each attempt's id, not null
     * @return a context for {@code contextWrite}
     */
    static Context onAttempt(Consumer<String> listener) {
        return Context.of(ATTEMPT_LISTENER_KEY, Objects.requireNonNull(listener, "listener"));
    }

    /** @return the id of this attempt, unique per attempt (a retry gets a new one) */
    String id();

    /**
     * Commands addressed to one participant.
     *
     * @param participant a participant name given in {@link RuntimeOptions}
     * @return the commands; never {@code null}
     * @throws RedtxArgumentException if no participant has that name
     */
    TransactionCommands on(String participant);

    /**
     * Commands whose keys the runtime places: each command goes to the participant that
     * {@link RuntimeOptions#keyRouter()} names for its key (by default consistent hashing over every participant). A
     * key reached here and through {@link #on(String)} of the same participant is the same key of this transaction.
     * A router that fails, or names a participant the runtime does not have, fails the command with
     * {@link RedtxArgumentException}, and nothing is buffered.
     *
     * @return the commands; never {@code null}
     */
    KeyCommands routed();

    /**
     * Joins external (TCC) participant {@code participant} to this transaction ({@link
     * io.redtx.api.external.ExternalParticipant}): at commit, after every Redis shard prepared and the record listed the
     * participant, its {@code tryReserve(id, request)} runs with the other participants' tries; the transaction commits
     * only if all reserved, then its {@code confirm} runs, else its {@code cancel}. After a coordinator crash recovery
     * (in any runtime that registers the participant) calls {@code confirm} or {@code cancel} as the record says, until
     * it succeeds. A transaction that joins an external participant commits in two phases. Lazy.
     *
     * @param participant a name registered with {@link RuntimeOptions.Builder#external}; each at most once per
     *     transaction
     * @param request what to reserve (fields and values together at most {@link LimitOptions#maxValueBytes()})
     * @return completes once joined; {@link RedtxArgumentException} for an unknown participant, a second join or a
     *     bad request
     */
    Mono<Void> external(String participant, Map<String, String> request);

    /**
     * Makes this transaction commit only if {@code lease} is still held, with its token, at the commit: checked in the
     * same script as the writes on the lock's participant (in one or two phases like any key), and no one else is
     * granted the lock between that check and the commit point. A holder paused past its lease whose lock went to
     * another therefore cannot commit: the commit fails with {@link io.redtx.api.lock.LockLostException} and writes
     * nothing (not retried: the same lease cannot come back). Lazy, like every operation of the handle.
     *
     * @param lease a lease of this runtime's locks
     * @return completes once the check is recorded
     */
    Mono<Void> requireLock(LockLease lease);

    /**
     * Commits atomically: nothing before subscription. With no writes and no reads it completes at once; with one
     * shard it runs one script (validate and apply); with several it prepares every shard concurrently, passes the
     * commit point on the primary shard, then rolls the secondaries forward.
     *
     * <p>Operations of this handle still waiting for the server when the commit is subscribed are waited for first, so
     * that what they read and write is part of the commit. A writing operation ({@code incrBy}, {@code decrBy},
     * {@code hincrBy}, {@code setIfAbsent}) cancelled before it buffered its write would be left out: the commit then
     * rolls back and fails with {@link TransactionStateException} instead.
     *
     * <p>Errors: {@link TransactionConflictException}, {@link TransactionTimeoutException} or
     * {@link ParticipantUnavailableException} when it was rolled back; {@link TransactionOutcomeUnknownException} when
     * the commit point may have been passed. Cancelling before the commit point rolls back (in the background);
     * cancelling after it does not stop the commit. Subscribing more than once returns the first commit's outcome.
     *
     * @return the commit result
     */
    Mono<CommitResult> commit();

    /**
     * Discards the buffered writes. Nothing was written before commit, so this only ends the handle; if a commit is in
     * progress and has not passed the commit point, that commit is rolled back. Completes empty; idempotent.
     *
     * @return completes when the handle is ended and any rollback finished
     */
    Mono<Void> rollback();
}
