package io.redtx.samples.bank;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.CommitProtocol;
import io.redtx.api.RetryPolicy;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionConflictException;
import io.redtx.api.TransactionRuntime;
import io.redtx.runtime.RedisTransactionRuntime;
import io.redtx.samples.load.Counts;
import io.redtx.test.redis.IntentCount;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The correctness anchor (docs/design.md#how-the-guarantees-are-checked), without faults: concurrent transfers across
 * three real servers plus concurrent read-only audits, with BlockHound on. The total never changes, no audit sees a
 * partial transfer, every acknowledged transfer is visible on both its accounts (and no failed one on either), and no
 * intent is left at the end.
 */
@RedisTest
class BankInvariantTest {

    static final List<String> PARTICIPANTS = List.of("a", "b", "c");
    static final int ACCOUNTS = 10_000;
    static final long INITIAL = 1_000;
    static final int TRANSFERS = 100_000;
    static final int CONCURRENCY = 64;
    static final int AUDIT_CONCURRENCY = 4;
    static final Duration LOAD_LIMIT = Duration.ofMinutes(4);

    /** Counts every lock, intent index entry and PREPARED record of a server, in one script. */
    final ConcurrentHashMap<String, LongAdder> failures = new ConcurrentHashMap<>();

    final ConcurrentHashMap<String, LongAdder> auditFailures = new ConcurrentHashMap<>();
    final ConcurrentHashMap<CommitProtocol, LongAdder> protocols = new ConcurrentHashMap<>();
    /** The first failure of each type, with its causes, for the report. */
    final ConcurrentHashMap<String, Throwable> firstFailures = new ConcurrentHashMap<>();

    final LongAdder committed = new LongAdder();
    final LongAdder insufficient = new LongAdder();
    final LongAdder retries = new LongAdder();
    final LongAdder audits = new LongAdder();
    final LongAdder auditRetries = new LongAdder();
    final List<Bank.Audit> violations = Collections.synchronizedList(new ArrayList<>());
    /** What each account must hold at the end: the initial balance plus every acknowledged transfer. */
    final AtomicLongArray expectedDelta = new AtomicLongArray(ACCOUNTS);

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void concurrentTransfersAndAuditsKeepEveryTotalAndLeaveNoIntent(RedisServer a, RedisServer b, RedisServer c) {
        List<RedisServer> servers = List.of(a, b, c);
        TransactionRuntime runtime = RedisTransactionRuntime.create(RuntimeOptions.builder()
                .participant("a", a.uri())
                .participant("b", b.uri())
                .participant("c", c.uri())
                // Transfers inside a group of 100 accounts contend, and so do audits with them.
                .retryPolicy(RetryPolicy.builder().maxAttempts(20).build())
                .build());
        try {
            Bank bank = new Bank(runtime, PARTICIPANTS, ACCOUNTS, INITIAL);
            long seed = System.nanoTime();
            Random random = new Random(seed);
            bank.seed().block(Duration.ofMinutes(1));

            AtomicBoolean transfersDone = new AtomicBoolean();
            Mono<Void> transfers = Flux.range(0, TRANSFERS)
                    .flatMap(
                            i -> bank.transfer(random)
                                    .doOnNext(this::transferred)
                                    .onErrorResume(e -> {
                                        count(failures, e);
                                        return Mono.empty();
                                    }),
                            CONCURRENCY)
                    .then()
                    .doFinally(signal -> transfersDone.set(true));
            // Audits run for as long as transfers do: one tick per audit, until the transfers are done.
            Mono<Void> auditsWhileTransferring = Flux.<Integer>generate(sink -> sink.next(0))
                    .takeWhile(tick -> !transfersDone.get())
                    .flatMap(
                            tick -> bank.audit(random.nextInt(bank.groups()))
                                    .doOnNext(this::audited)
                                    .onErrorResume(e -> {
                                        count(auditFailures, e);
                                        return Mono.empty();
                                    }),
                            AUDIT_CONCURRENCY)
                    .then();

            long start = System.nanoTime();
            Mono.when(transfers, auditsWhileTransferring).block(LOAD_LIMIT);
            double seconds = (System.nanoTime() - start) / 1e9;

            Bank.Invariant invariant = bank.checkInvariant().block(Duration.ofMinutes(1));
            // Waits for background roll-forwards and clean-ups: what is left afterwards is really left.
            runtime.closeGracefully().block(Duration.ofMinutes(1));
            List<Long> balances = rawBalances(servers);

            long failed = Counts.sum(failures);
            System.out.printf(
                    Locale.ROOT,
                    "bank invariant (random choices seeded %d): %d transfers attempted in %.1f s (%.0f/s): %d committed (%.0f/s;"
                            + " one-phase %d, two-phase %d), %d skipped for insufficient funds, %d failed %s;"
                            + " %d retried attempts; %d audits (%d retried attempts), %d violations, %d failed %s%s%n",
                    seed,
                    TRANSFERS,
                    seconds,
                    TRANSFERS / seconds,
                    committed.sum(),
                    committed.sum() / seconds,
                    count(protocols, CommitProtocol.ONE_PHASE),
                    count(protocols, CommitProtocol.TWO_PHASE),
                    insufficient.sum(),
                    failed,
                    Counts.snapshot(failures),
                    retries.sum(),
                    audits.sum(),
                    auditRetries.sum(),
                    violations.size(),
                    Counts.sum(auditFailures),
                    Counts.snapshot(auditFailures),
                    describeFailures());

            assertThat(committed.sum() + insufficient.sum() + failed)
                    .as("every transfer ended")
                    .isEqualTo(TRANSFERS);
            // Only exhausted retries may fail: anything else (a timeout, an outcome unknown, a BlockingOperationError
            // from BlockHound) is a defect, and an outcome unknown would also break the per-account model below.
            assertThat(Counts.snapshot(failures).keySet())
                    .as("failure types; %s", describeFailures())
                    .isSubsetOf(TransactionConflictException.class.getSimpleName());
            assertThat(Counts.snapshot(auditFailures).keySet())
                    .as("audit failure types; %s", describeFailures())
                    .isSubsetOf(TransactionConflictException.class.getSimpleName());
            assertThat(committed.sum()).as("committed transfers").isGreaterThanOrEqualTo(TRANSFERS * 9L / 10);
            assertThat(audits.sum()).as("audits done during the transfers").isPositive();
            assertThat(violations).as("audits that saw a wrong group sum").isEmpty();
            assertThat(invariant.inconsistentGroups())
                    .as("groups with a wrong sum at the end")
                    .isEmpty();
            assertThat(invariant.total()).as("total through redtx").isEqualTo(ACCOUNTS * INITIAL);
            assertThat(balances.stream().mapToLong(Long::longValue).sum())
                    .as("total read directly from the servers")
                    .isEqualTo(ACCOUNTS * INITIAL);
            for (int i = 0; i < ACCOUNTS; i++) {
                assertThat(balances.get(i))
                        .as("balance of acct:%d: initial plus every acknowledged transfer", i)
                        .isEqualTo(INITIAL + expectedDelta.get(i))
                        .isNotNegative();
            }
            assertThat(IntentCount.on("redtx:", servers))
                    .as("locks, index entries and PREPARED records")
                    .isEqualTo(IntentCount.NONE);
        } finally {
            runtime.close();
        }
    }

    private void transferred(Bank.Transfer t) {
        retries.add(t.commit().attempts() - 1);
        if (t.status() == Bank.Status.INSUFFICIENT_FUNDS) {
            insufficient.increment();
            return;
        }
        committed.increment();
        protocols.computeIfAbsent(t.commit().protocol(), p -> new LongAdder()).increment();
        expectedDelta.addAndGet(t.from(), -t.amount());
        expectedDelta.addAndGet(t.to(), t.amount());
    }

    private void audited(Bank.Audit audit) {
        audits.increment();
        auditRetries.add(audit.commit().attempts() - 1);
        if (!audit.consistent()) {
            violations.add(audit);
        }
    }

    /** Every balance, read with MGET straight from the server that holds it (not through redtx). */
    private static List<Long> rawBalances(List<RedisServer> servers) {
        List<List<?>> perServer = new ArrayList<>();
        for (int s = 0; s < servers.size(); s++) {
            List<String> args = new ArrayList<>();
            args.add("MGET");
            for (int i = s; i < ACCOUNTS; i += servers.size()) {
                args.add(Bank.key(i));
            }
            perServer.add((List<?>) servers.get(s).command(args.toArray(String[]::new)));
        }
        List<Long> balances = new ArrayList<>(ACCOUNTS);
        for (int i = 0; i < ACCOUNTS; i++) {
            Object value = perServer.get(i % servers.size()).get(i / servers.size());
            assertThat(value)
                    .as("acct:%d on %s", i, servers.get(i % servers.size()))
                    .isNotNull();
            balances.add(Long.parseLong((String) value));
        }
        return balances;
    }

    private void count(ConcurrentHashMap<String, LongAdder> counts, Throwable e) {
        counts.computeIfAbsent(e.getClass().getSimpleName(), k -> new LongAdder())
                .increment();
        firstFailures.putIfAbsent(e.getClass().getSimpleName(), e);
    }

    /** Each failure type with the message of its first occurrence and of every cause. */
    private String describeFailures() {
        StringBuilder sb = new StringBuilder();
        firstFailures.forEach((type, e) -> {
            sb.append(System.lineSeparator()).append("  first ").append(type).append(": ");
            for (Throwable t = e; t != null; t = t.getCause()) {
                sb.append(t == e ? "" : " <- caused by ").append(t);
            }
        });
        return sb.toString();
    }

    private static long count(Map<CommitProtocol, LongAdder> counts, CommitProtocol p) {
        LongAdder n = counts.get(p);
        return n == null ? 0 : n.sum();
    }
}
