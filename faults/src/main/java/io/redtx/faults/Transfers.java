package io.redtx.faults;

import io.redtx.api.TransactionCommands;
import io.redtx.api.TransactionRuntime;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The fault suite's bank: {@code accounts} balances ({@code acct:<i>} on participant {@code i % n}) in groups of
 * {@link #GROUP_SIZE} consecutive accounts, and transfers that leave evidence. A transfer moves {@code amount} from one
 * account to one or two others of the same group and, in the same transaction, writes a marker {@code xfer:<id>} on
 * every participant it touches. The markers make each transfer checkable after the fact: it committed exactly when
 * its markers exist, and atomically exactly when they exist on all of its participants or on none. In the same
 * transaction it also publishes one outbox message on stream {@value #EVENTS_STREAM} of its source account's
 * participant, so the messages can be checked against the markers: exactly one per committed transfer, none for any
 * other.
 */
final class Transfers {

    /** Accounts per group: transfers stay inside one, so each group's sum is invariant. */
    static final int GROUP_SIZE = 30;

    static final String MARKER_PREFIX = "xfer:";

    /** The outbox stream, one per participant; its name does not match {@link #MARKER_PREFIX}{@code *}. */
    static final String EVENTS_STREAM = "xfer-events";

    /** The message field holding the transfer's id: a retried attempt commits under a new transaction id. */
    static final String TRANSFER_FIELD = "transfer";

    /** The message field holding {@link Transfer#encode()}. */
    static final String MOVE_FIELD = "move";

    /**
     * One transfer.
     *
     * @param id unique over the whole run (also across coordinator processes)
     * @param from the source account
     * @param to one or two destination accounts, distinct from each other and from the source
     * @param amount what each destination receives
     */
    record Transfer(String id, int from, List<Integer> to, long amount) {

        Transfer {
            to = List.copyOf(to);
        }

        /** @return the marker's value: {@code from>to[,to]:amount} */
        String encode() {
            StringBuilder sb = new StringBuilder().append(from).append('>');
            for (int i = 0; i < to.size(); i++) {
                sb.append(i == 0 ? "" : ",").append(to.get(i));
            }
            return sb.append(':').append(amount).toString();
        }

        static Transfer decode(String id, String encoded) {
            int gt = encoded.indexOf('>');
            int colon = encoded.indexOf(':');
            List<Integer> to = new ArrayList<>();
            for (String t : encoded.substring(gt + 1, colon).split(",")) {
                to.add(Integer.parseInt(t));
            }
            return new Transfer(
                    id, Integer.parseInt(encoded.substring(0, gt)), to, Long.parseLong(encoded.substring(colon + 1)));
        }

        long debit() {
            return amount * to.size();
        }

        /** @return the fields of its outbox message */
        Map<String, String> message() {
            return Map.of(TRANSFER_FIELD, id, MOVE_FIELD, encode());
        }
    }

    /** What a transfer that committed did. */
    enum Status {
        TRANSFERRED,
        /** The source held less than the debit: committed read-only, nothing written. */
        INSUFFICIENT_FUNDS
    }

    private final TransactionRuntime runtime;
    private final List<String> participants;
    private final int accounts;
    private final long initialBalance;

    Transfers(TransactionRuntime runtime, List<String> participants, int accounts, long initialBalance) {
        if (accounts < GROUP_SIZE || accounts % GROUP_SIZE != 0) {
            throw new IllegalArgumentException("accounts must be a positive multiple of " + GROUP_SIZE);
        }
        this.runtime = runtime;
        this.participants = List.copyOf(participants);
        this.accounts = accounts;
        this.initialBalance = initialBalance;
    }

    static String key(int account) {
        return "acct:" + account;
    }

    static String participantOf(List<String> participants, int account) {
        return participants.get(account % participants.size());
    }

    /** @return the participants a transfer writes, in account order, each once */
    static Set<String> participantsOf(List<String> participants, Transfer t) {
        Set<String> touched = new LinkedHashSet<>();
        touched.add(participantOf(participants, t.from()));
        t.to().forEach(a -> touched.add(participantOf(participants, a)));
        return touched;
    }

    int groups() {
        return accounts / GROUP_SIZE;
    }

    long expectedGroupSum() {
        return GROUP_SIZE * initialBalance;
    }

    /** Writes the initial balance into every account, one transaction per group. */
    Mono<Void> seed() {
        String balance = Long.toString(initialBalance);
        return Flux.range(0, groups())
                .concatMap(g -> runtime.<Void>inTransaction(tx -> Flux.range(g * GROUP_SIZE, GROUP_SIZE)
                        .concatMap(i -> tx.on(participantOf(participants, i)).set(key(i), balance))
                        .then()))
                .then();
    }

    /**
     * A random transfer inside a random group: one destination, or (a third of the time) two; an amount from 1 to 20.
     */
    Transfer random(Random random, String id) {
        int base = random.nextInt(groups()) * GROUP_SIZE;
        List<Integer> picked = new ArrayList<>(3);
        int wanted = random.nextInt(3) == 0 ? 3 : 2;
        while (picked.size() < wanted) {
            int a = base + random.nextInt(GROUP_SIZE);
            if (!picked.contains(a)) {
                picked.add(a);
            }
        }
        return new Transfer(id, picked.get(0), picked.subList(1, picked.size()), 1 + random.nextInt(20));
    }

    /**
     * Runs one transfer: reads every balance it touches, then (if the source holds the debit) moves the money, writes
     * its markers and publishes its message, all in one transaction.
     */
    Mono<Status> run(Transfer t) {
        return runtime.inTransaction(tx -> {
            TransactionCommands source = tx.on(participantOf(participants, t.from()));
            List<Mono<Long>> reads = new ArrayList<>(3);
            reads.add(balance(source, t.from()));
            t.to().forEach(a -> reads.add(balance(tx.on(participantOf(participants, a)), a)));
            return Flux.mergeSequential(reads) // concurrently, answers in order: the source first
                    .collectList()
                    .flatMap(balances -> {
                        if (balances.get(0) < t.debit()) {
                            return Mono.just(Status.INSUFFICIENT_FUNDS);
                        }
                        List<Mono<?>> writes = new ArrayList<>();
                        writes.add(source.decrBy(key(t.from()), t.debit()));
                        for (int a : t.to()) {
                            writes.add(tx.on(participantOf(participants, a)).incrBy(key(a), t.amount()));
                        }
                        for (String p : participantsOf(participants, t)) {
                            writes.add(tx.on(p).set(MARKER_PREFIX + t.id(), t.encode()));
                        }
                        writes.add(source.publish(EVENTS_STREAM, t.message()));
                        return Flux.concat(writes).then(Mono.just(Status.TRANSFERRED));
                    });
        });
    }

    /** Reads one group's balances in one read-only transaction and sums them. */
    Mono<Long> audit(int group) {
        return runtime.inTransaction(tx -> Flux.range(group * GROUP_SIZE, GROUP_SIZE)
                .flatMap(i -> balance(tx.on(participantOf(participants, i)), i))
                .reduce(0L, Long::sum));
    }

    private static Mono<Long> balance(TransactionCommands commands, int account) {
        return commands.get(key(account))
                .switchIfEmpty(Mono.error(() -> new IllegalStateException("acct:" + account + " does not exist")))
                .map(Long::parseLong);
    }
}
