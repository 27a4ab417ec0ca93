package io.redtx.api.admin;

import io.redtx.api.ParticipantDurability;
import io.redtx.api.RecoveryReport;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Operator access to what redtx keeps in Redis: the transactions left in doubt (by a coordinator that died, or still
 * running), one transaction with the keys its intents cover, resolving one by hand, a recovery pass, durability, and
 * the locks on a key. Obtained from {@link io.redtx.api.TransactionRuntime#admin()}; it uses that runtime's
 * participants, namespace, connections and timeouts ({@code timeouts.read} for lookups, {@code timeouts.commit} for
 * each step of a resolution), and only the participants that runtime configures.
 *
 * <p>Every method is lazy (nothing is sent before subscription, each subscription asks again) and non-blocking. A
 * participant that cannot be reached fails the call with {@link io.redtx.api.ParticipantUnavailableException} (or
 * {@link io.redtx.api.TransactionTimeoutException}), naming it, except where a method says otherwise. Bad arguments
 * fail with {@link io.redtx.api.RedtxArgumentException}; a closed runtime with {@link
 * io.redtx.api.TransactionStateException}.
 */
public interface TransactionAdmin {

    /** The most intents {@link #inDoubt(int)} lists in one call. */
    int MAX_LIMIT = 10_000;

    /**
     * The intents in each shard's intent index: every transaction not settled yet on that shard. These are prepared
     * intents (a two-phase commit running, or left by a coordinator that died: expired leases are the ones to look
     * at), COMMITTED records whose secondaries are not all rolled forward yet, and ABORTED records whose external
     * participants are not all cancelled. One-phase commits never appear: they leave nothing to settle.
     *
     * <p>Streams participant by participant (in the runtime's order) and, on a Cluster, shard by shard (the slots
     * whose index exists, found by a {@code SCAN} of every master); within a shard, oldest lease deadline first. A
     * transaction with intents on several shards appears once per shard. Cancelling stops the listing.
     *
     * @param limit at most this many intents in all, 1 to {@link #MAX_LIMIT}
     * @return the intents, each with its keys
     */
    Flux<Intent> inDoubt(int limit);

    /**
     * One transaction: its {@link io.redtx.api.TransactionDetails} and what each shard holds for it, prepared intents
     * with the keys they cover.
     *
     * @param transactionId the id
     * @return the view; a status of {@link io.redtx.api.TransactionStatus#UNKNOWN} with no intent when nothing is known
     */
    Mono<TransactionView> show(String transactionId);

    /**
     * Settles one transaction now, as a recovery pass would: if its primary's record says COMMITTED, every intent is
     * rolled forward; otherwise the primary gets an ABORTED tombstone first (so a late commit point or prepare is
     * refused) and every intent is rolled back. External (TCC) participants are confirmed or cancelled as the record
     * decides.
     *
     * <p>Without {@code force} an intent whose lease still runs is left alone ({@link Resolution.Action#LEASE_RUNNING}),
     * as recovery leaves it: its coordinator may be alive and about to commit. With {@code force} it is settled
     * anyway. <strong>Risk:</strong> if the coordinator is in fact alive, a prepared transaction is aborted under it
     * (its commit point then finds the tombstone and fails with a retryable conflict; a committed record is never
     * aborted), so atomicity holds but a transaction that would have committed does not. Use it only when the
     * coordinator is known to be gone and its lease is too long to wait out.
     *
     * @param transactionId the id
     * @param force settle even if a lease still runs
     * @return what was done and the status afterwards
     */
    Mono<Resolution> resolve(String transactionId, boolean force);

    /**
     * One recovery pass now: {@link io.redtx.api.TransactionRuntime#recover()}.
     *
     * @return what the pass did
     */
    Mono<RecoveryReport> recover();

    /**
     * Every participant's persistence: {@link io.redtx.api.TransactionRuntime#durability()} (a participant that
     * cannot be read is {@link ParticipantDurability.Level#UNKNOWN}, not an error).
     *
     * @return one entry per participant, in the runtime's order
     */
    Mono<List<ParticipantDurability>> durability();

    /**
     * What holds {@code key} on every participant: the distributed locks named {@code key} (exclusive lock,
     * read/write lock, semaphore) with their holders, tokens and leases, and the transactions whose two-phase commit
     * holds the key, with their intent's state and lease. One script per participant, on the key's shard.
     *
     * @param key a user key or lock name, not in the runtime's namespace
     * @return what holds it
     */
    Mono<KeyLocks> locks(String key);
}
