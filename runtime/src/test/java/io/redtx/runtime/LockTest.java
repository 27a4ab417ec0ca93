package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisClient;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.redtx.api.KeyLayout;
import io.redtx.api.RedtxArgumentException;
import io.redtx.api.lock.DistributedLock;
import io.redtx.api.lock.LockLease;
import io.redtx.api.lock.LockLostException;
import io.redtx.api.lock.LockOptions;
import io.redtx.api.lock.LockUnavailableException;
import io.redtx.api.lock.ReadWriteLock;
import io.redtx.api.lock.StaleTokenException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** Distributed locks on real servers: exclusion, tokens, waiting, leases, and what transactions check of them. */
class LockTest extends ThreeParticipantsTestBase {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private static LockOptions on(String participant) {
        return LockOptions.builder().participant(participant).waitTime(WAIT).build();
    }

    private static LockOptions tryOnce(String participant) {
        return on(participant).mutate().waitTime(Duration.ZERO).build();
    }

    private static LockLease acquired(DistributedLock lock) {
        return lock.acquire().block(WAIT.plusSeconds(5));
    }

    /** The holders key of exclusive lock {@code name}, where a test plays the part of another process. */
    private static String holdersOf(String name) {
        return KeyLayout.DEFAULT.distributedLockPrefix() + "l:{" + name + "}";
    }

    @Test
    void aLockIsHeldByOneAtATimeAndEachGrantHasAGreaterToken() {
        RedisTransactionRuntime rt = runtime();
        LockLease first = acquired(rt.lock("orders", on("a")));
        assertThat(first.isHeld()).isTrue();
        StepVerifier.create(rt.lock("orders", tryOnce("a")).acquire())
                .expectError(LockUnavailableException.class)
                .verify(WAIT);
        first.release().block(WAIT);
        assertThat(first.isHeld()).isFalse();
        LockLease second = acquired(rt.lock("orders", on("a")));
        assertThat(second.token()).isGreaterThan(first.token());
        second.release().block(WAIT);
    }

    @Test
    void aWaiterIsWokenByTheReleaseWithoutWaitingForItsTimer() {
        RedisTransactionRuntime rt = runtime();
        DistributedLock lock = rt.lock("wake", on("a"));
        LockLease holder = acquired(lock);
        AtomicInteger granted = new AtomicInteger();
        long[] grantedAt = new long[1];
        Disposable waiter = lock.acquire().subscribe(lease -> {
            grantedAt[0] = System.nanoTime();
            granted.incrementAndGet();
        });
        sleep(300); // the waiter asked, was refused, and now waits for a message or its 1 s fallback
        assertThat(granted).hasValue(0);
        long releasedAt = System.nanoTime();
        holder.release().block(WAIT);
        awaitTrue(() -> granted.get() == 1);
        long ms = (grantedAt[0] - releasedAt) / 1_000_000;
        System.out.printf("lock handed over %d ms after the release (the fallback timer would take up to 1000)%n", ms);
        assertThat(ms).isLessThan(500);
        waiter.dispose();
    }

    @Test
    void anOldWaiterIsServedBeforeASteadyStreamOfNewAcquirers() {
        RedisTransactionRuntime rt = runtime();
        DistributedLock lock = rt.lock("fair", on("a"));
        LockLease holder = acquired(lock);
        List<String> grants = new CopyOnWriteArrayList<>();
        Disposable old = lock.acquire()
                .doOnNext(lease -> grants.add("old"))
                .flatMap(LockLease::release)
                .subscribe();
        sleep(200); // the old waiter is in line
        AtomicBoolean stop = new AtomicBoolean();
        Disposable stream = Flux.range(0, 4)
                .flatMap(worker -> Mono.defer(() -> lock.acquire())
                        .doOnNext(lease -> grants.add("new"))
                        .flatMap(LockLease::release)
                        .onErrorResume(e -> Mono.empty())
                        .repeat(() -> !stop.get()))
                .subscribe();
        sleep(300); // the stream's acquirers queue up behind the old waiter
        holder.release().block(WAIT);
        awaitTrue(() -> grants.contains("old") && grants.size() >= 20);
        stop.set(true);
        int before = grants.indexOf("old");
        System.out.printf(
                "old waiter granted after %d grants to newer acquirers (%d grants in all)%n", before, grants.size());
        assertThat(before).isZero();
        old.dispose();
        stream.dispose();
    }

    @Test
    void aSubscriberThatCancelsOnceItHasTheGrantKeepsTheLease() {
        RedisTransactionRuntime rt = runtime();
        // next() cancels its source as soon as the grant arrives: the grant is the subscriber's by then.
        LockLease lease = Flux.from(rt.lock("kept", on("a")).acquire()).next().block(WAIT);
        sleep(200);
        assertThat(lease.isHeld()).isTrue();
        assertThat(a.command("HLEN", holdersOf("kept"))).isEqualTo(1L);
        lease.release().block(WAIT);
    }

