package io.redtx.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionRuntime;
import io.redtx.runtime.RedisTransactionRuntime;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Mono;

/**
 * The transfers' outbox messages when the coordinator dies at each protocol step: after recovery, exactly one message
 * for each transfer that committed (also one that recovery rolled forward), none for one that did not.
 */
@RedisTest
class OutboxCrashTest {

    static final List<String> NAMES = FaultSuite.PARTICIPANTS;
    static final int ACCOUNTS = Transfers.GROUP_SIZE;
    static final long INITIAL = 100;
    static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void aCoordinatorDyingAtAnyStepLeavesOneMessagePerCommittedTransferAndNoOther(
            RedisServer a, RedisServer b, RedisServer c) throws Exception {
        List<RedisServer> servers = List.of(a, b, c);
        Map<String, String> uris = new LinkedHashMap<>();
        for (int i = 0; i < NAMES.size(); i++) {
            uris.put(NAMES.get(i), servers.get(i).uri());
        }
        CoordinatorCrashes crashes = new CoordinatorCrashes();
        TransactionRuntime runtime = crashes.create(options(uris));
        Transfers bank = new Transfers(runtime, NAMES, ACCOUNTS, INITIAL);
        Outcomes outcomes = new Outcomes();
        try {
            bank.seed().block(WAIT);
            // Accounts 3k, 3k+1, 3k+2 are on a, b and c: every transfer is a three-shard commit, on accounts of its
            // own so that no transfer meets another's intent.
            Transfers.Transfer plain = new Transfers.Transfer("plain", 0, List.of(1, 2), 1);
            outcomes.record(Outcomes.of(plain, bank.run(plain).block(WAIT)));
            int k = 1;
            for (CoordinatorCrashes.Point p : CoordinatorCrashes.Point.values()) {
                Transfers.Transfer t = new Transfers.Transfer("crash-" + p, 3 * k, List.of(3 * k + 1, 3 * k + 2), 1);
                k++;
                crashes.arm(p);
                Outcomes.Claimed answer = bank.run(t)
                        .map(status -> Outcomes.of(t, status))
                        .onErrorResume(e -> Mono.just(Outcomes.of(t, e)))
                        .block(WAIT);
                assertThat(crashes.victim()).as("crash at " + p + " fired").isNotNull();
                crashes.disarm();
                assertThat(answer.kind()).as(p.name()).isEqualTo("coordinator-crashed");
                outcomes.record(new Outcomes.Claimed(t, promised(p), answer.kind(), answer.detail()));
            }
        } finally {
            runtime.closeGracefully().block(WAIT);
        }

        // Past the lease, a fresh coordinator's recovery settles what the dead ones left: no coordinator memory.
        Thread.sleep(FaultSuite.LEASE.toMillis() + 500);
        TransactionRuntime fresh = RedisTransactionRuntime.create(options(uris));
        try {
            fresh.recover().block(WAIT);
        } finally {
            fresh.closeGracefully().block(WAIT);
        }
        Verifier.Result r = new Verifier(servers, NAMES, ACCOUNTS, INITIAL).verify(outcomes.claims(), "redtx:");
        System.out.printf(
                Locale.ROOT,
                "outbox under coordinator crashes: %d committed transfers, %d messages, %d violations%n",
                r.committedTransfers(),
                r.messages(),
                r.messageViolations());
        r.details().forEach(d -> System.out.println("  VIOLATION " + d));

        assertThat(r.details()).isEmpty();
        // The plain transfer and the two whose coordinator died after the commit point, rolled forward by recovery.
        assertThat(r.committedTransfers()).isGreaterThanOrEqualTo(3);
        assertThat(r.messages()).isEqualTo(r.committedTransfers());
    }

    /** What a crash at {@code p} promises: the commit point fixes the outcome; without every prepare, none. */
    private static Outcomes.Claim promised(CoordinatorCrashes.Point p) {
        return switch (p) {
            case BEFORE_PREPARE, AFTER_ONE_PREPARE, AFTER_TWO_OF_THREE_PREPARES -> Outcomes.Claim.NO_EFFECT;
            case AFTER_PREPARE -> Outcomes.Claim.EITHER;
            case AFTER_COMMIT_POINT, DURING_SECONDARIES -> Outcomes.Claim.COMMITTED;
        };
    }

    /** The suite's options on servers without AOF, recovery only when asked (so the fresh runtime's pass does it). */
    private static RuntimeOptions options(Map<String, String> uris) {
        return FaultSuite.runtimeOptions(uris)
                .connections(c -> c.requireSyncedWrites(false))
                .recovery(r -> r.interval(Duration.ZERO))
                .build();
    }
}
