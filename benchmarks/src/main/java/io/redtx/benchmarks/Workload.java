package io.redtx.benchmarks;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.redtx.api.AdmissionOptions;
import io.redtx.api.Replication;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.StreamTrim;
import io.redtx.api.Transaction;
import io.redtx.api.TransactionRuntime;
import io.redtx.runtime.RedisTransactionRuntime;
import io.redtx.samples.bank.Bank;
import io.redtx.test.redis.IntentCount;
import io.redtx.test.redis.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.redisson.Redisson;
import org.redisson.api.RBucketReactive;
import org.redisson.api.RTransactionReactive;
import org.redisson.api.RedissonClient;
import org.redisson.api.RedissonReactiveClient;
import org.redisson.api.TransactionOptions;
import org.redisson.config.Config;
import org.redisson.transaction.TransactionException;
import reactor.core.publisher.Mono;

/**
 * The ways the load program moves money between bank accounts, each on its own account layout over the same
 * embedded servers. Accounts are {@code acct:<i>} strings; account {@code i} lives on server {@code i % shards()}
 * (the layout of {@link Bank}, whose participants are named {@code s0 .. s2} after the servers).
 */
enum Workload {
    /** (a) Non-atomic Lettuce fan-out over 3 servers: GET the source, then INCRBY both accounts concurrently. */
    RAW_FANOUT(
            "raw-fanout",
            3,
            false,
            "non-atomic Lettuce fan-out over 3 servers: GET the source, then INCRBY -amount on it and +amount on the"
                    + " destination (another server), concurrently"),
    /** (b) One hand-written Lua script per transfer on one server holding every account. */
    LUA_SINGLE(
            "lua-single",
            1,
            true,
            "hand-written Lua transfer on 1 server holding every account: one EVALSHA checks the balance and runs"
                    + " DECRBY/INCRBY atomically (the single-node atomic ceiling)"),
    /**
     * What users write by hand on one server: WATCH the source, GET it, then MULTI/DECRBY/INCRBY/EXEC, again when EXEC
     * finds the source changed. Each transfer needs a connection of its own (WATCH and MULTI are per connection).
     */
    WATCH_MULTI(
            "watch-multi",
            1,
            true,
            "hand-written optimistic transaction on 1 server: WATCH the source, GET it, MULTI/DECRBY/INCRBY/EXEC,"
                    + " again until EXEC runs; one connection per transfer in flight, from a pool, as Lettuce requires"),
    /** Redisson's RTransaction on one server, keeping the total: compareAndSet on both accounts. */
    REDISSON_RTX(
            "redisson-rtx",
            1,
            true,
            "Redisson RTransaction on 1 server: get both balances, compareAndSet each (Redisson locks the key until the"
                    + " commit), commit; again after a failed compareAndSet or commit"),
    /**
     * Redisson's RTransaction written as the documentation's examples read: get, check, set. Its reads take no lock,
     * so concurrent transfers can overwrite each other: the balance check is reported, not required.
     */
    REDISSON_RTX_RCS(
            "redisson-rtx-rcs",
            1,
            false,
            "Redisson RTransaction on 1 server, read/check/set: get both balances, set both, commit (reads are not"
                    + " validated: the total is reported, not checked)"),
    /** (c) redtx with every account on one participant: each transfer commits in one phase. */
    REDTX_1PC(
            "redtx-1pc",
            1,
            true,
            "redtx, every account on 1 participant: the bank transfer (read both balances, decrBy/incrBy), each a"
                    + " one-phase commit"),
    /** (c) plus one outbox message per transfer that moves money, appended by the same one-phase commit. */
    REDTX_1PC_OUTBOX(
            "redtx-1pc-outbox",
            1,
            true,
            "redtx-1pc plus one transactional outbox message per transfer that moves money (publish to a stream"
                    + " trimmed to about 100,000 entries), appended by the same one-phase commit"),
    /** (c) with every step acknowledged by the server's replica ({@code --replicas}) before it is acted upon. */
    REDTX_1PC_REPLICATED(
            "redtx-1pc-replicated",
            1,
            true,
            "redtx-1pc with Replication.acknowledgedBy(1): each one-phase commit is followed by a PUBLISH barrier and"
                    + " WAIT 1 on its connection (needs --replicas 1)"),
    /** (d) redtx across 3 participants, source and destination always on different ones: two-phase commits. */
    REDTX_2PC(
            "redtx-2pc",
            3,
            true,
            "redtx across 3 participants, source and destination always on different ones: the bank transfer, each a"
                    + " two-phase commit"),
    /** (d) plus one outbox message per transfer, on the source account's participant, committed with the transfer. */
    REDTX_2PC_OUTBOX(
            "redtx-2pc-outbox",
            3,
            true,
            "redtx-2pc plus one transactional outbox message per transfer that moves money, on the source"
                    + " account's participant (a stream trimmed to about 100,000 entries), committed with the transfer"),
    /** (d) with every step acknowledged by the servers' replicas ({@code --replicas}) before it is acted upon. */
    REDTX_2PC_REPLICATED(
            "redtx-2pc-replicated",
            3,
            true,
            "redtx-2pc with Replication.acknowledgedBy(1) on every participant: each prepare, commit point and"
                    + " roll-forward is followed by a PUBLISH barrier and WAIT 1 (needs --replicas 1)");

