package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.RedtxException;
import io.redtx.api.external.ExternalParticipantException;
import io.redtx.runtime.internal.protocol.ProtocolHooks;
import io.redtx.test.redis.IntentCount;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * TCC against a real external resource: transfers debit an account in an embedded SQL database ({@link
 * SqlLedgerParticipant}: reserved by the try, debited by the confirm) and credit accounts on two Redis participants,
 * all in one redtx transaction. Money is neither made nor lost, no reservation hangs, and the fence table agrees with
 * the transactions' outcomes, with and without coordinators dying mid-commit.
 */
class SqlExternalParticipantTest extends ThreeParticipantsTestBase {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int TRANSFERS = 300;
    private static final int SQL_ACCOUNTS = 10;
    private static final long OPENING_BALANCE = 1_000;
    private static final int REDIS_ACCOUNTS = 50;
    /** Amounts are 1..100, 50.5 on average: 300 of them ask for about 15 000 of the 10 000 opened, so some refuse. */
    private static final int MAX_AMOUNT = 100;

    private SqlLedgerParticipant sql;

    /** One transfer: what it asked and how it ended. */
    private record Outcome(String id, long amount, Throwable error) {}

    @BeforeEach
    void openLedger() {
        sql = new SqlLedgerParticipant("sql");
        sql.createSchema(SQL_ACCOUNTS, OPENING_BALANCE).block(WAIT);
    }

    @AfterEach
    void dropLedger() {
        // The runtime first: its background cancels and confirms still talk to the database.
        closeRuntime();
        sql.close().block(WAIT);
    }

    @Test
    void concurrentTransfersFromSqlToRedisKeepTheMoneyAndTheFenceConsistent() {
        RedisTransactionRuntime rt = runtime(o -> o.external(sql));
        List<Outcome> outcomes = transfers(rt);
        // Aborts cancel in the background: wait (bounded) until no reservation is left undecided.
        awaitTrue(() -> !sql.fenceStates().block(WAIT).containsValue(SqlLedgerParticipant.TRIED));
        assertNoIntents();
        verify(outcomes, Set.of(), Set.of());
    }

    @Test
    void coordinatorsDyingAfterTheTriesOrAfterTheCommitPointAreSettledByRecoveryInAnotherRuntime() {
        Set<String> diedAfterTries = ConcurrentHashMap.newKeySet();
        Set<String> diedAfterCommitPoint = ConcurrentHashMap.newKeySet();
        // About one attempt in eight dies: half with SQL reservations made but nothing decided (recovery must cancel
        // them), half with the record committed but no confirm sent (recovery must confirm).
        ProtocolHooks hooks = at -> {
            int bucket = Math.floorMod(at.transactionId().hashCode(), 16);
            if (at.step() == ProtocolHooks.Step.AFTER_PREPARE && bucket == 0) {
                diedAfterTries.add(at.transactionId());
                return Mono.error(new IllegalStateException("coordinator died"));
            }
            if (at.step() == ProtocolHooks.Step.AFTER_COMMIT_POINT && bucket == 1) {
                diedAfterCommitPoint.add(at.transactionId());
                return Mono.error(new IllegalStateException("coordinator died"));
            }
            return Mono.empty();
        };
        RedisTransactionRuntime dying = runtime(
                o -> o.external(sql)
                        .recovery(r -> r.lease(Duration.ofMillis(300)).interval(Duration.ZERO)),
                hooks);
        List<Outcome> outcomes = transfers(dying);
        assertThat(outcomes.stream().filter(o -> o.error() instanceof ProtocolHooks.Halted))
                .hasSize(diedAfterTries.size() + diedAfterCommitPoint.size());
        assertThat(diedAfterTries)
                .as("the hooks must have killed some coordinators")
                .isNotEmpty();
        assertThat(diedAfterCommitPoint).isNotEmpty();

        RedisTransactionRuntime other =
                RedisTransactionRuntime.create(options().external(sql).build(), ProtocolHooks.NONE);
        try {
            awaitTrue(() -> {
                other.recover().block(WAIT);
                return IntentCount.on("redtx:", servers()).none()
                        && !sql.fenceStates().block(WAIT).containsValue(SqlLedgerParticipant.TRIED);
            });
        } finally {
            other.closeGracefully().block(WAIT);
        }
        assertNoIntents();
        verify(outcomes, diedAfterTries, diedAfterCommitPoint);
    }

    /**
     * Runs {@link #TRANSFERS} transfers at once, each from a SQL account to one Redis account on "a" and one on "b"
     * (the amount split between them). Seeded: the same amounts every run.
     */
    private List<Outcome> transfers(RedisTransactionRuntime rt) {
        Random random = new Random(42);
        List<Mono<Outcome>> work = new ArrayList<>();
        for (int i = 0; i < TRANSFERS; i++) {
            String account = "acct:" + (i % SQL_ACCOUNTS);
            long amount = 1 + random.nextInt(MAX_AMOUNT);
            long toA = random.nextInt((int) amount + 1);
            String keyA = "r:" + random.nextInt(REDIS_ACCOUNTS);
            String keyB = "r:" + random.nextInt(REDIS_ACCOUNTS);
            work.add(rt.<Long>inTransactionWithResult(
                            tx -> tx.external("sql", Map.of("account", account, "amount", Long.toString(amount)))
                                    .then(tx.on("a").incrBy(keyA, toA))
                                    .then(tx.on("b").incrBy(keyB, amount - toA)))
                    .map(r -> new Outcome(r.commit().transactionId(), amount, null))
                    .onErrorResume(e -> Mono.just(
                            new Outcome(e instanceof RedtxException x ? x.transactionId() : null, amount, e))));
        }
        return Flux.fromIterable(work).flatMap(m -> m, TRANSFERS).collectList().block(Duration.ofSeconds(120));
    }

