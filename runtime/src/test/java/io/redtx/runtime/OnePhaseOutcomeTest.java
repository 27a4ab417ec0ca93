package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.KeyLayout;
import io.redtx.api.RetryPolicy;
import io.redtx.api.TransactionOutcomeUnknownException;
import io.redtx.api.TransactionPhase;
import io.redtx.api.TransactionStatus;
import io.redtx.api.TransactionTimeoutException;
import io.redtx.runtime.internal.redis.Keys;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/** A one-phase commit's outcome can be found with status(id) for the record retention, even when its reply was lost. */
class OnePhaseOutcomeTest extends ThreeParticipantsTestBase {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private static String markers(String id) {
        return KeyLayout.DEFAULT.onePhasePrefix() + Keys.onePhaseBucket(id);
    }

    private RedisTransactionRuntime pausable() {
        // One connection, warmed up: the commit is then sent on it even while the server is stopped.
        var rt = runtime(o -> o.timeouts(t -> t.commit(Duration.ofMillis(300)))
                .retryPolicy(RetryPolicy.none())
                .connections(c -> c.perParticipant(1)));
        rt.inTransaction(tx -> tx.on("a").get("warm-up")).block(WAIT);
        return rt;
    }

    @Test
    void aOnePhaseCommitWhoseReplyWasLostIsFoundCommittedOnceTheServerAnswers() {
        var rt = pausable();
        AtomicReference<String> id = new AtomicReference<>();
        try {
            // The server stops after the work, before the commit arrives: the commit waits, unanswered, in its input.
            StepVerifier.create(rt.inTransaction(tx -> tx.on("a").set("x", "5").then(outside(a::pause))))
                    .expectErrorSatisfies(e -> {
                        assertThat(e).isInstanceOf(TransactionOutcomeUnknownException.class);
                        id.set(((TransactionOutcomeUnknownException) e).transactionId());
                    })
                    .verify(WAIT);
        } finally {
            a.resume();
        }

        StepVerifier.create(rt.status(id.get()))
                .expectNext(TransactionStatus.COMMITTED)
                .verifyComplete();
        assertThat(get(a, "x")).isEqualTo("5");
        assertNoIntents();
    }

    @Test
    void theMarkerOfACommitLastsTheRecordRetention() {
        runtime(o -> o.recovery(r -> r.recordRetention(Duration.ofSeconds(1))));

        String id = runtime.inTransactionWithResult(tx -> tx.on("b").incrBy("n", 1))
                .block(WAIT)
                .commit()
                .transactionId();

        assertThat(runtime.status(id).block(WAIT)).isEqualTo(TransactionStatus.COMMITTED);
        String markers = markers(id);
        // The hash of the bucket outlives its newest marker by at most a second.
        assertThat((Long) b.command("PTTL", markers)).isBetween(1000L, 2000L);
        assertThat(b.command("HGET", markers, id)).isEqualTo("C");
        assertThat(b.command("EXISTS", KeyLayout.DEFAULT.transactionPrefix() + id))
                .isEqualTo(0L);
        awaitTrue(() -> (Long) b.command("EXISTS", markers) == 0);
        assertThat(runtime.status(id).block(WAIT)).isEqualTo(TransactionStatus.UNKNOWN);
    }

    @Test
    void commitsOfOneBucketShareItsHashAndEachMarkerLastsTheRetention() {
        runtime(o -> o.recovery(r -> r.recordRetention(Duration.ofSeconds(3))));
        var ids = new java.util.ArrayList<String>();
        for (int i = 0; i < 20; i++) {
            ids.add(runtime.inTransactionWithResult(tx -> tx.on("b").incrBy("n", 1))
                    .block(WAIT)
                    .commit()
                    .transactionId());
        }

        for (String id : ids) {
            assertThat(b.command("HGET", markers(id), id)).isEqualTo("C");
            assertThat((Long) b.command("PTTL", markers(id))).isGreaterThan(2000L);
        }
        // Ids made within half a second share a hash: far fewer hashes than commits.
        assertThat(ids.stream().map(OnePhaseOutcomeTest::markers).distinct().count())
                .isLessThan(ids.size());
    }

    @Test
    void withoutMarkersAOnePhaseCommitLeavesNothingToFind() {
        runtime(o -> o.recovery(r -> r.onePhaseMarkers(false)));

        String id = runtime.inTransactionWithResult(tx -> tx.on("b").incrBy("n", 1))
                .block(WAIT)
                .commit()
                .transactionId();

        assertThat(get(b, "n")).isEqualTo("1");
        assertThat(b.command("EXISTS", markers(id), KeyLayout.DEFAULT.transactionPrefix() + id))
                .isEqualTo(0L);
        assertThat(runtime.status(id).block(WAIT)).isEqualTo(TransactionStatus.UNKNOWN);
    }