    /**
     * The stream the outbox workloads publish to, on every server that holds source accounts. Not in the runtime's
     * namespace, like any application stream.
     */
    static final String OUTBOX_STREAM = "outbox:transfers";

    /**
     * How long the outbox stream may grow (the descriptions above say it too): trimmed approximately at each append, so that a long run's memory stays
     * bounded (and the servers' work per message stays that of a real outbox, whose consumers keep it short).
     */
    static final long OUTBOX_MAX_LEN = 100_000;

    /** The trim of every outbox append: approximate, as producers use it (Redis trims whole radix-tree nodes). */
    static final StreamTrim OUTBOX_TRIM = StreamTrim.maxLen(OUTBOX_MAX_LEN, true);

    /** The hand-written transfer of {@link #LUA_SINGLE}. KEYS: source, destination. ARGV: amount. 1 moved, 0 not. */
    static final String TRANSFER_LUA = "local balance = tonumber(redis.call('GET', KEYS[1]))\n"
            + "if not balance then return redis.error_reply('no account ' .. KEYS[1]) end\n"
            + "local amount = tonumber(ARGV[1])\n"
            + "if balance < amount then return 0 end\n"
            + "redis.call('DECRBY', KEYS[1], amount)\n"
            + "redis.call('INCRBY', KEYS[2], amount)\n"
            + "return 1\n";

    /** What the replicated workloads require of every participant. */
    static final Replication REPLICATION = Replication.acknowledgedBy(1, Duration.ofSeconds(1));

    /** How long a redtx runtime may take to close gracefully (it waits for background roll-forwards). */
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(60);

    private final String id;
    private final int shards;
    private final boolean atomic;
    private final String description;

    Workload(String id, int shards, boolean atomic, String description) {
        this.id = id;
        this.shards = shards;
        this.atomic = atomic;
        this.description = description;
    }

    /** @return the name on the command line, in the table and in the JSON */
    String id() {
        return id;
    }

    /** @return over how many servers the accounts are spread (servers {@code 0 .. shards-1}) */
    int shards() {
        return shards;
    }

    /** @return how many servers one transfer touches: 2 when the accounts are spread (always across), else 1 */
    int shardsPerTransfer() {
        return shards > 1 ? 2 : 1;
    }

    /** @return whether the total balance must not change (the check fails the run if it does) */
    boolean atomic() {
        return atomic;
    }

    /** @return whether each transfer that moves money also publishes one message to {@link #OUTBOX_STREAM} */
    boolean outbox() {
        return this == REDTX_1PC_OUTBOX || this == REDTX_2PC_OUTBOX;
    }

    /** @return whether every step waits for a replica's acknowledgement */
    boolean replicated() {
        return this == REDTX_1PC_REPLICATED || this == REDTX_2PC_REPLICATED;
    }

    /**
     * @return for an outbox or a replicated workload, the same transfers without the message or the wait (its
     *     throughput is the baseline of their cost); empty for the others
     */
    Optional<Workload> plain() {
        return switch (this) {
            case REDTX_1PC_OUTBOX, REDTX_1PC_REPLICATED -> Optional.of(REDTX_1PC);
            case REDTX_2PC_OUTBOX, REDTX_2PC_REPLICATED -> Optional.of(REDTX_2PC);
            default -> Optional.empty();
        };
    }