    /**
     * Money is conserved between SQL and Redis, nothing stays reserved, every committed transaction (a reply or a
     * coordinator that died after the commit point) is CONFIRMED in the fence and every other row is CANCELLED.
     */
    private void verify(List<Outcome> outcomes, Set<String> diedAfterTries, Set<String> diedAfterCommitPoint) {
        Map<String, String> fence = sql.fenceStates().block(WAIT);
        Set<String> committed = new HashSet<>(diedAfterCommitPoint);
        long refused = 0;
        // Besides refusals and crashes: tries fenced off or late, and conflicts on the Redis accounts that outlasted
        // the retry policy (300 transfers on 50 keys a shard; with crashes, also a dead coordinator's locks, held until
        // its lease expires and a resolver or recovery settles it).
        Map<String, Integer> otherAborts = new TreeMap<>();
        for (Outcome o : outcomes) {
            if (o.error() == null) {
                committed.add(o.id());
            } else if (!(o.error() instanceof ProtocolHooks.Halted)) {
                assertThat(o.error()).as("an abort, with its transaction id").isInstanceOf(RedtxException.class);
                assertThat(o.id()).isNotNull();
                if (o.error() instanceof ExternalParticipantException) {
                    // The try was refused or late: the cancel that follows leaves the id fenced.
                    assertThat(fence.get(o.id())).as(o.id()).isEqualTo(SqlLedgerParticipant.CANCELLED);
                    if (o.error().getCause() instanceof SqlLedgerParticipant.InsufficientFunds) {
                        refused++;
                    } else {
                        otherAborts.merge(tryFailure((ExternalParticipantException) o.error()), 1, Integer::sum);
                    }
                } else {
                    otherAborts.merge(o.error().getClass().getSimpleName(), 1, Integer::sum);
                    assertThat(fence.get(o.id())).as(o.id()).isNotEqualTo(SqlLedgerParticipant.CONFIRMED);
                }
            }
        }
        for (String id : diedAfterTries) {
            assertThat(fence.get(id)).as(id).isEqualTo(SqlLedgerParticipant.CANCELLED);
        }
        for (String id : committed) {
            assertThat(fence.get(id)).as(id).isEqualTo(SqlLedgerParticipant.CONFIRMED);
        }
        fence.forEach((id, state) -> {
            if (!committed.contains(id)) {
                assertThat(state).as(id).isEqualTo(SqlLedgerParticipant.CANCELLED);
            }
        });

        long[] sqlTotals = sql.totals().block(WAIT);
        long redis = 0;
        for (int i = 0; i < REDIS_ACCOUNTS; i++) {
            redis += balance(get(a, "r:" + i)) + balance(get(b, "r:" + i));
        }
        long confirmedAmount = sql.confirmedAmounts().block(WAIT).values().stream()
                .mapToLong(Long::longValue)
                .sum();
        System.out.println("tcc sql: other aborts " + otherAborts);
        System.out.printf(
                "tcc sql: %d transfers, %d committed, %d aborted (%d for insufficient funds), %d coordinator crashes"
                        + " (%d after the tries, %d after the commit point), violations %d%n",
                outcomes.size(),
                committed.size(),
                outcomes.size() - committed.size(),
                refused,
                diedAfterTries.size() + diedAfterCommitPoint.size(),
                diedAfterTries.size(),
                diedAfterCommitPoint.size(),
                sql.violations());
        assertThat(sql.violations()).isZero();
        assertThat(sqlTotals[1]).as("sum(reserved)").isZero();
        assertThat(sqlTotals[0] + redis).as("SQL + Redis").isEqualTo(SQL_ACCOUNTS * OPENING_BALANCE);
        assertThat(redis).as("credited in Redis = confirmed in SQL").isEqualTo(confirmedAmount);
        assertThat(committed).as("some transfers commit").isNotEmpty();
        assertThat(refused)
                .as("some transfers are refused for insufficient funds")
                .isPositive();
    }

    private static String tryFailure(ExternalParticipantException e) {
        if (e.getCause() == null) {
            return "try timed out";
        }
        // A resolver aborted the transaction (its lease had expired) and cancelled it before its try ran: the fence
        // refused the late try, which would otherwise have left a reservation hanging.
        return e.getCause().getMessage().contains("was cancelled before its try")
                ? "late try fenced off"
                : "try failed: " + e.getCause();
    }

    private static long balance(Object value) {
        return value == null ? 0 : Long.parseLong(value.toString());
    }
}