    @Test
    void theBucketOfAnIdIsItsCreationTimeInHalfSeconds() {
        assertThat(Keys.onePhaseBucket("18f3a2b4c00-9a")).isEqualTo(Long.toHexString(0x18f3a2b4c00L >>> 9));
        assertThat(Keys.onePhaseBucket("18f3a2b4dff-1")).isEqualTo(Keys.onePhaseBucket("18f3a2b4c00-2"));
        assertThat(Keys.onePhaseBucket("18f3a2b4e00-1")).isNotEqualTo(Keys.onePhaseBucket("18f3a2b4c00-2"));
        // Ids redtx did not make have no bucket; status() then looks for a record only.
        assertThat(Keys.onePhaseBucket("never-ran")).isNull();
        assertThat(Keys.onePhaseBucket("-1")).isNull();
        assertThat(Keys.onePhaseBucket("12345678901234567-1")).isNull();
        assertThat(new Keys("redtx:").onePhaseKey(-1, "18f3a2b4c00-9a")).isEqualTo("redtx:1pc:c79d15a6");
    }

    /**
     * What a marker costs the participant's memory, from Redis's own count: 5,000 one-phase commits on 32 keys with
     * markers on, against the same with markers off. Prints the figure; a key per marker would cost about 190 bytes.
     */
    @Test
    void aMarkerCostsAboutAHundredBytes() {
        long without = memoryOfCommits(false);
        long with = memoryOfCommits(true);

        double perMarker = (with - without) / (double) COMMITS;
        System.out.printf("one-phase marker: %.0f bytes each (%d commits)%n", perMarker, COMMITS);
        assertThat(perMarker).isBetween(50.0, 150.0);
    }

    private static final int COMMITS = 5_000;

    private long memoryOfCommits(boolean markers) {
        b.flushAll();
        // Two commits in flight may meet on one key: on a loaded machine the default retries can run out.
        var rt = runtime(o -> o.recovery(r -> r.onePhaseMarkers(markers))
                .retryPolicy(RetryPolicy.builder().maxAttempts(100).build()));
        // The keys exist first: only what the commits leave behind is counted.
        for (int k = 0; k < 32; k++) {
            b.command("SET", "m" + k, "0");
        }
        long before = usedMemory();
        Flux.range(0, COMMITS)
                .flatMap(i -> rt.inTransaction(tx -> tx.on("b").incrBy("m" + (i % 32), 1)), 32)
                .blockLast(Duration.ofSeconds(60));
        long after = usedMemory();
        rt.close();
        return after - before;
    }

    private long usedMemory() {
        String info = (String) b.command("INFO", "memory");
        return info.lines()
                .filter(l -> l.startsWith("used_memory:"))
                .mapToLong(
                        l -> Long.parseLong(l.substring("used_memory:".length()).trim()))
                .findFirst()
                .orElseThrow();
    }

    /** Nothing to find, nothing to keep: a commit that writes nothing leaves no marker. */
    @Test
    void aOnePhaseCommitThatOnlyReadsLeavesNoMarker() {
        runtime();
        a.command("SET", "x", "1");

        String id = runtime.inTransactionWithResult(tx -> tx.on("a").get("x"))
                .block(WAIT)
                .commit()
                .transactionId();

        assertThat(a.command("EXISTS", markers(id), KeyLayout.DEFAULT.transactionPrefix() + id))
                .isEqualTo(0L);
    }

    /** A script that writes nothing changed nothing whether it ran or not: no reply is a time limit, not a doubt. */
    @Test
    void aOnePhaseCommitThatOnlyReadsFailsWithATimeoutWhenItsReplyIsLost() {
        var rt = pausable();
        a.command("SET", "x", "1");
        try {
            StepVerifier.create(rt.inTransaction(tx -> tx.on("a").get("x").flatMap(v -> outside(a::pause))))
                    .expectErrorSatisfies(e -> {
                        assertThat(e).isInstanceOf(TransactionTimeoutException.class);
                        assertThat(((TransactionTimeoutException) e).phase())
                                .isEqualTo(TransactionPhase.ONE_PHASE_COMMIT);
                    })
                    .verify(WAIT);
        } finally {
            a.resume();
        }
        assertThat(get(a, "x")).isEqualTo("1");
    }
}
