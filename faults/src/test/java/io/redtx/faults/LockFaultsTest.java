package io.redtx.faults;

import static io.redtx.faults.LockHolderProcess.COUNTER;
import static io.redtx.faults.LockHolderProcess.GUARDED;
import static io.redtx.faults.LockHolderProcess.GUARD_LOCK;
import static io.redtx.faults.LockHolderProcess.PARTICIPANT;
import static io.redtx.faults.LockHolderProcess.STALE_VALUE;
import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.TransactionRuntime;
import io.redtx.api.lock.DistributedLock;
import io.redtx.api.lock.LockLease;
import io.redtx.api.lock.LockOptions;
import io.redtx.runtime.RedisTransactionRuntime;
import io.redtx.test.redis.Persistence;
import io.redtx.test.redis.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Distributed locks across processes: real {@code redis-server} processes and {@link LockHolderProcess} child JVMs,
 * raced against each other, frozen past their lease with {@code SIGSTOP}, and a server killed with {@code kill -9}.
 * Each test prints its figure; every process a test starts is stopped by its pid when the test ends, failed or not.
 */
class LockFaultsTest {

    private static final int PROCESSES = 3;
    private static final int INCREMENTS = 200;
    private static final Duration START_LIMIT = Duration.ofSeconds(20);
    private static final Duration RUN_LIMIT = Duration.ofSeconds(20);
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void threeProcessesIncrementingUnderTheLockLoseNoIncrement() throws Exception {
        Run run = counterRun(true);
        System.out.printf(
                Locale.ROOT,
                "lock: %d processes x %d increments, lost increments: %d%n",
                PROCESSES,
                INCREMENTS,
                run.lost());
        // By start time, each section must begin after the one before ended, and carry a greater token.
        List<Section> sections = new ArrayList<>(run.sections());
        sections.sort(Comparator.comparingLong(Section::start));
        int overlapping = 0;
        int tokensOutOfOrder = 0;
        for (int i = 1; i < sections.size(); i++) {
            if (sections.get(i).start() < sections.get(i - 1).end()) {
                overlapping++;
            }
            if (sections.get(i).token() <= sections.get(i - 1).token()) {
                tokensOutOfOrder++;
            }
        }
        System.out.printf(
                Locale.ROOT,
                "lock: %d critical sections across the processes in %d ms, overlapping: %d, tokens out of order: %d%n",
                sections.size(),
                run.millis(),
                overlapping,
                tokensOutOfOrder);
        assertThat(run.lost()).isZero();
        assertThat(sections).hasSize(PROCESSES * INCREMENTS);
        assertThat(overlapping).isZero();
        assertThat(tokensOutOfOrder).isZero();
    }

    /** The control run: the same program without the lock must lose increments, else the test above proves nothing. */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void threeProcessesIncrementingWithoutTheLockLoseIncrements() throws Exception {
        long lost = counterRun(false).lost();
        System.out.printf(
                Locale.ROOT,
                "no lock (control): %d processes x %d increments, lost increments: %d%n",
                PROCESSES,
                INCREMENTS,
                lost);
        assertThat(lost).isPositive();
    }

    /** One critical section of a counter process: its lease's token and when it began and ended (nanoTime). */
    private record Section(long token, long start, long end) {}

    /** What a counter run left: increments lost, and the critical sections (none without the lock). */
    private record Run(long lost, List<Section> sections, long millis) {}