    @Test
    void aReleaseWakesOnlyTheFirstWaiterInLineByItsId() {
        RedisTransactionRuntime rt = runtime();
        DistributedLock lock = rt.lock("next", on("a"));
        LockLease holder = acquired(lock);
        Disposable first = lock.acquire().subscribe();
        awaitTrue(() -> a.command("ZCARD", holdersOf("next") + ":line").equals(1L));
        Disposable second = lock.acquire().subscribe();
        awaitTrue(() -> a.command("ZCARD", holdersOf("next") + ":line").equals(2L));
        String head = (String) ((List<?>) a.command("ZRANGE", holdersOf("next") + ":line", "0", "0")).get(0);
        List<String> heard = new CopyOnWriteArrayList<>();
        RedisClient client = RedisClient.create(a.uri());
        try (StatefulRedisPubSubConnection<String, String> listening = client.connectPubSub()) {
            listening.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, String message) {
                    heard.add(message);
                }
            });
            listening.sync().subscribe(holdersOf("next"));
            holder.release().block(WAIT);
            awaitTrue(() -> !heard.isEmpty());
            assertThat(heard).as("one message, naming the head of the line").containsExactly(head);
        } finally {
            client.shutdown();
            first.dispose();
            second.dispose();
        }
    }

    @Test
    void withLockReleasesOnCompletionErrorAndCancellation() {
        RedisTransactionRuntime rt = runtime();
        DistributedLock lock = rt.lock("scoped", on("b"));
        StepVerifier.create(lock.withLock(lease -> Mono.just(lease.token())))
                .expectNextCount(1)
                .verifyComplete();
        StepVerifier.create(lock.withLock(lease -> Mono.error(new IllegalStateException("work failed"))))
                .expectErrorMessage("work failed")
                .verify(WAIT);
        StepVerifier.create(lock.withLock(lease -> Mono.never()))
                .expectSubscription()
                .thenAwait(Duration.ofMillis(200))
                .thenCancel()
                .verify(WAIT);
        // Free again after each: a try-once acquisition is granted.
        awaitTrue(() -> b.command("HLEN", holdersOf("scoped")).equals(0L));
        acquired(rt.lock("scoped", tryOnce("b"))).release().block(WAIT);
    }

    @Test
    void aLeaseIsRenewedWhileHeldAndIsLostOnceAnotherTookIt() {
        RedisTransactionRuntime rt = runtime();
        LockOptions shortLease = on("a").mutate().lease(Duration.ofMillis(300)).build();
        LockLease lease = acquired(rt.lock("renewed", shortLease));
        sleep(1200); // four leases long: renewals keep it
        assertThat(lease.isHeld()).isTrue();
        StepVerifier.create(rt.lock("renewed", tryOnce("a")).acquire())
                .expectError(LockUnavailableException.class)
                .verify(WAIT);

        a.command("DEL", holdersOf("renewed")); // what a lease running out on the server looks like
        StepVerifier.create(lease.lost()).expectComplete().verify(WAIT);
        assertThat(lease.isHeld()).isFalse();
        StepVerifier.create(lease.release())
                .expectError(LockLostException.class)
                .verify(WAIT);
    }

    @Test
    void aTransactionRequiringAHeldLeaseCommitsInOneAndInTwoPhases() {
        RedisTransactionRuntime rt = runtime();
        LockLease lease = acquired(rt.lock("guard", on("a")));
        rt.inTransaction(tx -> tx.requireLock(lease).then(tx.on("a").set("one", "1")))
                .block(WAIT);
        rt.inTransaction(tx -> tx.requireLock(lease).then(tx.on("b").set("two", "2")))
                .block(WAIT);
        assertThat(get(a, "one")).isEqualTo("1");
        assertThat(get(b, "two")).isEqualTo("2");
        lease.release().block(WAIT);
    }

    @Test
    void aHolderWhoseLockWentToAnotherCannotCommitAndWritesNothing() {
        RedisTransactionRuntime rt = runtime();
        LockLease stale = acquired(rt.lock("taken", on("a")));
        // Its lease ran out while it was paused, and another holder took the lock.
        a.command("DEL", holdersOf("taken"));
        LockLease other = acquired(rt.lock("taken", on("a")));
        assertThat(other.token()).isGreaterThan(stale.token());

        for (String where : List.of("a", "b")) { // one phase (the lock's participant), then two
            StepVerifier.create(rt.inTransaction(
                            tx -> tx.requireLock(stale).then(tx.on(where).set("k", "late"))))
                    .expectErrorSatisfies(e -> {
                        assertThat(e).isInstanceOf(LockLostException.class);
                        assertThat(((LockLostException) e).token()).isEqualTo(stale.token());
                    })
                    .verify(WAIT);
        }
        assertThat(get(a, "k")).isNull();
        assertThat(get(b, "k")).isNull();
        rt.inTransaction(tx -> tx.requireLock(other).then(tx.on("b").set("k", "current")))
                .block(WAIT);
        assertThat(get(b, "k")).isEqualTo("current");
    }

    @Test
    void aFenceRefusesATokenOlderThanOneAlreadySeen() {
        RedisTransactionRuntime rt = runtime();
        rt.inTransaction(tx -> tx.on("c").fence("ledger", 5).then(tx.on("c").set("ledger", "v5")))
                .block(WAIT);
        StepVerifier.create(rt.inTransaction(
                        tx -> tx.on("c").fence("ledger", 4).then(tx.on("c").set("ledger", "v4"))))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(StaleTokenException.class);
                    assertThat(((StaleTokenException) e).seen()).isEqualTo(5);
                })
                .verify(WAIT);
        assertThat(get(c, "ledger")).isEqualTo("v5");
        rt.inTransaction(tx -> tx.routed().fence("ledger", 5).then(tx.on("c").set("ledger", "again")))
                .block(WAIT);
        rt.inTransaction(tx -> tx.on("c").fence("ledger", 7).then(tx.on("c").set("ledger", "v7")))
                .block(WAIT);
        assertThat(get(c, "ledger")).isEqualTo("v7");
    }

    @Test
    void aSemaphoreGrantsItsPermitsEachWithItsOwnToken() {
        RedisTransactionRuntime rt = runtime();
        DistributedLock permits = rt.semaphore("pool", 2, on("b"));
        LockLease one = acquired(permits);
        LockLease two = acquired(permits);
        assertThat(two.token()).isGreaterThan(one.token());
        StepVerifier.create(rt.semaphore("pool", 2, tryOnce("b")).acquire())
                .expectError(LockUnavailableException.class)
                .verify(WAIT);
        one.release().block(WAIT);
        LockLease three = acquired(permits);
        assertThat(three.token()).isGreaterThan(two.token());
        two.release().block(WAIT);
        three.release().block(WAIT);
    }

    @Test
    void readersShareAndAWaitingWriterGoesBeforeLaterReaders() {
        RedisTransactionRuntime rt = runtime();
        ReadWriteLock rw = rt.readWriteLock("doc", on("c"));
        LockLease r1 = acquired(rw.readLock());
        LockLease r2 = acquired(rw.readLock());
        List<String> grants = new CopyOnWriteArrayList<>();
        Disposable writer = rw.writeLock()
                .acquire()
                .doOnNext(l -> grants.add("writer"))
                .flatMap(LockLease::release)
                .subscribe();
        sleep(200);
        Disposable reader = rw.readLock()
                .acquire()
                .doOnNext(l -> grants.add("reader"))
                .flatMap(LockLease::release)
                .subscribe();
        sleep(200);
        assertThat(grants)
                .as("the writer waits for both readers; the late reader waits for the writer")
                .isEmpty();
        r1.release().block(WAIT);
        r2.release().block(WAIT);
        awaitTrue(() -> grants.size() == 2);
        assertThat(grants).containsExactly("writer", "reader");
        writer.dispose();
        reader.dispose();
    }

    @Test
    void badNamesOptionsAndLeasesAreRefusedAtOnce() {
        RedisTransactionRuntime rt = runtime();
        assertThatThrownBy(() -> rt.lock("")).isInstanceOf(RedtxArgumentException.class);
        assertThatThrownBy(() -> rt.lock(null)).isInstanceOf(RedtxArgumentException.class);
        assertThatThrownBy(() -> rt.lock("redtx:mine"))
                .isInstanceOf(RedtxArgumentException.class)
                .hasMessageContaining("internal namespace");
        assertThatThrownBy(() -> rt.lock("x".repeat(257))).isInstanceOf(RedtxArgumentException.class);
        assertThatThrownBy(() -> rt.lock(
                        "x", LockOptions.builder().participant("nowhere").build()))
                .isInstanceOf(RedtxArgumentException.class)
                .hasMessageContaining("unknown participant 'nowhere'");
        assertThatThrownBy(() -> rt.semaphore("s", 0, LockOptions.defaults()))
                .isInstanceOf(RedtxArgumentException.class)
                .hasMessageContaining("permits");
        assertThatThrownBy(() -> LockOptions.builder().lease(Duration.ofMillis(99)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("lease must be at least 100 ms, was 99 ms");
        assertThatThrownBy(() -> LockOptions.builder().waitTime(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("waitTime must be zero or positive, was -1 ms");

        LockLease lease = acquired(rt.lock("twice", on("a")));
        lease.release().block(WAIT);
        lease.release().block(WAIT); // harmless
        LockLease foreign = new LockLease() {
            @Override
            public String name() {
                return "forged";
            }

            @Override
            public String participant() {
                return "a";
            }

            @Override
            public long token() {
                return Long.MAX_VALUE;
            }

            @Override
            public boolean isHeld() {
                return true;
            }

            @Override
            public Mono<Void> lost() {
                return Mono.never();
            }

            @Override
            public Mono<Void> release() {
                return Mono.empty();
            }
        };
        StepVerifier.create(rt.inTransaction(
                        tx -> tx.requireLock(foreign).then(tx.on("a").set("f", "1"))))
                .expectError(RedtxArgumentException.class)
                .verify(WAIT);
        assertThat(get(a, "f")).isNull();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