    /** @return every workload id, in run order, comma-separated */
    static String ids() {
        return Arrays.stream(values()).map(Workload::id).collect(Collectors.joining(", "));
    }

    /** @return one line on what a transfer does */
    String description() {
        return description;
    }

    /** @return the workload named {@code id} */
    static Optional<Workload> byId(String id) {
        for (Workload w : values()) {
            if (w.id.equals(id)) {
                return Optional.of(w);
            }
        }
        return Optional.empty();
    }

    /**
     * Connects to {@code servers} and prepares the transfers of this workload (blocking: call it from the main
     * thread). The accounts must be seeded already, on {@link #shards()} servers.
     *
     * @param servers every embedded server (this workload uses the first {@link #shards()})
     * @param layout the accounts
     * @param concurrency transactions in flight at once, transfers and audits (the redtx runtime admits at least as
     *     many)
     * @return the engine; close it when the load is over
     */
    Engine open(List<RedisServer> servers, Layout layout, int concurrency) {
        List<RedisServer> used = servers.subList(0, shards);
        return switch (this) {
            case RAW_FANOUT -> new RawFanout(used, layout);
            case LUA_SINGLE -> new LuaSingle(used.get(0));
            case WATCH_MULTI -> new WatchMulti(used.get(0), concurrency);
            case REDISSON_RTX, REDISSON_RTX_RCS ->
                new RedissonTransfers(used.get(0), concurrency, this == REDISSON_RTX);
            case REDTX_1PC, REDTX_2PC -> new Redtx(used, layout, concurrency, false, false);
            case REDTX_1PC_OUTBOX, REDTX_2PC_OUTBOX -> new Redtx(used, layout, concurrency, true, false);
            case REDTX_1PC_REPLICATED, REDTX_2PC_REPLICATED -> new Redtx(used, layout, concurrency, false, true);
        };
    }

    /** Moves money one way; {@link #transfer} is called from any thread, {@link #close()} from the main thread. */
    interface Engine extends AutoCloseable {

        /**
         * One transfer. Lazy: nothing is sent before subscription. Never blocks.
         *
         * @param order the accounts and the amount
         * @return what it did, once done; errors as the client reports them
         */
        Mono<Outcome> transfer(Bank.TransferOrder order);

        /**
         * Releases the connections, after waiting for what the engine still runs in the background (blocking).
         *
         * @return for redtx, the intents left on the servers once the runtime closed; empty for the others
         */
        Optional<IntentCount> closeAndCheck();

        /** @return whether {@link #audit} works: the redtx workloads, whose bank can audit a group */
        default boolean audits() {
            return false;
        }

        /**
         * A read-only audit of one group of {@value Bank#GROUP_SIZE} accounts, in one transaction. Lazy; never blocks.
         *
         * @param group {@code 0 .. accounts / GROUP_SIZE - 1}
         * @return what it saw, once committed
         */
        default Mono<Audited> audit(int group) {
            return Mono.error(new UnsupportedOperationException("no audits in this workload"));
        }

        /** Same as {@link #closeAndCheck()}, ignoring its result. */
        @Override
        default void close() {
            closeAndCheck();
        }
    }

    /**
     * What one transfer did.
     *
     * @param moved whether the amount moved ({@code false}: the source held less, nothing was written)
     * @param attempts how many times it ran: 1, or more when redtx re-ran it after conflicts
     */
    record Outcome(boolean moved, int attempts) {
        /** Moved at the first attempt. */
        static final Outcome MOVED = new Outcome(true, 1);
        /** Insufficient funds at the first attempt. */
        static final Outcome INSUFFICIENT = new Outcome(false, 1);
    }

    /**
     * What one audit saw.
     *
     * @param consistent whether the group's sum was what it must always be, and no balance negative
     * @param attempts how many times it ran: more when its commit found a balance it read changed since
     */
    record Audited(boolean consistent, int attempts) {}

