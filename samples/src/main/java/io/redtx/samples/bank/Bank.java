package io.redtx.samples.bank;

import io.redtx.api.CommitResult;
import io.redtx.api.Transaction;
import io.redtx.api.TransactionCommands;
import io.redtx.api.TransactionRuntime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The bank workload: {@code accounts} integer balances spread over the participants of a {@link TransactionRuntime},
 * moved between accounts by transactions and checked by read-only audits.
 *
 * <p>Account {@code i} is the string key {@code acct:<i>} on participant {@code participants[i % participants.size()]}.
 * Accounts are partitioned into groups of {@value #GROUP_SIZE} consecutive indices (group {@code g} holds accounts
 * {@code g*100 .. g*100+99}), so every group spans every participant (up to {@value #GROUP_SIZE} participants).
 * Transfers stay inside one group, so each group's total is invariant, and an {@link #audit(int) audit} of one group
 * in one read-only transaction must always see {@code 100 * initialBalance}: a partial transfer (one side applied,
 * the other not) would show up as a wrong sum.
 *
 * <p>Every method returns a lazy {@link Mono}: nothing is read or written before subscription, and each subscription
 * runs a new transaction, except {@link #transfer(Transaction, TransferOrder)}, which works inside a transaction of the
 * caller's (an intake's, say). Nothing here blocks.
 */
public final class Bank {

    /** Accounts per group. */
    public static final int GROUP_SIZE = 100;
    /** Default number of accounts. */
    public static final int DEFAULT_ACCOUNTS = 10_000;
    /** Default initial balance of every account. */
    public static final long DEFAULT_INITIAL_BALANCE = 1_000;
    /** Largest amount a random transfer moves (the smallest is 1). */
    public static final int MAX_AMOUNT = 50;
    /** Groups seeded concurrently by {@link #seed()}. */
    static final int SEED_CONCURRENCY = 4;
    /** Groups audited concurrently by {@link #checkInvariant()}. */
    static final int CHECK_CONCURRENCY = 4;

    /** What a transfer did. */
    public enum Status {
        /** The amount was moved (a committed read-write transaction). */
        TRANSFERRED,
        /** The source balance was below the amount: nothing was written (a committed read-only transaction). */
        INSUFFICIENT_FUNDS
    }

    /**
     * A transfer to make: what {@link #randomTransfer(Random, boolean)} picks and
     * {@link #transfer(Transaction, TransferOrder)} runs. Not checked against a bank here: the methods that run it
     * reject bad indices and amounts.
     *
     * @param from the source account index
     * @param to the destination account index
     * @param amount the amount to move
     */
    public record TransferOrder(int from, int to, long amount) {}

    /**
     * The outcome of one transfer.
     *
     * @param from the source account index
     * @param to the destination account index
     * @param amount the amount asked for
     * @param status whether it moved the amount
     * @param commit what the commit did (protocol, attempts, timings)
     */
    public record Transfer(int from, int to, long amount, Status status, CommitResult commit) {

        /**
         * The outcome of {@code order} once its transaction committed.
         *
         * @param order the transfer that ran
         * @param status what its transaction body returned
         * @param commit what the commit did
         */
        public Transfer(TransferOrder order, Status status, CommitResult commit) {
            this(order.from(), order.to(), order.amount(), status, commit);
        }
    }

    /**
     * The outcome of the audit of one group, read in one read-only transaction.
     *
     * @param group the group index
     * @param sum the sum of the group's balances
     * @param expected what the sum must be: {@code 100 * initialBalance}
     * @param negativeAccounts how many of the group's balances were below zero (must be 0)
     * @param commit what the read-only commit did
     */
    public record Audit(int group, long sum, long expected, int negativeAccounts, CommitResult commit) {

        /** @return whether the sum is the expected one and no balance is negative */
        public boolean consistent() {
            return sum == expected && negativeAccounts == 0;
        }
    }

    /**
     * The result of {@link #checkInvariant()}.
     *
     * @param total the sum of every balance
     * @param expected {@code accounts * initialBalance}
     * @param groups how many groups were audited
     * @param inconsistentGroups the audits that saw a wrong group sum or a negative balance, by group index
     */
    public record Invariant(long total, long expected, int groups, List<Audit> inconsistentGroups) {

        /** Copies the list. */
        public Invariant {
            inconsistentGroups = List.copyOf(inconsistentGroups);
        }

        /** @return whether the total is the expected one and every group is consistent */
        public boolean holds() {
            return total == expected && inconsistentGroups.isEmpty();
        }
    }

    private final TransactionRuntime runtime;
    private final List<String> participants;
    private final int accounts;
    private final int groups;
    private final long initialBalance;

    /**
     * Creates a bank over participants of {@code runtime}; touches nothing until a method's result is subscribed.
     *
     * @param runtime the runtime; the caller keeps ownership (and closes it)
     * @param participants participant names of the runtime's options, 1 to {@value #GROUP_SIZE}, distinct
     * @param accounts number of accounts, a positive multiple of {@value #GROUP_SIZE}
     * @param initialBalance the balance {@link #seed()} gives every account, zero or positive
     * @throws IllegalArgumentException naming the bad argument
     */
    public Bank(TransactionRuntime runtime, List<String> participants, int accounts, long initialBalance) {
        this.runtime = Objects.requireNonNull(runtime, "runtime");
        this.participants = List.copyOf(Objects.requireNonNull(participants, "participants"));
        if (this.participants.isEmpty() || this.participants.size() > GROUP_SIZE) {
            throw new IllegalArgumentException(
                    "participants must name 1 to " + GROUP_SIZE + " participants, was " + participants);
        }
        if (this.participants.stream().distinct().count() != this.participants.size()) {
            throw new IllegalArgumentException("participants must be distinct, was " + participants);
        }
        if (accounts < GROUP_SIZE || accounts % GROUP_SIZE != 0) {
            throw new IllegalArgumentException(
                    "accounts must be a positive multiple of " + GROUP_SIZE + ", was " + accounts);
        }
        if (initialBalance < 0 || initialBalance > Long.MAX_VALUE / accounts) {
            throw new IllegalArgumentException(
                    "initialBalance must be >= 0 and small enough for the total to fit a long, was " + initialBalance);
        }
        this.accounts = accounts;
        this.groups = accounts / GROUP_SIZE;
        this.initialBalance = initialBalance;
    }

    /** @return the number of accounts */
    public int accounts() {
        return accounts;
    }

    /** @return the number of groups ({@code accounts / 100}) */
    public int groups() {
        return groups;
    }

    /** @return the participant names, in placement order */
    public List<String> participants() {
        return participants;
    }

    /** @return the initial balance of every account */
    public long initialBalance() {
        return initialBalance;
    }

    /** @return what every group must sum to: {@code 100 * initialBalance} */
    public long expectedGroupTotal() {
        return GROUP_SIZE * initialBalance;
    }

    /** @return what all accounts must sum to: {@code accounts * initialBalance} */
    public long expectedTotal() {
        return accounts * initialBalance;
    }

    /**
     * @param account an account index
     * @return its key, {@code acct:<account>}
     */
    public static String key(int account) {
        return "acct:" + account;
    }

    /**
     * @param account an account index
     * @return the participant that holds it: {@code participants[account % participants.size()]}
     */
    public String participantOf(int account) {
        return participants.get(account % participants.size());
    }

    /**
     * Writes the initial balance into every account, one transaction per group ({@value #SEED_CONCURRENCY} at a time),
     * overwriting what was there. Lazy; errors stop the seeding and are propagated.
     *
     * @return completes when every account is written
     */
    public Mono<Void> seed() {
        String balance = Long.toString(initialBalance);
        return Flux.range(0, groups)
                .flatMap(
                        g -> runtime.<Void>inTransaction(tx -> Flux.range(g * GROUP_SIZE, GROUP_SIZE)
                                .concatMap(i -> tx.on(participantOf(i)).set(key(i), balance))
                                .then()),
                        SEED_CONCURRENCY)
                .then();
    }

    /**
     * Counts the account keys that already exist, one read-only transaction per group ({@value #CHECK_CONCURRENCY} at
     * a time): before {@link #seed()} on servers that are not the program's own, to avoid overwriting someone's data.
     * Lazy; a key of another type than string fails the count (the participant's {@code WRONGTYPE} error).
     *
     * @return how many of the {@link #accounts()} keys exist
     */
    public Mono<Long> countExisting() {
        return Flux.range(0, groups)
                .flatMap(
                        g -> runtime.inTransaction(tx -> Flux.range(g * GROUP_SIZE, GROUP_SIZE)
                                .flatMap(i -> tx.on(participantOf(i)).get(key(i)))
                                .count()),
                        CHECK_CONCURRENCY)
                .reduce(0L, Long::sum);
    }

    /**
     * Deletes every account key, one transaction per group ({@value #SEED_CONCURRENCY} at a time): the clean-up after
     * a run on servers that are not the program's own. Lazy; errors stop it and are propagated.
     *
     * @return completes when every account is deleted
     */
    public Mono<Void> deleteAccounts() {
        return Flux.range(0, groups)
                .flatMap(
                        g -> runtime.<Void>inTransaction(tx -> Flux.range(g * GROUP_SIZE, GROUP_SIZE)
                                .concatMap(i -> tx.on(participantOf(i)).del(key(i)))
                                .then()),
                        SEED_CONCURRENCY)
                .then();
    }

    /**
     * A random transfer: a random group, two different random accounts of it (usually on different participants:
     * with {@code n} participants, a fraction {@code 1/n} of pairs share one), and an amount from 1 to
     * {@value #MAX_AMOUNT}. The choice is made at subscription, so each subscription is a new transfer (the runtime's
     * own retries repeat the same one). See {@link #transfer(int, int, long)}.
     *
     * @param random the source of the choice; used at subscription, from whatever thread subscribes
     * @return the transfer's outcome
     */
    public Mono<Transfer> transfer(Random random) {
        return transfer(random, false);
    }

    /**
     * Like {@link #transfer(Random)}; with {@code crossParticipant} and more than one participant, the destination is
     * always on another participant than the source (so every transfer commits with two phases).
     *
     * @param random the source of the choice; used at subscription
     * @param crossParticipant whether to force source and destination onto different participants
     * @return the transfer's outcome
     */
    public Mono<Transfer> transfer(Random random, boolean crossParticipant) {
        Objects.requireNonNull(random, "random");
        return Mono.defer(() -> {
            TransferOrder order = randomTransfer(random, crossParticipant);
            return transfer(order.from(), order.to(), order.amount());
        });
    }

    /**
     * Picks a random transfer, now (not lazily): the choice of {@link #transfer(Random, boolean)}, to be run by
     * {@link #transfer(Transaction, TransferOrder)} inside a transaction of the caller's.
     *
     * @param random the source of the choice, used on the calling thread
     * @param crossParticipant whether to force source and destination onto different participants (when there are
     *     several)
     * @return a transfer between two different accounts of one group, of 1 to {@value #MAX_AMOUNT}
     */
    public TransferOrder randomTransfer(Random random, boolean crossParticipant) {
        Objects.requireNonNull(random, "random");
        int base = random.nextInt(groups) * GROUP_SIZE;
        int from = base + random.nextInt(GROUP_SIZE);
        int to;
        do {
            to = base + random.nextInt(GROUP_SIZE - 1);
            if (to >= from) {
                to++; // uniform over the group minus the source
            }
            // Terminates: consecutive indices map to different participants, so a group of 100 has accounts on
            // every one of them (there are at most 100).
        } while (crossParticipant
                && participants.size() > 1
                && participantOf(to).equals(participantOf(from)));
        long amount = 1 + random.nextInt(MAX_AMOUNT);
        return new TransferOrder(from, to, amount);
    }

    /**
     * Moves {@code amount} from account {@code from} to account {@code to} in one transaction: reads both balances
     * (concurrently), then, if the source holds at least {@code amount}, buffers the decrement and the increment and
     * commits; otherwise it commits read-only and reports {@link Status#INSUFFICIENT_FUNDS}, so no balance ever goes
     * negative. Conflicts are retried by the runtime's {@link io.redtx.api.RetryPolicy}; when attempts run out the
     * last {@link io.redtx.api.TransactionConflictException} is signalled. An account that does not exist (not seeded)
     * is an {@link IllegalStateException}. The body is {@link #transfer(Transaction, TransferOrder)}.
     *
     * @param from the source account index
     * @param to the destination account index, not {@code from}
     * @param amount the amount, positive
     * @return the transfer's outcome, emitted after commit
     * @throws IllegalArgumentException if an index is out of range, the accounts are the same or the amount is not
     *     positive
     */
    public Mono<Transfer> transfer(int from, int to, long amount) {
        TransferOrder order = new TransferOrder(from, to, amount);
        check(order);
        return runtime.inTransactionWithResult(tx -> transfer(tx, order))
                .map(r -> new Transfer(order, r.value(), r.commit()));
    }

    /**
     * The body of a transfer, inside the caller's transaction {@code tx} (one attempt of it: call it again for a
     * retry): reads both balances concurrently, then, if the source holds at least the amount, buffers the decrement
     * and the increment. Neither commits nor rolls back: the writes take effect only when {@code tx} commits, and the
     * status says what they will have done. Lazy: nothing is read before subscription. Cancelling stops the reads;
     * errors are those of the reads and writes ({@link IllegalStateException} for an account that does not exist).
     *
     * @param tx the transaction to work in, not yet committed
     * @param order the transfer, between two different accounts of this bank, of a positive amount
     * @return {@link Status#TRANSFERRED} once both writes are buffered, or {@link Status#INSUFFICIENT_FUNDS} (nothing
     *     buffered: the transaction stays read-only)
     * @throws IllegalArgumentException if an index is out of range, the accounts are the same or the amount is not
     *     positive
     */
    public Mono<Status> transfer(Transaction tx, TransferOrder order) {
        Objects.requireNonNull(tx, "tx");
        check(order);
        String fromKey = key(order.from());
        String toKey = key(order.to());
        long amount = order.amount();
        TransactionCommands source = tx.on(participantOf(order.from()));
        TransactionCommands destination = tx.on(participantOf(order.to()));
        // Both reads in one round trip; decrBy/incrBy then work on what was read (read-your-writes), so the commit
        // validates exactly these two values.
        return Mono.zip(balance(source, fromKey), balance(destination, toKey))
                .flatMap(balances -> balances.getT1() < amount
                        ? Mono.just(Status.INSUFFICIENT_FUNDS)
                        : source.decrBy(fromKey, amount)
                                .then(destination.incrBy(toKey, amount))
                                .thenReturn(Status.TRANSFERRED));
    }

    /**
     * Reads the {@value #GROUP_SIZE} balances of group {@code group} in one read-only transaction (all reads at once,
     * across every participant) and sums them. Conflicts with concurrent transfers are retried by the runtime.
     *
     * @param group the group index, {@code 0 .. groups()-1}
     * @return the audit; {@link Audit#consistent()} must hold at any time
     * @throws IllegalArgumentException if the group is out of range
     */
    public Mono<Audit> audit(int group) {
        if (group < 0 || group >= groups) {
            throw new IllegalArgumentException("group must be in [0, " + groups + "), was " + group);
        }
        return runtime.inTransactionWithResult(tx -> {
                    List<Mono<Long>> reads = new ArrayList<>(GROUP_SIZE);
                    for (int i = group * GROUP_SIZE; i < (group + 1) * GROUP_SIZE; i++) {
                        reads.add(balance(tx.on(participantOf(i)), key(i)));
                    }
                    return Flux.merge(reads).reduce(new Sum(0, 0), Sum::add);
                })
                .map(r -> new Audit(
                        group,
                        r.value().total(),
                        expectedGroupTotal(),
                        r.value().negatives(),
                        r.commit()));
    }

    /**
     * Audits every group ({@value #CHECK_CONCURRENCY} at a time) and adds the sums up: meant for the end of a run,
     * when no transfer is in flight (each group is read consistently, but different groups at different moments).
     *
     * @return the total and the groups that were not consistent
     */
    public Mono<Invariant> checkInvariant() {
        return Flux.range(0, groups)
                .flatMap(this::audit, CHECK_CONCURRENCY)
                .collectList()
                .map(audits -> new Invariant(
                        audits.stream().mapToLong(Audit::sum).sum(),
                        expectedTotal(),
                        audits.size(),
                        audits.stream().filter(a -> !a.consistent()).toList()));
    }

    private static Mono<Long> balance(TransactionCommands commands, String key) {
        return commands.get(key)
                .switchIfEmpty(Mono.error(() -> new IllegalStateException("account '" + key + "' does not exist on "
                        + "participant '" + commands.participant() + "': seed the bank first")))
                .map(Long::parseLong);
    }

    private void check(TransferOrder order) {
        Objects.requireNonNull(order, "order");
        checkAccount("from", order.from());
        checkAccount("to", order.to());
        if (order.from() == order.to()) {
            throw new IllegalArgumentException("from and to must differ, both were " + order.from());
        }
        if (order.amount() <= 0) {
            throw new IllegalArgumentException("amount must be positive, was " + order.amount());
        }
    }

    private void checkAccount(String name, int account) {
        if (account < 0 || account >= accounts) {
            throw new IllegalArgumentException(name + " must be in [0, " + accounts + "), was " + account);
        }
    }

    /** Immutable accumulator of an audit. */
    private record Sum(long total, int negatives) {
        Sum add(long balance) {
            return new Sum(total + balance, negatives + (balance < 0 ? 1 : 0));
        }
    }

    @Override
    public String toString() {
        return "Bank{accounts=" + accounts + ", groups=" + groups + ", participants=" + participants
                + ", initialBalance=" + initialBalance + "}";
    }
}
