package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.redtx.api.RetryPolicy;
import io.redtx.api.Transaction;
import io.redtx.runtime.internal.protocol.ProtocolHooks;
import io.redtx.runtime.internal.redis.Keys;
import io.redtx.test.redis.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.util.RaceTestUtils;

/**
 * Cancellation racing the commit of a multi-shard transaction, at random moments: before the commit starts, during
 * prepare, around the commit point, during the roll-forward. Whoever wins, each transaction ends fully committed on
 * every shard or absent from every shard, and no intent stays behind.
 */
class CancelCommitRaceTest extends ThreeParticipantsTestBase {

    private static final int ITERATIONS = 1_000;
    /**
     * Upper bound of the random delay before the cancel. Subscribing plus a multi-shard commit on loopback (prepare,
     * commit point, roll-forward) takes one to two milliseconds on a small machine, so cancels spread over 0..3.5 ms
     * land before, inside and after it, with both outcomes frequent.
     */
    private static final long MAX_CANCEL_DELAY_NANOS = 3_500_000L;

    private static final Duration TIME_LIMIT = Duration.ofSeconds(60);

    /** Records the signals a racing subscriber saw before its cancel took effect. */
    private static final class Recorder extends BaseSubscriber<Object> {
        final AtomicReference<Object> value = new AtomicReference<>();
        final AtomicReference<Throwable> error = new AtomicReference<>();

        @Override
        protected void hookOnSubscribe(Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        protected void hookOnNext(Object v) {
            value.set(v);
        }

        @Override
        protected void hookOnError(Throwable t) {
            error.set(t);
        }
    }

    private static String name(RedisServer s) {
        return s == a ? "a" : s == b ? "b" : "c";
    }

    private static void spin(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() - end < 0) {
            Thread.onSpinWait();
        }
    }

    @Test
    void cancelRacingTheCommitLeavesEveryTransactionFullyCommittedOrFullyAbsent() {
        // The hooks only record how far each attempt got (per-shard steps aside), to show where the cancels landed.
        Map<String, ProtocolHooks.Step> reached = new ConcurrentHashMap<>();
        var rt = runtime(
                o -> o.retryPolicy(RetryPolicy.none()),
                at -> at.step() == ProtocolHooks.Step.PREPARE_SHARD || at.step() == ProtocolHooks.Step.COMMIT_SECONDARY
                        ? Mono.empty()
                        : Mono.fromRunnable(() ->
                                reached.merge(at.transactionId(), at.step(), (x, y) -> x.compareTo(y) >= 0 ? x : y)));
        // Connect every participant first: the race is about the commit, not about the first handshake.
        rt.inTransaction(t -> Mono.when(
                        t.on("a").get("warm"), t.on("b").get("warm"), t.on("c").get("warm")))
                .block(Duration.ofSeconds(10));

        // [shards - 2][explicit ? 0 : 1] -> {committed, absent}
        int[][][] counts = new int[2][2][2];
        // Aborted attempts by the last step their commit reached: none (cancelled before the commit began),
        // BEFORE_PREPARE (a prepare was refused: the rollback's tombstone got there first), AFTER_PREPARE (every shard
        // prepared, then the cancel won the commit point and the rollback removed the intents).
        int[] abortedAt = new int[3];
        long start = System.nanoTime();
        for (int i = 0; i < ITERATIONS; i++) {
            List<RedisServer> shards = i % 2 == 0 ? List.of(a, b) : List.of(a, b, c);
            boolean explicit = (i / 2) % 2 == 0; // begin()+commit() or inTransaction(), alternating by pairs
            String key = "k" + i;
            String value = "v" + i;

            AtomicReference<String> id = new AtomicReference<>();
            Mono<?> commit;
            if (explicit) {
                Transaction t = rt.begin().block(Duration.ofSeconds(10));
                id.set(t.id());
                Flux.fromIterable(shards)
                        .concatMap(s -> t.on(name(s)).set(key, value))
                        .blockLast(Duration.ofSeconds(10));
                commit = t.commit();
            } else {
                commit = rt.inTransaction(t -> {
                    id.set(t.id());
                    return Flux.fromIterable(shards)
                            .concatMap(s -> t.on(name(s)).set(key, value))
                            .then(Mono.just("done"));
                });
            }
            Recorder subscriber = new Recorder();
            long delay = ThreadLocalRandom.current().nextLong(MAX_CANCEL_DELAY_NANOS + 1);
            RaceTestUtils.race(() -> commit.subscribe(subscriber), () -> {
                spin(delay);
                subscriber.dispose();
            });
            awaitBackground();

            List<String> present = new ArrayList<>();
            for (RedisServer s : shards) {
                assertThat(s.command("EXISTS", new Keys("redtx:").lockKey(key)))
                        .as("lock of iteration %d on %s (%s)", i, name(s), explicit ? "begin/commit" : "inTransaction")
                        .isEqualTo(0L);
                Object seen = get(s, key);
                if (seen != null) {
                    assertThat(seen).as("iteration %d on %s", i, name(s)).isEqualTo(value);
                    present.add(name(s));
                }
            }
            boolean committed = present.size() == shards.size();
            if (!committed && !present.isEmpty()) {
                fail(
                        "iteration %d (%d shards, %s, cancel after %d ns) is partial: '%s' only on %s",
                        i, shards.size(), explicit ? "begin/commit" : "inTransaction", delay, key, present);
            }
            if (subscriber.error.get() != null) {
                throw new AssertionError("iteration " + i + " signalled an error", subscriber.error.get());
            }
            if (subscriber.value.get() != null) {
                assertThat(committed).as("iteration %d signalled success", i).isTrue();
            }
            counts[shards.size() - 2][explicit ? 0 : 1][committed ? 0 : 1]++;
            ProtocolHooks.Step last = id.get() == null ? null : reached.get(id.get());
            if (committed) {
                assertThat(last).as("iteration %d committed", i).isEqualTo(ProtocolHooks.Step.AFTER_COMMIT_POINT);
            } else {
                assertThat(last).as("iteration %d aborted", i).isNotEqualTo(ProtocolHooks.Step.AFTER_COMMIT_POINT);
                abortedAt[last == null ? 0 : last == ProtocolHooks.Step.BEFORE_PREPARE ? 1 : 2]++;
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start))
                    .as("time for %d iterations", i + 1)
                    .isLessThan(TIME_LIMIT);
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertNoIntents();
        int committed = 0;
        int absent = 0;
        StringBuilder report = new StringBuilder();
        for (int shards = 0; shards < 2; shards++) {
            for (int style = 0; style < 2; style++) {
                int[] c = counts[shards][style];
                committed += c[0];
                absent += c[1];
                report.append(String.format(
                        "%n  %d shards, %-13s committed %4d, absent %4d",
                        shards + 2, style == 0 ? "begin/commit" : "inTransaction", c[0], c[1]));
            }
        }
        System.out.printf(
                "CancelCommitRaceTest: %d iterations in %d ms: committed %d, absent %d%s%n  absent ones: cancelled"
                        + " before the commit began %d, a prepare refused by the rollback %d, every shard prepared"
                        + " then the commit point lost to the cancel %d%n",
                ITERATIONS, took.toMillis(), committed, absent, report, abortedAt[0], abortedAt[1], abortedAt[2]);
        assertThat(committed).as("iterations where the commit won").isPositive();
        assertThat(absent).as("iterations where the cancel won").isPositive();
    }
}