    /** Lettuce connections, one multiplexed connection per server, like redtx's own. */
    private abstract static class Lettuce implements Engine {
        private final RedisClient client = RedisClient.create();
        final List<StatefulRedisConnection<String, String>> connections = new ArrayList<>();
        final List<RedisAsyncCommands<String, String>> commands = new ArrayList<>();

        Lettuce(List<RedisServer> servers) {
            try {
                for (RedisServer s : servers) {
                    StatefulRedisConnection<String, String> c =
                            client.connect(StringCodec.UTF8, RedisURI.create(s.uri()));
                    connections.add(c);
                    commands.add(c.async());
                }
            } catch (RuntimeException e) {
                closeAndCheck();
                throw e;
            }
        }

        @Override
        public Optional<IntentCount> closeAndCheck() {
            connections.forEach(StatefulRedisConnection::close);
            client.shutdown();
            return Optional.empty();
        }
    }

    /** (a): GET, then both INCRBYs at once; a failure between the two INCRBYs leaves the total changed. */
    private static final class RawFanout extends Lettuce {
        private final Layout layout;

        RawFanout(List<RedisServer> servers, Layout layout) {
            super(servers);
            this.layout = layout;
        }

        @Override
        public Mono<Outcome> transfer(Bank.TransferOrder order) {
            RedisAsyncCommands<String, String> source = commands.get(layout.shardOf(order.from()));
            RedisAsyncCommands<String, String> destination = commands.get(layout.shardOf(order.to()));
            String fromKey = Bank.key(order.from());
            String toKey = Bank.key(order.to());
            long amount = order.amount();
            return Mono.fromCompletionStage(() -> source.get(fromKey)).flatMap(balance -> {
                if (Long.parseLong(balance) < amount) {
                    return Mono.just(Outcome.INSUFFICIENT);
                }
                return Mono.when(
                                Mono.fromCompletionStage(() -> source.incrby(fromKey, -amount)),
                                Mono.fromCompletionStage(() -> destination.incrby(toKey, amount)))
                        .thenReturn(Outcome.MOVED);
            });
        }
    }

    /** (b): one EVALSHA of {@link #TRANSFER_LUA}, loaded once at start. */
    private static final class LuaSingle extends Lettuce {
        private final String sha;

        LuaSingle(RedisServer server) {
            super(List.of(server));
            try {
                sha = connections.get(0).sync().scriptLoad(TRANSFER_LUA);
            } catch (RuntimeException e) {
                closeAndCheck();
                throw e;
            }
        }

        @Override
        public Mono<Outcome> transfer(Bank.TransferOrder order) {
            String[] keys = {Bank.key(order.from()), Bank.key(order.to())};
            String amount = Long.toString(order.amount());
            return Mono.fromCompletionStage(
                            () -> commands.get(0).<Long>evalsha(sha, ScriptOutputType.INTEGER, keys, amount))
                    .map(moved -> moved == 1L ? Outcome.MOVED : Outcome.INSUFFICIENT);
        }
    }

    /** How many times a peer's transfer runs before it counts as failed: conflicts end long before. */
    static final int PEER_ATTEMPTS = 1000;

    /**
     * {@link #WATCH_MULTI}: a pool of {@code concurrency} dedicated connections (the load never has more transfers in
     * flight), each transfer on one of them from its WATCH to its EXEC.
     */
    private static final class WatchMulti implements Engine {
        private final RedisClient client = RedisClient.create();
        private final List<StatefulRedisConnection<String, String>> all = new ArrayList<>();
        private final Queue<StatefulRedisConnection<String, String>> idle = new ConcurrentLinkedQueue<>();

        WatchMulti(RedisServer server, int concurrency) {
            try {
                for (int i = 0; i < concurrency; i++) {
                    StatefulRedisConnection<String, String> c =
                            client.connect(StringCodec.UTF8, RedisURI.create(server.uri()));
                    all.add(c);
                    idle.add(c);
                }
            } catch (RuntimeException e) {
                closeAndCheck();
                throw e;
            }
        }

        @Override
        public Mono<Outcome> transfer(Bank.TransferOrder order) {
            return Mono.usingWhen(
                    Mono.fromSupplier(() -> {
                        StatefulRedisConnection<String, String> c = idle.poll();
                        if (c == null) {
                            throw new IllegalStateException("more transfers in flight than pooled connections");
                        }
                        return c;
                    }),
                    c -> attempt(c.async(), order, 1),
                    c -> Mono.fromRunnable(() -> idle.add(c)));
        }

