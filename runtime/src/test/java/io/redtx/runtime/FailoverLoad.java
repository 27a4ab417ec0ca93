package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.RedtxException;
import io.redtx.api.RedtxNonTransientException;
import io.redtx.api.TransactionOutcomeUnknownException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Bank transfers, 8 at a time, while a participant fails over. Each transfer also writes a marker beside each of its
 * two accounts (same hash tag, so the marker is in the account's shard and written by the same script): after the
 * failover, an acknowledged transfer whose marker is missing was lost with the old master's unreplicated writes.
 */
final class FailoverLoad {

    static final long OPENING = 100;

    /** An account: a key on a participant; the key is its own hash tag, so markers beside it share its slot. */
    record Account(String participant, String key) {
        String marker(long n) {
            return key + ":ack:" + n;
        }
    }

    final AtomicBoolean stopped = new AtomicBoolean();
    final AtomicLong acknowledged = new AtomicLong();
    /** Every transfer started, by number, with its two accounts. */
    final Map<Long, Account[]> attempted = new ConcurrentHashMap<>();
    /** Acknowledged transfers by number, with their two accounts. */
    final Map<Long, Account[]> acked = new ConcurrentHashMap<>();
    /** When each acknowledged transfer was acknowledged ({@link System#nanoTime()}), by number. */
    final Map<Long, Long> ackedAt = new ConcurrentHashMap<>();
    /** Failed transfers by exception type. */
    final Map<String, AtomicLong> failures = new ConcurrentHashMap<>();
    /** The first failures that are not redtx's typed, retryable (or outcome-unknown) errors. */
    final List<Throwable> unexpected = new CopyOnWriteArrayList<>();

    private CompletableFuture<Void> done;

    static List<Account> accounts(String participant, int n) {
        List<Account> accounts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            accounts.add(new Account(participant, "{acct:" + participant + i + "}"));
        }
        return accounts;
    }

    static Mono<Void> open(RedisTransactionRuntime rt, List<Account> accounts) {
        return rt.inTransaction(tx -> Flux.fromIterable(accounts)
                .flatMap(a -> tx.on(a.participant()).set(a.key(), Long.toString(OPENING)))
                .then());
    }

    static Mono<Long> total(RedisTransactionRuntime rt, List<Account> accounts) {
        return rt.inTransaction(tx -> Flux.fromIterable(accounts)
                .flatMap(a -> tx.on(a.participant()).get(a.key()))
                .map(Long::parseLong)
                .reduce(0L, Long::sum));
    }

    /** One transfer, numbered {@code n}: both balances and both markers in one transaction. */
    static Mono<Long> transfer(RedisTransactionRuntime rt, long n, Account from, Account to, long amount) {
        // SET completes empty: it joins with when(), which, unlike zip(), does not cancel the rest on an empty one.
        return rt.inTransaction(tx -> Mono.zip(
                        tx.on(from.participant()).decrBy(from.key(), amount),
                        tx.on(to.participant()).incrBy(to.key(), amount))
                .flatMap(balances -> Mono.when(
                                tx.on(from.participant()).set(from.marker(n), "1"),
                                tx.on(to.participant()).set(to.marker(n), "1"))
                        .thenReturn(balances.getT1())));
    }

    /** Starts transfers between random pairs of {@code accounts} until {@link #stop()}. */
    static FailoverLoad start(RedisTransactionRuntime rt, List<Account> accounts) {
        FailoverLoad load = new FailoverLoad();
        load.done = Flux.range(0, 10_000_000)
                // Also ends when errors pile up: a failure that comes synchronously would otherwise spin this loop.
                .takeWhile(i -> !load.stopped.get() && load.unexpected.size() < 20)
                .flatMap(
                        i -> {
                            Account from = accounts.get((i * 7) % accounts.size());
                            Account to = accounts.get((i * 11 + 3) % accounts.size());
                            if (from.equals(to)) {
                                return Mono.empty();
                            }
                            long n = i;
                            load.attempted.put(n, new Account[] {from, to});
                            return transfer(rt, n, from, to, 1 + i % 5)
                                    .doOnNext(balance -> {
                                        load.ackedAt.put(n, System.nanoTime());
                                        load.acked.put(n, new Account[] {from, to});
                                        load.acknowledged.incrementAndGet();
                                    })
                                    .onErrorResume(e -> {
                                        load.failures
                                                .computeIfAbsent(e.getClass().getSimpleName(), k -> new AtomicLong())
                                                .incrementAndGet();
                                        boolean typed = e instanceof RedtxException
                                                && (!(e instanceof RedtxNonTransientException)
                                                        || e instanceof TransactionOutcomeUnknownException);
                                        if (!typed && load.unexpected.size() < 20) {
                                            load.unexpected.add(e);
                                        }
                                        return Mono.empty();
                                    });
                        },
                        8)
                .then()
                .toFuture();
        return load;
    }

    /**
     * Waits until a transfer that touches an account {@code touching} accepts is acknowledged after
     * {@code sinceNanos}.
     *
     * @return how long after {@code sinceNanos}, in ms
     */
    long awaitProgressAfter(long sinceNanos, Duration bound, Predicate<Account> touching) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (true) {
            long first = Long.MAX_VALUE;
            for (Map.Entry<Long, Long> e : ackedAt.entrySet()) {
                Account[] pair = acked.get(e.getKey());
                long after = e.getValue() - sinceNanos;
                if (after > 0 && after < first && pair != null && (touching.test(pair[0]) || touching.test(pair[1]))) {
                    first = after;
                }
            }
            if (first != Long.MAX_VALUE) {
                return first / 1_000_000;
            }
            assertThat(System.nanoTime() - deadline)
                    .as("no such transfer acknowledged within %s; failures so far %s", bound, failureCounts())
                    .isNegative();
            sleep(20);
        }
    }

    void stop() throws Exception {
        stopped.set(true);
        done.get(60, TimeUnit.SECONDS);
    }

    /**
     * @param present whether a key exists on its participant now (asked of the current master)
     * @return how many acknowledged transfers lack a marker: lost with the old master
     */
    long lost(Predicate<Account> present) {
        long lost = 0;
        for (Map.Entry<Long, Account[]> e : acked.entrySet()) {
            long n = e.getKey();
            boolean whole = true;
            for (Account a : e.getValue()) {
                whole &= present.test(new Account(a.participant(), a.marker(n)));
            }
            if (!whole) {
                lost++;
            }
        }
        return lost;
    }

    /**
     * @param present whether a key exists on its participant now (asked of the current master)
     * @return how many transfers, acknowledged or not, left one of their two markers but not the other: each is a
     *     transaction that was not all-or-nothing
     */
    long partial(Predicate<Account> present) {
        long partial = 0;
        for (Map.Entry<Long, Account[]> e : attempted.entrySet()) {
            long n = e.getKey();
            Account[] pair = e.getValue();
            boolean first = present.test(new Account(pair[0].participant(), pair[0].marker(n)));
            boolean second = present.test(new Account(pair[1].participant(), pair[1].marker(n)));
            if (first != second) {
                partial++;
            }
        }
        return partial;
    }

    /** @return failures by type, sorted, for the report */
    Map<String, Long> failureCounts() {
        Map<String, Long> counts = new TreeMap<>();
        failures.forEach((k, v) -> counts.put(k, v.get()));
        return counts;
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