    /** Runs {@link #PROCESSES} counter processes together against a fresh server. */
    private static Run counterRun(boolean locked) throws Exception {
        List<LockHolderJvm> children = new ArrayList<>();
        try (RedisServer server = RedisServer.start(Persistence.IN_MEMORY)) {
            for (int i = 0; i < PROCESSES; i++) {
                List<String> args = new ArrayList<>(
                        List.of("counter", "--uri", server.uri(), "--iterations", Integer.toString(INCREMENTS)));
                if (!locked) {
                    args.add("--no-lock");
                }
                children.add(LockHolderJvm.start(args.toArray(String[]::new)));
            }
            for (LockHolderJvm child : children) {
                child.await("READY", START_LIMIT);
            }
            // Every process connected before any starts: their increments overlap from the first one.
            long goAt = System.nanoTime();
            for (LockHolderJvm child : children) {
                child.send("GO");
            }
            long done = 0;
            List<Section> sections = new ArrayList<>();
            for (LockHolderJvm child : children) {
                if (locked) {
                    for (String s : child.await("SECTIONS", RUN_LIMIT).split(",")) {
                        String[] f = s.split(":");
                        sections.add(new Section(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2])));
                    }
                }
                done += Long.parseLong(child.await("DONE", RUN_LIMIT));
                assertThat(child.awaitExit(WAIT)).as("exit status").isZero();
            }
            assertThat(done).as("increments the processes made").isEqualTo((long) PROCESSES * INCREMENTS);
            Object counter = server.command("GET", COUNTER);
            return new Run(
                    done - Long.parseLong(String.valueOf(counter)), sections, (System.nanoTime() - goAt) / 1_000_000);
        } finally {
            ChildJvms.closeAll(children);
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aHolderFrozenPastItsLeaseCanNeitherCommitNorWritePastTheFence() throws Exception {
        Duration lease = Duration.ofSeconds(1);
        Duration frozen = Duration.ofSeconds(3);
        try (RedisServer server = RedisServer.start(Persistence.IN_MEMORY);
                LockHolderJvm stale = LockHolderJvm.start(
                        "stale", "--uri", server.uri(), "--lease-ms", Long.toString(lease.toMillis()))) {
            TransactionRuntime rt = RedisTransactionRuntime.create(LockHolderProcess.runtimeOptions(server.uri()));
            try {
                long staleToken = Long.parseLong(stale.await("TOKEN", START_LIMIT));
                stale.freeze();
                long frozenAt = System.nanoTime();
                // The frozen holder cannot renew: its lease runs out on the server and this acquisition gets it.
                DistributedLock lock = rt.lock(
                        GUARD_LOCK,
                        LockOptions.builder()
                                .participant(PARTICIPANT)
                                .waitTime(WAIT)
                                .build());
                LockLease current = lock.acquire().block(WAIT.plusSeconds(5));
                long waitedMs = (System.nanoTime() - frozenAt) / 1_000_000;
                rt.inTransaction(tx -> tx.requireLock(current)
                                .then(tx.on(PARTICIPANT).fence(GUARDED, current.token()))
                                .then(tx.on(PARTICIPANT).set(GUARDED, "new-holder")))
                        .block(WAIT);

                long left = frozen.toNanos() - (System.nanoTime() - frozenAt);
                if (left > 0) {
                    Thread.sleep(TimeUnit.NANOSECONDS.toMillis(left));
                }
                // Queued while frozen, read the moment it continues.
                stale.send("GO");
                stale.thaw();
                long frozenMs = (System.nanoTime() - frozenAt) / 1_000_000;

                String resumedHeld = stale.await("RESUMED", WAIT);
                String require = stale.await("REQUIRE", WAIT);
                String fence = stale.await("FENCE", WAIT);
                stale.await("DONE", WAIT);
                Object guarded = server.command("GET", GUARDED);

                List<String> violations = new ArrayList<>();
                if (current.token() <= staleToken) {
                    violations.add("new token " + current.token() + " not greater than " + staleToken);
                }
                if (!require.startsWith("LockLostException ")) {
                    violations.add("requireLock of the stale lease: " + require);
                }
                if (!fence.startsWith("StaleTokenException ")) {
                    violations.add("fence with the stale token: " + fence);
                }
                if (!"new-holder".equals(guarded)) {
                    violations.add("guarded holds " + guarded);
                }
                System.out.printf(
                        Locale.ROOT,
                        "lock: holder (token %d, lease %d ms) frozen %d ms; new holder got token %d after %d ms;"
                                + " on continuing the stale holder's lease said held=%s, requireLock -> %s,"
                                + " fence -> %s; guarded = %s%n",
                        staleToken,
                        lease.toMillis(),
                        frozenMs,
                        current.token(),
                        waitedMs,
                        resumedHeld,
                        firstWord(require),
                        firstWord(fence),
                        guarded);
                violations.forEach(v -> System.out.println("  VIOLATION " + v));
                System.out.printf(Locale.ROOT, "lock: frozen holder violations: %d%n", violations.size());
                assertThat(violations).isEmpty();
                assertThat(guarded).isNotEqualTo(STALE_VALUE);
                current.release().block(WAIT);
            } finally {
                rt.closeGracefully().block(WAIT);
            }
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void tokensKeepIncreasingAcrossAKill9OfTheServer() throws Exception {
        int before = 20;
        try (RedisServer server = RedisServer.start(Persistence.DURABLE)) {
            TransactionRuntime rt = RedisTransactionRuntime.create(LockHolderProcess.runtimeOptions(server.uri()));
            try {
                DistributedLock lock = rt.lock(
                        "epoch",
                        LockOptions.builder()
                                .participant(PARTICIPANT)
                                .waitTime(Duration.ofSeconds(2))
                                .build());
                List<Long> tokens = new ArrayList<>();
                for (int i = 0; i < before; i++) {
                    LockLease lease = lock.acquire().block(WAIT);
                    tokens.add(lease.token());
                    lease.release().block(WAIT);
                }
                assertThat(tokens).isSorted().doesNotHaveDuplicates();
                long pidBefore = server.pid();
                server.kill();
                server.restart();

                // The runtime reconnects by itself; until then an acquisition fails.
                long after = -1;
                int attempts = 0;
                String firstFailure = "none";
                long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
                while (after < 0) {
                    attempts++;
                    try {
                        LockLease lease = lock.acquire().block(WAIT);
                        after = lease.token();
                        lease.release().block(WAIT);
                    } catch (RuntimeException e) {
                        if (attempts == 1) {
                            firstFailure = e.getClass().getSimpleName();
                        }
                        assertThat(System.nanoTime())
                                .as("no acquisition within 15 s of the restart: " + e)
                                .isLessThan(deadline);
                        Thread.sleep(200);
                    }
                }
                long maxBefore = tokens.get(tokens.size() - 1);
                System.out.printf(
                        Locale.ROOT,
                        "lock: tokens before kill -9 (pid %d): %s; first token after the restart (pid %d, attempt"
                                + " %d, first attempt's failure: %s): %d%n",
                        pidBefore,
                        tokens,
                        server.pid(),
                        attempts,
                        firstFailure,
                        after);
                assertThat(after).isGreaterThan(maxBefore);
            } finally {
                rt.closeGracefully().block(WAIT);
            }
        }
    }

    private static String firstWord(String outcome) {
        int space = outcome.indexOf(' ');
        return space < 0 ? outcome : outcome.substring(0, space);
    }
}