        private Mono<Outcome> attempt(RedisAsyncCommands<String, String> c, Bank.TransferOrder order, int attempt) {
            String from = Bank.key(order.from());
            String to = Bank.key(order.to());
            long amount = order.amount();
            return Mono.fromCompletionStage(() -> c.watch(from))
                    .then(Mono.fromCompletionStage(() -> c.get(from)))
                    .flatMap(balance -> {
                        if (Long.parseLong(balance) < amount) {
                            return Mono.fromCompletionStage(c::unwatch).thenReturn(new Outcome(false, attempt));
                        }
                        // Queued replies complete with EXEC; only EXEC's own tells whether it ran.
                        c.multi();
                        c.decrby(from, amount);
                        c.incrby(to, amount);
                        return Mono.fromCompletionStage(c.exec()).flatMap(result -> {
                            if (!result.wasDiscarded()) {
                                return Mono.just(new Outcome(true, attempt));
                            }
                            if (attempt >= PEER_ATTEMPTS) {
                                return Mono.error(new IllegalStateException(
                                        "EXEC discarded " + attempt + " times: the source kept changing"));
                            }
                            return attempt(c, order, attempt + 1);
                        });
                    });
        }

        @Override
        public Optional<IntentCount> closeAndCheck() {
            all.forEach(StatefulRedisConnection::close);
            client.shutdown();
            return Optional.empty();
        }
    }

    /**
     * {@link #REDISSON_RTX} and {@link #REDISSON_RTX_RCS}: a Redisson client in single-server mode, its pools sized
     * for the concurrency, the balances read and written as strings (as the other workloads store them).
     */
    private static final class RedissonTransfers implements Engine {
        /** Redisson's string codec: Lettuce's has the same simple name. */
        private static final org.redisson.client.codec.StringCodec STRINGS =
                org.redisson.client.codec.StringCodec.INSTANCE;

        private final RedissonClient client;
        private final RedissonReactiveClient reactive;
        private final boolean compareAndSet;

        RedissonTransfers(RedisServer server, int concurrency, boolean compareAndSet) {
            Config config = new Config();
            int pool = Math.max(64, concurrency);
            config.useSingleServer()
                    .setAddress("redis://" + server.host() + ":" + server.port())
                    .setConnectionPoolSize(pool)
                    .setConnectionMinimumIdleSize(pool);
            this.client = Redisson.create(config);
            this.reactive = client.reactive();
            this.compareAndSet = compareAndSet;
        }

        @Override
        public Mono<Outcome> transfer(Bank.TransferOrder order) {
            return attempt(order, 1);
        }

        private Mono<Outcome> attempt(Bank.TransferOrder order, int attempt) {
            return Mono.defer(() -> {
                RTransactionReactive tx = reactive.createTransaction(TransactionOptions.defaults());
                RBucketReactive<String> from = tx.getBucket(Bank.key(order.from()), STRINGS);
                RBucketReactive<String> to = tx.getBucket(Bank.key(order.to()), STRINGS);
                long amount = order.amount();
                Mono<Boolean> moved = Mono.zip(from.get(), to.get()).flatMap(balances -> {
                    long source = Long.parseLong(balances.getT1());
                    long destination = Long.parseLong(balances.getT2());
                    if (source < amount) {
                        return tx.rollback().thenReturn(false);
                    }
                    String debited = Long.toString(source - amount);
                    String credited = Long.toString(destination + amount);
                    Mono<Boolean> written = compareAndSet
                            ? from.compareAndSet(balances.getT1(), debited)
                                    .flatMap(ok -> ok ? to.compareAndSet(balances.getT2(), credited) : Mono.just(false))
                            : from.set(debited).then(to.set(credited)).thenReturn(true);
                    return written.flatMap(ok ->
                            ok ? tx.commit().thenReturn(true) : tx.rollback().then(Mono.error(new Conflict())));
                });
                return moved.map(m -> new Outcome(m, attempt))
                        .onErrorResume(
                                e -> attempt < PEER_ATTEMPTS
                                        && (e instanceof Conflict || e instanceof TransactionException),
                                e -> attempt(order, attempt + 1));
            });
        }

