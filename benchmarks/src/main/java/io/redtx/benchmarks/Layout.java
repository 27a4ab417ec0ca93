package io.redtx.benchmarks;

import io.redtx.samples.bank.Bank;
import io.redtx.test.redis.RedisServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Where the bank's accounts live for one workload, how transfers are picked, and the seeding and balance check done
 * straight on the servers (blocking, from the main thread, outside the measured windows).
 *
 * <p>Account {@code i} is the string key {@code acct:<i>} on server {@code i % shards}, as in {@link Bank}. A transfer
 * stays inside a group of {@value Bank#GROUP_SIZE} consecutive accounts (so groups span every server), moves 1 to
 * {@value Bank#MAX_AMOUNT}, and with several shards always joins two different servers.
 *
 * @param accounts number of accounts, a positive multiple of {@value Bank#GROUP_SIZE}
 * @param shards servers the accounts are spread over
 * @param initialBalance what every account holds after {@link #seed(List)}
 */
record Layout(int accounts, int shards, long initialBalance) {

    /** Accounts written or read per MSET / MGET when seeding and checking. */
    static final int BATCH = 500;

    /** @return the server index of {@code account} */
    int shardOf(int account) {
        return account % shards;
    }

    /** @return what the balances must sum to */
    long expectedTotal() {
        return accounts * initialBalance;
    }

    /**
     * Picks a transfer: a random group, two different accounts of it (on different servers when there are several),
     * and an amount of 1 to {@value Bank#MAX_AMOUNT}. Same distribution as {@link Bank#randomTransfer(Random,
     * boolean)} with {@code crossParticipant}.
     *
     * @param random used on the calling thread
     * @return the transfer
     */
    Bank.TransferOrder pick(Random random) {
        int base = random.nextInt(accounts / Bank.GROUP_SIZE) * Bank.GROUP_SIZE;
        int from = base + random.nextInt(Bank.GROUP_SIZE);
        int to;
        do {
            to = base + random.nextInt(Bank.GROUP_SIZE - 1);
            if (to >= from) {
                to++; // uniform over the group minus the source
            }
            // Terminates: consecutive accounts are on different servers, so every group spans all of them.
        } while (shards > 1 && shardOf(to) == shardOf(from));
        return new Bank.TransferOrder(from, to, 1 + random.nextInt(Bank.MAX_AMOUNT));
    }

    /**
     * Empties every server ({@code FLUSHALL}: accounts of the previous workload, redtx's records) and writes the
     * initial balance into every account, on its server.
     *
     * @param servers every embedded server, whether this layout uses it or not
     */
    void seed(List<RedisServer> servers) {
        for (RedisServer s : servers) {
            s.command("FLUSHALL", "SYNC");
        }
        String balance = Long.toString(initialBalance);
        for (int shard = 0; shard < shards; shard++) {
            List<String> args = new ArrayList<>();
            args.add("MSET");
            for (int i = shard; i < accounts; i += shards) {
                args.add(Bank.key(i));
                args.add(balance);
                if (args.size() > 2 * BATCH || i + shards >= accounts) {
                    servers.get(shard).command(args.toArray(String[]::new));
                    args.subList(1, args.size()).clear();
                }
            }
        }
    }

    /**
     * Reads every balance, on its server.
     *
     * @param servers every embedded server
     * @return the sum, the accounts below zero and the accounts missing
     */
    Balances balances(List<RedisServer> servers) {
        long total = 0;
        int negative = 0;
        int missing = 0;
        for (int shard = 0; shard < shards; shard++) {
            List<String> args = new ArrayList<>();
            args.add("MGET");
            for (int i = shard; i < accounts; i += shards) {
                args.add(Bank.key(i));
                if (args.size() > BATCH || i + shards >= accounts) {
                    for (Object value : (List<?>) servers.get(shard).command(args.toArray(String[]::new))) {
                        if (value == null) {
                            missing++;
                        } else {
                            long balance = Long.parseLong((String) value);
                            total += balance;
                            negative += balance < 0 ? 1 : 0;
                        }
                    }
                    args.subList(1, args.size()).clear();
                }
            }
        }
        return new Balances(total, expectedTotal(), negative, missing);
    }

    /**
     * The balances after a workload.
     *
     * @param total the sum of every balance
     * @param expected what it must be
     * @param negative accounts below zero (possible only without atomicity)
     * @param missing accounts that do not exist
     */
    record Balances(long total, long expected, int negative, int missing) {

        /** @return {@code total - expected} */
        long drift() {
            return total - expected;
        }

        /** @return whether the total is unchanged and every account exists and is not negative */
        boolean intact() {
            return total == expected && negative == 0 && missing == 0;
        }
    }
}
