package io.redtx.runtime.internal.protocol;

import io.redtx.api.ParticipantDurability;
import io.redtx.api.RecoveryReport;
import io.redtx.api.RedtxArgumentException;
import io.redtx.api.TransactionPhase;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.TransactionStateException;
import io.redtx.api.TransactionStatus;
import io.redtx.api.admin.Intent;
import io.redtx.api.admin.IntentState;
import io.redtx.api.admin.KeyLock;
import io.redtx.api.admin.KeyLocks;
import io.redtx.api.admin.LockHolder;
import io.redtx.api.admin.LockState;
import io.redtx.api.admin.Resolution;
import io.redtx.api.admin.TransactionAdmin;
import io.redtx.api.admin.TransactionView;
import io.redtx.runtime.internal.redis.Errors;
import io.redtx.runtime.internal.redis.Keys;
import io.redtx.runtime.internal.redis.LuaScript;
import io.redtx.runtime.internal.redis.ParticipantLink;
import io.redtx.runtime.internal.redis.RecordState;
import io.redtx.runtime.internal.redis.Shard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The operator API over one runtime's participants ({@link TransactionAdmin}). It reads with two read-only scripts of
 * its own ({@code intents.lua}, {@code key_locks.lua}: one round trip per shard, the shard's clock for ages and leases)
 * and settles through the {@link Resolver}, so that a transaction resolved by hand is settled exactly as recovery
 * would settle it.
 */
public final class Admin implements TransactionAdmin {

    /** The lock kinds of {@code Locks}, in the order {@code key_locks.lua} reports them. */
    private static final List<LockState.Kind> KINDS =
            List.of(LockState.Kind.LOCK, LockState.Kind.READ_WRITE_LOCK, LockState.Kind.SEMAPHORE);

    private static final List<String> KIND_KEYS = List.of("l", "rw", "s");

    private final RuntimeContext ctx;
    private final TransactionRuntime runtime;

    /**
     * @param ctx the runtime's shared state
     * @param runtime the runtime, for what it already answers (details, recovery, durability)
     */
    public Admin(RuntimeContext ctx, TransactionRuntime runtime) {
        this.ctx = ctx;
        this.runtime = runtime;
    }

    @Override
    public Flux<Intent> inDoubt(int limit) {
        return Flux.defer(() -> {
            checkOpen();
            if (limit < 1 || limit > MAX_LIMIT) {
                return Flux.error(
                        new RedtxArgumentException(null, "limit must be 1 to " + MAX_LIMIT + ", was " + limit));
            }
            Duration timeout = ctx.options.timeouts().read();
            // One participant, and one shard, at a time: the listing streams, and stopping it (take) stops the reads.
            return Flux.fromIterable(participants())
                    .concatMap(
                            p -> p.shardsWithKey(Keys::indexKeysPattern, timeout)
                                    .concatMap(shard -> intents(shard, limit, List.of(), timeout), 1)
                                    .map(Found::intent)
                                    .onErrorMap(e -> Errors.map(e, null, p.name(), TransactionPhase.READ, timeout)),
                            1)
                    .take(limit);
        });
    }

    @Override
    public Mono<TransactionView> show(String transactionId) {
        return Mono.defer(() -> {
            checkOpen();
            checkId(transactionId);
            return Mono.zip(runtime.details(transactionId), intentsOf(transactionId), TransactionView::new);
        });
    }

    @Override
    public Mono<Resolution> resolve(String transactionId, boolean force) {
        return Mono.defer(() -> {
            checkOpen();
            checkId(transactionId);
            return found(transactionId).collectList().flatMap(found -> {
                // What recovery would settle: prepared intents, and records still indexed on their primary (committed
                // with secondaries to roll forward, aborted with external participants to cancel).
                List<Found> open = found.stream()
                        .filter(f -> f.intent().state() == IntentState.PREPARED
                                || f.intent().primary() && !f.settled())
                        .toList();
                if (open.isEmpty()) {
                    return status(transactionId)
                            .map(status -> new Resolution(
                                    transactionId,
                                    found.isEmpty() && status == TransactionStatus.UNKNOWN
                                            ? Resolution.Action.NOT_FOUND
                                            : Resolution.Action.ALREADY_SETTLED,
                                    status));
                }
                boolean running = open.stream()
                        .anyMatch(f -> f.intent().state() != IntentState.ABORTED
                                && !f.intent().leaseExpired());
                if (running && !force) {
                    return status(transactionId)
                            .map(status -> new Resolution(transactionId, Resolution.Action.LEASE_RUNNING, status));
                }
                // One shard after the other: each step asks the primary's record, which the first step may settle.
                return Flux.fromIterable(open)
                        .concatMap(f -> ctx.resolver.resolve(f.shard(), transactionId, force))
                        .collectList()
                        .flatMap(outcomes -> status(transactionId)
                                .map(status -> new Resolution(transactionId, action(outcomes), status)));
            });
        });
    }

    private static Resolution.Action action(List<Resolver.Outcome> outcomes) {
        if (outcomes.contains(Resolver.Outcome.LEFT)) {
            return Resolution.Action.LEFT;
        }
        return outcomes.contains(Resolver.Outcome.ROLLED_FORWARD)
                ? Resolution.Action.ROLLED_FORWARD
                : Resolution.Action.ROLLED_BACK;
    }

    @Override
    public Mono<RecoveryReport> recover() {
        return runtime.recover();
    }

    @Override
    public Mono<List<ParticipantDurability>> durability() {
        return runtime.durability();
    }

    @Override
    public Mono<KeyLocks> locks(String key) {
        return Mono.defer(() -> {
            checkOpen();
            if (key == null || key.isEmpty()) {
                return Mono.error(new RedtxArgumentException(null, "key must not be null or empty"));
            }
            ctx.keys.refuseInternal(null, "key", key);
            Duration timeout = ctx.options.timeouts().read();
            Keys keys = ctx.keys;
            String[] scriptKeys = new String[1 + 2 * KIND_KEYS.size()];
            scriptKeys[0] = keys.lockKey(key);
            for (int k = 0; k < KIND_KEYS.size(); k++) {
                String holders = keys.lockHolders(KIND_KEYS.get(k), key);
                scriptKeys[1 + 2 * k] = holders;
                scriptKeys[2 + 2 * k] = Keys.lockSequence(holders);
            }
            List<LockState> locks = new ArrayList<>();
            List<KeyLock> transactions = new ArrayList<>();
            return Flux.fromIterable(participants())
                    .concatMap(p -> {
                        Shard shard = p.shardOf(key);
                        return shard.eval(LuaScript.ADMIN_KEY_LOCKS, timeout, scriptKeys, shard.txPrefix())
                                .onErrorMap(e -> Errors.map(e, null, p.name(), TransactionPhase.READ, timeout))
                                .doOnNext(reply -> keyLocks(shard, reply, locks, transactions));
                    })
                    .then(Mono.fromSupplier(() -> new KeyLocks(key, locks, transactions)));
        });
    }

    /** Decodes {@code key_locks.lua}'s reply (its header is the contract) into {@code locks} and {@code transactions}. */
    private static void keyLocks(Shard shard, List<Object> reply, List<LockState> locks, List<KeyLock> transactions) {
        String participant = shard.participant.name();
        long now = Long.parseLong((String) reply.get(0));
        int i = 1;
        int owners = Integer.parseInt((String) reply.get(i++));
        for (int o = 0; o < owners; o++) {
            String owner = (String) reply.get(i++);
            String mode = (String) reply.get(i++);
            String st = (String) reply.get(i++);
            String lease = (String) reply.get(i++);
            transactions.add(new KeyLock(
                    participant,
                    shard.name,
                    owner,
                    "w".equals(mode),
                    st.isEmpty() ? Optional.empty() : Optional.of(state(st)),
                    lease.isEmpty() ? Duration.ZERO : Duration.ofMillis(Long.parseLong(lease) - now)));
        }
        for (LockState.Kind kind : KINDS) {
            String token = (String) reply.get(i++);
            int n = Integer.parseInt((String) reply.get(i++));
            List<LockHolder> holders = new ArrayList<>();
            for (int h = 0; h < n; h++) {
                String holder = (String) reply.get(i++);
                // token|deadline ms (participant clock)|mode, as lock_acquire.lua writes it
                String[] lease = ((String) reply.get(i++)).split("\\|");
                holders.add(new LockHolder(
                        holder,
                        lease.length > 2 ? lease[2] : "",
                        Long.parseLong(lease[0]),
                        Duration.ofMillis(Long.parseLong(lease[1]) - now)));
            }
            if (!token.isEmpty() || !holders.isEmpty()) {
                locks.add(new LockState(participant, kind, token.isEmpty() ? 0 : Long.parseLong(token), holders));
            }
        }
    }

    /**
     * An intent and the shard it is on; {@code settled}: a record or marker that only waits for its retention to end
     * (nothing left for recovery to do there).
     */
    private record Found(Shard shard, Intent intent, boolean settled) {}

    /** What every shard holds for {@code transactionId}, in participant order. */
    private Mono<List<Intent>> intentsOf(String transactionId) {
        return found(transactionId).map(Found::intent).collectList();
    }

    private Flux<Found> found(String transactionId) {
        Duration timeout = ctx.options.timeouts().read();
        return Flux.fromIterable(participants())
                .concatMap(p -> p.shardsWithKey(k -> k.transactionKeysPattern(transactionId), timeout)
                        .concatMap(shard -> intents(shard, 1, List.of(transactionId), timeout))
                        .onErrorMap(e -> Errors.map(e, transactionId, p.name(), TransactionPhase.READ, timeout)));
    }

    /** {@code intents.lua} on one shard: the first {@code limit} entries of its index, or the intents of {@code ids}. */
    private Flux<Found> intents(Shard shard, int limit, List<String> ids, Duration timeout) {
        String[] args = new String[2 + ids.size()];
        args[0] = shard.txPrefix();
        args[1] = Integer.toString(limit);
        for (int i = 0; i < ids.size(); i++) {
            args[2 + i] = ids.get(i);
        }
        return shard.eval(LuaScript.ADMIN_INTENTS, timeout, new String[] {shard.indexKey}, args)
                .flatMapIterable(reply -> intents(shard, reply, ctx.keys::userKeyOfLock));
    }

    /** Decodes {@code intents.lua}'s reply (its header is the contract). */
    private static List<Found> intents(Shard shard, List<Object> reply, Function<String, String> userKeyOfLock) {
        long now = Long.parseLong((String) reply.get(0));
        List<Found> found = new ArrayList<>();
        int i = 1;
        while (i < reply.size()) {
            String id = (String) reply.get(i++);
            String st = (String) reply.get(i++);
            String lease = (String) reply.get(i++);
            String created = (String) reply.get(i++);
            String primaryShard = (String) reply.get(i++);
            boolean primary = "1".equals(reply.get(i++));
            boolean settled = "1".equals(reply.get(i++));
            TreeSet<String> keys = new TreeSet<>();
            int locks = Integer.parseInt((String) reply.get(i++));
            for (int k = 0; k < locks; k++) {
                keys.add(userKeyOfLock.apply((String) reply.get(i++)));
            }
            int writes = Integer.parseInt((String) reply.get(i++));
            for (int k = 0; k < writes; k++) {
                keys.add((String) reply.get(i++));
            }
            found.add(new Found(
                    shard,
                    new Intent(
                            id,
                            shard.participant.name(),
                            shard.name,
                            state(st),
                            primary,
                            primaryShard,
                            created.isEmpty()
                                    ? Duration.ZERO
                                    : Duration.ofMillis(Math.max(0, now - Long.parseLong(created))),
                            lease.isEmpty() ? Duration.ZERO : Duration.ofMillis(Long.parseLong(lease) - now),
                            List.copyOf(keys)),
                    settled));
        }
        return found;
    }

    private static IntentState state(String st) {
        return switch (RecordState.of(st)) {
            case PREPARED -> IntentState.PREPARED;
            case COMMITTED -> IntentState.COMMITTED;
            case ABORTED -> IntentState.ABORTED;
            case NONE -> throw new IllegalStateException("not an intent state: " + st);
        };
    }

    private Mono<TransactionStatus> status(String transactionId) {
        return runtime.status(transactionId);
    }

    /** The participants in the order of the runtime's options. */
    private List<ParticipantLink> participants() {
        return ctx.options.participants().keySet().stream()
                .map(ctx.participants::get)
                .toList();
    }

    private void checkOpen() {
        if (ctx.closed.get()) {
            throw new TransactionStateException(null, "the transaction runtime is closed");
        }
    }

    private static void checkId(String transactionId) {
        if (transactionId == null || transactionId.isEmpty()) {
            throw new RedtxArgumentException(null, "transactionId must not be null or empty");
        }
    }
}