        /** A compareAndSet that found the balance changed since it was read: the transfer runs again. */
        private static final class Conflict extends RuntimeException {
            Conflict() {
                super("balance changed", null, false, false);
            }
        }

        @Override
        public Optional<IntentCount> closeAndCheck() {
            client.shutdown();
            return Optional.empty();
        }
    }

    /**
     * (c) and (d): {@link Bank#transfer(int, int, long)} on a runtime of its own, with default options; with
     * {@code outbox}, the same body ({@link Bank#transfer(Transaction, Bank.TransferOrder)}) plus one published message
     * when the money moves; with {@code replicated}, every participant requires one replica's acknowledgement.
     */
    private static final class Redtx implements Engine {
        private final List<RedisServer> servers;
        private final TransactionRuntime runtime;
        private final Bank bank;
        private final boolean outbox;
        /** Numbers the transfers of the outbox workloads: the message's transfer id. */
        private final AtomicLong transferIds = new AtomicLong();

        Redtx(List<RedisServer> servers, Layout layout, int concurrency, boolean outbox, boolean replicated) {
            this.servers = servers;
            this.outbox = outbox;
            RuntimeOptions.Builder options = RuntimeOptions.builder();
            List<String> names = new ArrayList<>();
            for (int i = 0; i < servers.size(); i++) {
                names.add("s" + i);
                options.participant("s" + i, servers.get(i).uri());
                if (replicated) {
                    options.replication("s" + i, REPLICATION);
                }
            }
            // Only the workers' own limit may cap the load: a rejected admission would be a failed transfer.
            options.admission(a -> a.maxInFlight(Math.max(AdmissionOptions.DEFAULT_MAX_IN_FLIGHT, concurrency)));
            this.runtime = RedisTransactionRuntime.create(options.build());
            this.bank = new Bank(runtime, names, layout.accounts(), layout.initialBalance());
        }

        @Override
        public Mono<Outcome> transfer(Bank.TransferOrder order) {
            if (!outbox) {
                return bank.transfer(order.from(), order.to(), order.amount())
                        .map(t -> new Outcome(
                                t.status() == Bank.Status.TRANSFERRED,
                                t.commit().attempts()));
            }
            return Mono.defer(() -> {
                // Numbered once per transfer, outside the body: the runtime's retries re-run the body, and a retried
                // transfer is still one transfer with one message.
                Map<String, String> message = message(transferIds.incrementAndGet(), order);
                return runtime.inTransactionWithResult(tx -> bank.transfer(tx, order)
                                .flatMap(status -> status == Bank.Status.TRANSFERRED
                                        // On the source's participant, with its decrement: in a 2PC that shard is the
                                        // primary or a secondary as the placement falls, so both paths are measured.
                                        ? tx.on(bank.participantOf(order.from()))
                                                .publish(OUTBOX_STREAM, message, OUTBOX_TRIM)
                                                .thenReturn(status)
                                        : Mono.just(status)))
                        .map(r -> new Outcome(
                                r.value() == Bank.Status.TRANSFERRED, r.commit().attempts()));
            });
        }

        /** The message of one transfer: a few fields, as an application's "transfer made" event would carry. */
        private static Map<String, String> message(long id, Bank.TransferOrder order) {
            Map<String, String> fields = new LinkedHashMap<>();
            fields.put("transfer", Long.toString(id));
            fields.put("from", Bank.key(order.from()));
            fields.put("to", Bank.key(order.to()));
            fields.put("amount", Long.toString(order.amount()));
            return fields;
        }

        @Override
        public boolean audits() {
            return true;
        }

        @Override
        public Mono<Audited> audit(int group) {
            return bank.audit(group)
                    .map(a -> new Audited(a.consistent(), a.commit().attempts()));
        }

        @Override
        public Optional<IntentCount> closeAndCheck() {
            runtime.closeGracefully().block(CLOSE_TIMEOUT);
            return Optional.of(IntentCount.on(RuntimeOptions.DEFAULT_NAMESPACE, servers));
        }
    }
}
