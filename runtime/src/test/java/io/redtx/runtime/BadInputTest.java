package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.redtx.api.CommitResult;
import io.redtx.api.KeyLayout;
import io.redtx.api.ParticipantErrorException;
import io.redtx.api.RedtxArgumentException;
import io.redtx.api.RetryPolicy;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.Transaction;
import io.redtx.api.TransactionCommands;
import io.redtx.api.TransactionStateException;
import io.redtx.test.redis.RedisServer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * Every kind of bad input is refused with a clear exception naming the argument and its value, and nothing is written
 * anywhere: bad input is caught in the client before anything is sent, or (WRONGTYPE at commit) by the validating
 * script before its first write.
 */
class BadInputTest extends ThreeParticipantsTestBase {

    private static final Duration WAIT = Duration.ofSeconds(10);

    // ---- helpers ----

    /** Runs {@code work} in a transaction that must fail with {@code type}, then checks the error. */
    private <E extends Throwable> void expectFailure(
            Function<Transaction, Publisher<?>> work, Class<E> type, Consumer<E> check) {
        StepVerifier.create(runtime.inTransaction(t -> Mono.<Object>from(work.apply(t))))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOfSatisfying(type, check))
                .verify(WAIT);
    }

    private void expectArgumentError(Function<Transaction, Publisher<?>> work, String message) {
        expectFailure(work, RedtxArgumentException.class, e -> {
            assertThat(e).hasMessage(message);
            assertThat(e.transactionId()).isNotBlank();
        });
    }

    /** DBSIZE is 0 on every server: nothing at all was written, not even a redtx marker. */
    private static void assertNothingWritten() {
        for (RedisServer s : servers()) {
            assertThat(s.command("DBSIZE")).as("DBSIZE of %s", s).isEqualTo(0L);
        }
    }

    /** The keys outside redtx's namespace, sorted. */
    private static List<String> userKeys(RedisServer s) {
        return ((List<?>) s.command("KEYS", "*"))
                .stream()
                        .map(String.class::cast)
                        .filter(k -> !k.startsWith("redtx:"))
                        .sorted()
                        .toList();
    }

    // ---- keys ----

    static Stream<Arguments> everyOperation() {
        return Stream.of(
                op("get", (c, k) -> c.get(k)),
                op("set", (c, k) -> c.set(k, "v")),
                op("setIfAbsent", (c, k) -> c.setIfAbsent(k, "v")),
                op("del", (c, k) -> c.del(k)),
                op("incrBy", (c, k) -> c.incrBy(k, 1)),
                op("decrBy", (c, k) -> c.decrBy(k, 1)),
                op("hget", (c, k) -> c.hget(k, "f")),
                op("hgetAll", (c, k) -> c.hgetAll(k)),
                op("hset", (c, k) -> c.hset(k, "f", "v")),
                op("hset(map)", (c, k) -> c.hset(k, Map.of("f", "v"))),
                op("hdel", (c, k) -> c.hdel(k, "f")),
                op("hincrBy", (c, k) -> c.hincrBy(k, "f", 1)),
                op("expect", (c, k) -> c.expect(k, "v")),
                op("expectAbsent", (c, k) -> c.expectAbsent(k)));
    }

    private static Arguments op(String name, BiFunction<TransactionCommands, String, Mono<?>> op) {
        return Arguments.of(name, op);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyOperation")
    void nullKeyIsRefusedByEveryOperationAndNothingIsWritten(
            String name, BiFunction<TransactionCommands, String, Mono<?>> op) {
        runtime();
        expectArgumentError(
                t -> t.on("a").set("before", "1").then(op.apply(t.on("b"), null)),
                "key must not be null or empty (participant 'b')");
        assertNothingWritten();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyOperation")
    void emptyKeyIsRefusedByEveryOperationAndNothingIsWritten(
            String name, BiFunction<TransactionCommands, String, Mono<?>> op) {
        runtime();
        expectArgumentError(
                t -> t.on("a").set("before", "1").then(op.apply(t.on("c"), "")),
                "key must not be null or empty (participant 'c')");
        assertNothingWritten();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyOperation")
    void keyInsideTheInternalNamespaceIsRefusedByEveryOperation(
            String name, BiFunction<TransactionCommands, String, Mono<?>> op) {
        runtime();
        expectArgumentError(
                t -> t.on("b").set("before", "1").then(op.apply(t.on("a"), "redtx:x")),
                "key 'redtx:x' is inside redtx's internal namespace 'redtx:'");
        assertNothingWritten();
    }

    @Test
    void internalKeysCannotBeReadThroughTheHandle() {
        a.command("SET", KeyLayout.DEFAULT.transactionPrefix() + "someone-else", "secret-state");
        runtime();
        expectArgumentError(
                t -> t.on("a").get(KeyLayout.DEFAULT.transactionPrefix() + "someone-else"),
                "key 'redtx:tx:someone-else' is inside redtx's internal namespace 'redtx:'");
    }

    @Test
    void aCustomNamespaceIsTheOneRefused() {
        runtime(o -> o.namespace("app-tx:"));
        expectArgumentError(
                t -> t.on("a").set("app-tx:x", "v"), "key 'app-tx:x' is inside redtx's internal namespace 'app-tx:'");
        assertNothingWritten();

        // Outside the configured namespace "redtx:" is an ordinary user key.
        StepVerifier.create(runtime.inTransaction(t -> t.on("a").set("redtx:x", "v")))
                .verifyComplete();
        assertThat(get(a, "redtx:x")).isEqualTo("v");
    }

    // ---- participants ----

    @Test
    void unparsableParticipantUriIsRefusedBeforeCreateWithoutRevealingThePassword() {
        assertThatThrownBy(() -> RuntimeOptions.builder().participant("a", "redis://alice:s3cr3t@[::1:6379"))
                .isInstanceOf(RedtxArgumentException.class)
                .hasMessage("participant 'a' has an invalid Redis URI 'redis://alice:***@[::1:6379': host"
                        + " '[::1:6379' opens '[' without closing it")
                .hasNoCause();
    }

    /** What the options' builder accepts, Lettuce parses too: {@code create} never finds a URI mistake later. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "redis://app:secret@host:6379/15?timeout=10s&clientName=orders",
                "redis://[::1]:6379/",
                "rediss://host:6380?verifyPeer=CA",
                "redis-socket:///var/run/redis.sock?db=3",
                "redis-sentinel://s1:26379,s2:26379/1?sentinelMasterId=mymaster",
                "redis-sentinel://secret@s1,s2#mymaster",
                "redis-cluster://c1:7000,c2:7001,[::1]:7002",
                "rediss-cluster://app:secret@c1:7000/0?verifyPeer=FULL"
            })
    void everyUriTheOptionsAcceptIsOneLettuceParses(String uri) {
        RedisTransactionRuntime.create(RuntimeOptions.builder()
                        .participant("a", uri)
                        .recovery(r -> r.interval(Duration.ZERO))
                        .build())
                .close();
    }

    @Test
    void unknownParticipantIsRefusedNamingItAndTheKnownOnes() {
        runtime();
        expectArgumentError(
                t -> t.on("a").set("x", "1").then(Mono.defer(() -> t.on("nope").get("k"))),
                "unknown participant 'nope'; known: [a, b, c]");
        assertNothingWritten();
    }

    @Test
    void unknownParticipantThrownStraightFromTheFunctionRollsBack() {
        runtime();
        expectArgumentError(
                t -> {
                    Mono<Void> buffered = t.on("a").set("x", "1");
                    t.on("NOPE"); // participant names are case-sensitive
                    return buffered;
                },
                "unknown participant 'NOPE'; known: [a, b, c]");
        assertNothingWritten();
    }

    @Test
    void nullParticipantIsRefused() {
        runtime();
        expectArgumentError(t -> t.on(null).get("k"), "participant must not be null");
    }

    // ---- values ----

    @Test
    void valueOverMaxValueBytesIsRefusedNamingKeySizeAndLimit() {
        runtime(o -> o.limits(l -> l.maxValueBytes(16)));
        expectArgumentError(
                t -> t.on("b").set("fits", "x".repeat(16)).then(t.on("a").set("big", "x".repeat(17))),
                "value of 'big' is 17 bytes, over maxValueBytes=16");
        assertNothingWritten();
    }

    @Test
    void valueOfExactlyMaxValueBytesIsAccepted() {
        runtime(o -> o.limits(l -> l.maxValueBytes(16)));
        StepVerifier.create(runtime.inTransaction(t -> t.on("a").set("k", "x".repeat(16))))
                .verifyComplete();
        assertThat(get(a, "k")).isEqualTo("x".repeat(16));
    }

    @Test
    void maxValueBytesCountsUtf8BytesNotCharacters() {
        runtime(o -> o.limits(l -> l.maxValueBytes(16)));
        // 9 characters, 18 bytes.
        expectArgumentError(t -> t.on("a").set("k", "é".repeat(9)), "value of 'k' is 18 bytes, over maxValueBytes=16");
        assertNothingWritten();
    }

    @Test
    void hashValueOverMaxValueBytesIsRefusedNamingKeyAndField() {
        runtime(o -> o.limits(l -> l.maxValueBytes(16)));
        expectArgumentError(
                t -> t.on("a").hset("h", Map.of("f", "x".repeat(20))),
                "value of 'h' field 'f' is 20 bytes, over maxValueBytes=16");
        expectArgumentError(
                t -> t.on("a").hset("h", "g", "x".repeat(17)),
                "value of 'h' field 'g' is 17 bytes, over maxValueBytes=16");
        assertNothingWritten();
    }

    @Test
    void expectedValueOverMaxValueBytesIsRefused() {
        runtime(o -> o.limits(l -> l.maxValueBytes(16)));
        expectArgumentError(
                t -> t.on("a").expect("k", "x".repeat(17)), "expected value of 'k' is 17 bytes, over maxValueBytes=16");
        assertNothingWritten();
    }

    @Test
    void nullValueIsRefusedNamingTheKey() {
        runtime();
        expectArgumentError(t -> t.on("a").set("k", null), "value of 'k' must not be null");
        expectArgumentError(t -> t.on("a").setIfAbsent("k", null), "value of 'k' must not be null");
        expectArgumentError(t -> t.on("a").hset("h", "f", null), "value of 'h' field 'f' must not be null");
        Map<String, String> nullValue = new HashMap<>();
        nullValue.put("f", null);
        expectArgumentError(t -> t.on("a").hset("h", nullValue), "value of 'h' field 'f' must not be null");
        expectArgumentError(t -> t.on("a").expect("k", null), "expected value of 'k' must not be null");
        assertNothingWritten();
    }

    // ---- key limit ----

    @Test
    void moreDistinctKeysThanMaxKeysPerTransactionIsRefusedNamingLimitKeyAndParticipant() {
        runtime(o -> o.limits(l -> l.maxKeysPerTransaction(3)));
        expectArgumentError(
                t -> t.on("a")
                        .set("k1", "1")
                        .then(t.on("b").set("k2", "2"))
                        .then(t.on("c").get("k3"))
                        .then(t.on("c").set("k4", "4")),
                "transaction would touch more than maxKeysPerTransaction=3 keys (adding 'k4' on 'c')");
        assertNothingWritten();
    }

    @Test
    void keyLimitCountsDistinctKeysPerParticipantNotOperations() {
        runtime(o -> o.limits(l -> l.maxKeysPerTransaction(3)));
        // The same name on three participants is three keys; writing one of them again adds none.
        StepVerifier.create(runtime.inTransaction(t -> t.on("a")
                        .set("k", "1")
                        .then(t.on("b").set("k", "2"))
                        .then(t.on("c").set("k", "3"))
                        .then(t.on("a").set("k", "1b"))
                        .then(t.on("a").get("k"))))
                .expectNext("1b")
                .verifyComplete();
        assertThat(List.of(get(a, "k"), get(b, "k"), get(c, "k"))).containsExactly("1b", "2", "3");
    }

    // ---- hash fields ----

    @ParameterizedTest
    @NullAndEmptySource
    void nullOrEmptyHashFieldIsRefusedByEveryHashOperation(String field) {
        runtime();
        String message = "hash field of 'h' must not be null or empty";
        Map<String, String> badFieldMap = new HashMap<>();
        badFieldMap.put(field, "v");
        expectArgumentError(t -> t.on("a").hset("h", field, "v"), message);
        expectArgumentError(t -> t.on("a").hset("h", badFieldMap), message);
        expectArgumentError(t -> t.on("a").hget("h", field), message);
        expectArgumentError(t -> t.on("a").hincrBy("h", field, 1), message);
        expectArgumentError(t -> t.on("a").hdel("h", "ok", field), message);
        assertNothingWritten();
    }

    @Test
    void hdelWithNoFieldsIsRefused() {
        runtime();
        expectArgumentError(t -> t.on("a").hdel("h"), "hdel of 'h' needs at least one field");
        expectArgumentError(t -> t.on("a").hdel("h", (String[]) null), "hdel of 'h' needs at least one field");
        assertNothingWritten();
    }

    @Test
    void hsetWithNoFieldsIsRefused() {
        runtime();
        expectArgumentError(t -> t.on("a").hset("h", Map.of()), "hset of 'h' needs at least one field");
        expectArgumentError(
                t -> t.on("a").hset("h", (Map<String, String>) null), "hset of 'h' needs at least one field");
        assertNothingWritten();
    }

    // ---- arithmetic ----

    @Test
    void incrByOnANonIntegerValueIsRefusedNamingKeyAndValue() {
        a.command("SET", "n", "12abc");
        runtime();
        expectArgumentError(
                t -> t.on("b").set("other", "1").then(t.on("a").incrBy("n", 1)),
                "value of 'n' is not an integer: '12abc'");
        assertThat(userKeys(a)).containsExactly("n");
        assertThat(get(a, "n")).isEqualTo("12abc");
        assertThat(b.command("DBSIZE")).isEqualTo(0L);
        assertThat(c.command("DBSIZE")).isEqualTo(0L);
    }

    @Test
    void incrByOnANonIntegerTheTransactionWroteIsRefused() {
        runtime();
        expectArgumentError(
                t -> t.on("a").set("n", "1.5").then(t.on("a").decrBy("n", 1)), "value of 'n' is not an integer: '1.5'");
        assertNothingWritten();
    }

    @Test
    void hincrByOnANonIntegerFieldIsRefusedNamingKeyFieldAndValue() {
        a.command("HSET", "h", "f", "ten");
        runtime();
        expectArgumentError(t -> t.on("a").hincrBy("h", "f", 1), "field 'f' of 'h' is not an integer: 'ten'");
        assertThat(a.command("DBSIZE")).isEqualTo(1L);
        assertThat(a.command("HGETALL", "h")).isEqualTo(List.of("f", "ten"));
    }

    @Test
    void incrByOverflowIsRefusedNamingKeyAndDelta() {
        a.command("SET", "n", Long.toString(Long.MAX_VALUE));
        runtime();
        expectArgumentError(
                t -> t.on("c").set("other", "1").then(t.on("a").incrBy("n", 1)),
                "value of 'n' + 1 overflows a 64-bit integer");
        expectArgumentError(
                t -> t.on("a")
                        .set("m", Long.toString(Long.MIN_VALUE))
                        .then(t.on("a").incrBy("m", -1)),
                "value of 'm' + -1 overflows a 64-bit integer");
        assertThat(a.command("DBSIZE")).isEqualTo(1L);
        assertThat(get(a, "n")).isEqualTo(Long.toString(Long.MAX_VALUE));
        assertThat(c.command("DBSIZE")).isEqualTo(0L);
    }

    @Test
    void hincrByOverflowIsRefused() {
        runtime();
        expectArgumentError(
                t -> t.on("a")
                        .hset("h", "f", Long.toString(Long.MIN_VALUE))
                        .then(t.on("a").hincrBy("h", "f", -1)),
                "field 'f' of 'h' + -1 overflows a 64-bit integer");
        assertNothingWritten();
    }

    @Test
    void decrByTheSmallestLongIsRefused() {
        runtime();
        expectArgumentError(
                t -> t.on("a").decrBy("n", Long.MIN_VALUE), "decrBy delta -9223372036854775808 cannot be negated");
        assertNothingWritten();
    }

    // ---- types inside the transaction ----

    @Test
    void getOnAKeyTheTransactionWroteAsAHashIsRefused() {
        runtime();
        expectArgumentError(
                t -> t.on("a").hset("h", "f", "v").then(t.on("a").get("h")),
                "key 'h' holds a hash in this transaction; GET does not apply");
        assertNothingWritten();
    }

    @Test
    void stringOperationsOnAKeyTheTransactionWroteAsAHashAreRefused() {
        runtime();
        expectArgumentError(
                t -> t.on("a").hset("h", "f", "1").then(t.on("a").incrBy("h", 1)),
                "key 'h' holds a hash in this transaction; INCRBY does not apply");
        assertNothingWritten();
    }

    @Test
    void hashOperationsOnAKeyTheTransactionWroteAsAStringAreRefused() {
        runtime();
        expectArgumentError(
                t -> t.on("a").set("s", "v").then(t.on("a").hget("s", "f")),
                "key 's' holds a string in this transaction; HGET does not apply");
        expectArgumentError(
                t -> t.on("a").set("s", "v").then(t.on("a").hgetAll("s")),
                "key 's' holds a string in this transaction; HGETALL does not apply");
        expectArgumentError(
                t -> t.on("a").set("s", "v").then(t.on("a").hset("s", "f", "v")),
                "key 's' holds a string in this transaction; HSET does not apply");
        expectArgumentError(
                t -> t.on("a").set("s", "v").then(t.on("a").hdel("s", "f")),
                "key 's' holds a string in this transaction; HDEL does not apply");
        expectArgumentError(
                t -> t.on("a").set("s", "1").then(t.on("a").hincrBy("s", "f", 1)),
                "key 's' holds a string in this transaction; HINCRBY does not apply");
        assertNothingWritten();
    }

    // ---- types on the server ----

    @Test
    void readingAHashWithGetIsAWrongTypeErrorOfTheParticipant() {
        a.command("HSET", "h", "f", "v");
        runtime();
        expectFailure(t -> t.on("b").set("x", "1").then(t.on("a").get("h")), ParticipantErrorException.class, e -> {
            assertThat(e.participant()).isEqualTo("a");
            assertThat(e).hasMessage("Participant 'a' replied with an error: WRONGTYPE key 'h' holds a hash (get)");
            assertThat(e.transactionId()).isNotBlank();
        });
        assertThat(userKeys(a)).containsExactly("h");
        assertThat(a.command("DBSIZE")).isEqualTo(1L);
        assertThat(b.command("DBSIZE")).isEqualTo(0L);
    }

    @Test
    void readingAStringWithHgetIsAWrongTypeErrorOfTheParticipant() {
        b.command("SET", "s", "v");
        runtime();
        expectFailure(
                t -> t.on("b").hget("s", "f"),
                ParticipantErrorException.class,
                e -> assertThat(e)
                        .hasMessage("Participant 'b' replied with an error: WRONGTYPE key 's' holds a string (hget)"));
        assertThat(b.command("DBSIZE")).isEqualTo(1L);
    }

    @Test
    void hashFieldWriteIntoAStringIsRefusedAtOnePhaseCommitWithoutWriting() {
        a.command("SET", "s", "v");
        runtime();
        expectFailure(
                t -> t.on("a").set("x", "1").then(t.on("a").hset("s", "f", "v")),
                ParticipantErrorException.class,
                e -> assertThat(e)
                        .hasMessage("Participant 'a' replied with an error: WRONGTYPE key 's' holds a string but the"
                                + " transaction writes hash fields into it"));
        assertThat(userKeys(a)).containsExactly("s");
        assertThat(a.command("DBSIZE")).isEqualTo(1L);
        assertThat(get(a, "s")).isEqualTo("v");
    }

    @Test
    void hashFieldWriteIntoAStringIsRefusedAtPrepareAndNoShardKeepsAWrite() {
        a.command("SET", "s", "v");
        runtime(o -> o.retryPolicy(RetryPolicy.none()));
        expectFailure(
                t -> t.on("b")
                        .set("x", "1")
                        .then(t.on("c").set("y", "2"))
                        .then(t.on("a").hset("s", "f", "v")),
                ParticipantErrorException.class,
                e -> {
                    assertThat(e.participant()).isEqualTo("a");
                    assertThat(e).hasMessageContaining("WRONGTYPE key 's' holds a string");
                });
        awaitBackground();
        // Aborted: only the ABORTED tombstones of the attempt stay in redtx's namespace
        // (docs/design.md#rollback-on-error-timeout-and-cancellation).
        assertThat(userKeys(a)).containsExactly("s");
        assertThat(userKeys(b)).isEmpty();
        assertThat(userKeys(c)).isEmpty();
        assertNoIntents();
    }

    // ---- lifecycle misuse ----

    @Test
    void operationsAfterCommitAreRefused() {
        var rt = runtime();
        AtomicReference<Transaction> handle = new AtomicReference<>();
        StepVerifier.create(rt.begin()
                        .doOnNext(handle::set)
                        .flatMap(t -> t.on("a")
                                .set("k", "v")
                                .then(t.on("b").set("k", "w"))
                                .then(t.commit())))
                .expectNextCount(1)
                .verifyComplete();
        Transaction t = handle.get();
        String state = "transaction " + t.id() + " is committed (or past its commit point); its handle accepts no"
                + " more operations";

        StepVerifier.create(t.on("a").set("late", "v"))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(TransactionStateException.class)
                        .hasMessage(state)
                        .satisfies(s -> assertThat(((TransactionStateException) s).transactionId())
                                .isEqualTo(t.id())))
                .verify(WAIT);
        StepVerifier.create(t.on("b").get("k")).expectErrorMessage(state).verify(WAIT);
        StepVerifier.create(t.rollback())
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(TransactionStateException.class)
                        .hasMessage("transaction " + t.id() + " passed its commit point; it cannot be rolled back"))
                .verify(WAIT);
        awaitBackground();
        assertThat(userKeys(a)).containsExactly("k");
        assertThat(userKeys(b)).containsExactly("k");
    }

    @Test
    void commitAgainAfterCommitReturnsTheFirstOutcome() {
        var rt = runtime();
        AtomicReference<CommitResult> first = new AtomicReference<>();
        Transaction t = rt.begin().block(WAIT);
        StepVerifier.create(t.on("a").set("k", "v").then(t.commit()))
                .consumeNextWith(first::set)
                .verifyComplete();

        StepVerifier.create(t.commit()).expectNext(first.get()).verifyComplete();
    }

    @Test
    void operationsAfterRollbackAreRefused() {
        var rt = runtime();
        Transaction t = rt.begin().block(WAIT);
        StepVerifier.create(t.on("a").set("k", "v").then(t.rollback())).verifyComplete();

        StepVerifier.create(t.on("a").set("k2", "v"))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(TransactionStateException.class)
                        .hasMessage("transaction " + t.id() + " is rolled back; its handle accepts no more operations"))
                .verify(WAIT);
        StepVerifier.create(t.on("a").get("k"))
                .expectError(TransactionStateException.class)
                .verify(WAIT);
        StepVerifier.create(t.commit())
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(TransactionStateException.class)
                        .hasMessage("transaction " + t.id() + " was rolled back; it cannot be committed"))
                .verify(WAIT);
        StepVerifier.create(t.rollback()).as("rollback is idempotent").verifyComplete();
        assertNothingWritten();
    }

    @Test
    void handleUsedAfterItsTransactionCompletedIsRefused() {
        var rt = runtime();
        AtomicReference<Transaction> captured = new AtomicReference<>();
        StepVerifier.create(rt.inTransaction(t -> {
                    captured.set(t);
                    return t.on("a").set("k", "v");
                }))
                .verifyComplete();
        Transaction t = captured.get();

        StepVerifier.create(t.on("b").set("late", "v"))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(TransactionStateException.class)
                        .hasMessage("transaction " + t.id()
                                + " is committed (or past its commit point); its handle accepts no more operations"))
                .verify(WAIT);
        assertThat(userKeys(a)).containsExactly("k");
        assertThat(b.command("DBSIZE")).isEqualTo(0L);
    }

    @Test
    void handleUsedAfterItsTransactionFailedIsRefused() {
        var rt = runtime();
        AtomicReference<Transaction> captured = new AtomicReference<>();
        StepVerifier.create(rt.inTransaction(t -> {
                    captured.set(t);
                    return t.on("a").set("k", "v").then(t.on("a").set("k", null));
                }))
                .expectError(RedtxArgumentException.class)
                .verify(WAIT);
        Transaction t = captured.get();

        StepVerifier.create(t.on("a").set("k", "late"))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(TransactionStateException.class)
                        .hasMessage("transaction " + t.id() + " is rolled back; its handle accepts no more operations"))
                .verify(WAIT);
        StepVerifier.create(t.commit())
                .expectError(TransactionStateException.class)
                .verify(WAIT);
        assertNothingWritten();
    }

    @Test
    void closedRuntimeRefusesNewTransactionsWithoutCallingTheFunction() {
        var rt = runtime();
        rt.closeGracefully().block(WAIT);
        AtomicBoolean called = new AtomicBoolean();

        StepVerifier.create(rt.inTransaction(t -> {
                    called.set(true);
                    return t.on("a").set("k", "v");
                }))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOfSatisfying(TransactionStateException.class, s -> {
                    assertThat(s).hasMessage("the transaction runtime is closed");
                    assertThat(s.transactionId()).isNull();
                }))
                .verify(WAIT);
        StepVerifier.create(rt.begin())
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(TransactionStateException.class)
                        .hasMessage("the transaction runtime is closed"))
                .verify(WAIT);
        assertThat(called).isFalse();
        assertNothingWritten();
    }

    @Test
    void handleOpenedBeforeCloseRefusesWorkAndCommitAfterClose() {
        var rt = runtime();
        // Connect first, so that the close really has connections to close.
        rt.inTransaction(t -> Mono.when(t.on("a").get("w"), t.on("b").get("w"))).block(WAIT);
        Transaction onePhase = rt.begin().block(WAIT);
        Transaction twoPhase = rt.begin().block(WAIT);
        onePhase.on("a").set("k", "v").block(WAIT);
        twoPhase.on("a").set("k", "v").then(twoPhase.on("b").set("k", "v")).block(WAIT);
        rt.closeGracefully().block(WAIT);

        // Nothing was sent: not an unknown outcome, and not "participant unavailable" either.
        for (Transaction t : List.of(onePhase, twoPhase)) {
            StepVerifier.create(t.commit())
                    .expectErrorSatisfies(e -> assertThat(e)
                            .isInstanceOf(TransactionStateException.class)
                            .hasMessage("transaction " + t.id() + " cannot be committed: the transaction runtime is"
                                    + " closed"))
                    .verify(WAIT);
        }
        // The refused commit ended the handle.
        StepVerifier.create(twoPhase.on("c").get("k"))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(TransactionStateException.class)
                        .hasMessageContaining("is rolled back"))
                .verify(WAIT);
        assertNothingWritten();
    }

    @Test
    void handleOpenedBeforeCloseRefusesReadsAndWritesAfterClose() {
        var rt = runtime();
        Transaction t = rt.begin().block(WAIT);
        rt.closeGracefully().block(WAIT);
        String message =
                "transaction " + t.id() + " belongs to a closed runtime; its handle accepts no more operations";

        StepVerifier.create(t.on("a").get("k"))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(TransactionStateException.class)
                        .hasMessage(message))
                .verify(WAIT);
        StepVerifier.create(t.on("b").set("k", "v"))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(TransactionStateException.class)
                        .hasMessage(message))
                .verify(WAIT);
        assertNothingWritten();
    }

    @Test
    void nullFunctionIsRefusedAtOnce() {
        var rt = runtime();
        assertThatNullPointerException()
                .isThrownBy(() -> rt.inTransaction(null))
                .withMessage("work");
        assertThatNullPointerException()
                .isThrownBy(() -> rt.inTransactionWithResult(null))
                .withMessage("work");
    }

    // ---- bad input among good writes ----

    @Test
    void badInputAfterWritesOnEveryParticipantWritesNothingAnywhere() {
        a.command("SET", "counter", "7");
        runtime(o -> o.limits(l -> l.maxValueBytes(16)));
        expectArgumentError(
                t -> t.on("a")
                        .incrBy("counter", 1)
                        .then(t.on("b").hset("h", Map.of("f", "v")))
                        .then(t.on("c").set("x", "1"))
                        .then(t.on("c").del("y"))
                        .then(t.on("b").set("too-big", "x".repeat(17))),
                "value of 'too-big' is 17 bytes, over maxValueBytes=16");
        assertThat(userKeys(a)).containsExactly("counter");
        assertThat(get(a, "counter")).isEqualTo("7");
        assertThat(a.command("DBSIZE")).isEqualTo(1L);
        assertThat(b.command("DBSIZE")).isEqualTo(0L);
        assertThat(c.command("DBSIZE")).isEqualTo(0L);
    }

    @Test
    void caughtBadInputBuffersNothingAndTheRestCommits() {
        runtime(o -> o.limits(l -> l.maxValueBytes(16).maxKeysPerTransaction(3)));
        StepVerifier.create(runtime.inTransaction(t -> t.on("a")
                        .set("big", "x".repeat(17))
                        .onErrorResume(RedtxArgumentException.class, e -> Mono.empty())
                        .then(t.on("a")
                                .hset("h", "", "v")
                                .onErrorResume(RedtxArgumentException.class, e -> Mono.empty()))
                        .then(t.on("b").set("ok", "1"))
                        .then(t.on("c").set("ok", "2"))
                        .then(t.on("c").set("k3", "3"))
                        .then(t.on("c").set("k4", "4").onErrorResume(RedtxArgumentException.class, e -> Mono.empty()))
                        .thenReturn("done")))
                .expectNext("done")
                .verifyComplete();
        // The refused operations left no trace: not even the key entries count against the limit of 3.
        assertThat(a.command("DBSIZE")).isEqualTo(0L);
        assertThat(userKeys(b)).containsExactly("ok");
        assertThat(userKeys(c)).containsExactly("k3", "ok");
        assertNoIntents();
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "b", "c"})
    void refusedOperationOnAnyParticipantRollsBackWritesOnTheOthers(String badParticipant) {
        runtime();
        expectArgumentError(
                t -> Mono.when(
                                t.on("a").set("x", "1"),
                                t.on("b").set("x", "2"),
                                t.on("c").set("x", "3"))
                        .then(t.on(badParticipant).hdel("x")),
                "hdel of 'x' needs at least one field");
        assertNothingWritten();
    }
}
