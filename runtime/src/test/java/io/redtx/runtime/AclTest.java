package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.CommitProtocol;
import io.redtx.api.ParticipantErrorException;
import io.redtx.api.RecoveryReport;
import io.redtx.api.RetryPolicy;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionConflictException;
import io.redtx.api.TransactionOutcome;
import io.redtx.api.message.ConsumerOptions;
import io.redtx.runtime.internal.protocol.ProtocolHooks;
import io.redtx.runtime.internal.redis.LuaScript;
import io.redtx.test.redis.IntentCount;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * redtx works for an ACL user allowed exactly {@link #REDTX_COMMANDS}, and a user lacking one is refused cleanly.
 * Each test runs against fresh servers.
 */
@RedisTest
class AclTest {

    /**
     * The commands an ACL user needs for redtx, on Redis 7.0 and later, as {@code ACL SETUSER} rules:
     *
     * <pre>
     * ACL SETUSER redtx on &gt;secret ~* resetchannels -@all +evalsha +script|load +get +set +del +exists +hget
     *     +hset +hdel +hgetall +hlen +type +time +zadd +zrem +zrange +pexpire +pttl +xadd +xack +scan
     * </pre>
     *
     * <ul>
     *   <li>{@code evalsha} runs every protocol step; {@code script|load} loads the scripts when a connection is made
     *       and after {@code NOSCRIPT} ({@code eval} is not needed); {@code scan} sweeps for stale lock entries in
     *       each recovery pass (and, on a Cluster, finds intent indexes and records).
     *   <li>The others are called inside the scripts: Redis checks the user's ACL for every {@code redis.call} of a
     *       script, so each must be allowed. A connection probes them ({@code redis.acl_check_cmd}) and refuses a user
     *       lacking one, because a refused call would fail a script half-way and Redis does not roll scripts back.
     *   <li>Lettuce's connection handshake needs nothing more: {@code HELLO} and {@code AUTH} are allowed to every
     *       user. Against Redis 7.2 and later Lettuce also sends {@code CLIENT SETINFO}; it ignores a refusal, but
     *       each refusal is an {@code ACL LOG} entry, so add {@code +client|setinfo} there (Redis 7.0 does not know
     *       that command and refuses the rule). Add {@code +select} if a participant URI names a database other than
     *       0.
     *   <li>{@code ~*}: redtx touches the application's keys and its own under the namespace ({@code redtx:} by
     *       default); a narrower key pattern must cover both.
     * </ul>
     */
    static final List<String> REDTX_COMMANDS = List.of(
            "evalsha",
            "script|load",
            "get",
            "set",
            "del",
            "exists",
            "hget",
            "hset",
            "hdel",
            "hgetall",
            "hlen",
            "type",
            "time",
            "zadd",
            "zrem",
            "zrange",
            "pexpire",
            "pttl",
            "xadd",
            "xack",
            "scan");

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final List<RedisTransactionRuntime> runtimes = new ArrayList<>();

    @AfterEach
    void closeRuntimes() {
        for (RedisTransactionRuntime rt : runtimes) {
            rt.closeGracefully().block(Duration.ofSeconds(30));
        }
    }

    // ---- helpers ----

    /** Creates (or redefines) the user "redtx" with password "secret", allowed exactly {@code commands}. */
    private static void createUser(RedisServer server, List<String> commands) {
        List<String> rules = new ArrayList<>(
                List.of("ACL", "SETUSER", "redtx", "reset", "on", ">secret", "~*", "resetchannels", "-@all"));
        commands.forEach(c -> rules.add("+" + c));
        if (atLeast72(server)) {
            rules.add("+client|setinfo"); // see REDTX_COMMANDS
        }
        assertThat(server.command(rules.toArray(String[]::new))).isEqualTo("OK");
        server.command("ACL", "LOG", "RESET");
    }

    private static boolean atLeast72(RedisServer server) {
        String[] v = server.version().split("\\.");
        int major = Integer.parseInt(v[0]);
        return major > 7 || (major == 7 && Integer.parseInt(v[1]) >= 2);
    }

    private static List<String> without(String command) {
        return REDTX_COMMANDS.stream().filter(c -> !c.equals(command)).toList();
    }

    private static String uri(RedisServer server) {
        return "redis://redtx:secret@127.0.0.1:" + server.port();
    }

    private RedisTransactionRuntime runtime(RedisServer... servers) {
        RuntimeOptions.Builder options = RuntimeOptions.builder().retryPolicy(RetryPolicy.none());
        for (int i = 0; i < servers.length; i++) {
            options.participant(String.valueOf((char) ('a' + i)), uri(servers[i]));
        }
        RedisTransactionRuntime rt = RedisTransactionRuntime.create(options.build(), ProtocolHooks.NONE);
        runtimes.add(rt);
        return rt;
    }

    /** The commands the ACL refused, as {@code ACL LOG} names them (for example "hgetall", "script|load"). */
    private static List<String> refusedCommands(RedisServer server) {
        List<String> refused = new ArrayList<>();
        for (Object entry : (List<?>) server.command("ACL", "LOG")) {
            List<?> fields = (List<?>) entry;
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                if ("object".equals(fields.get(i))) {
                    refused.add((String) fields.get(i + 1));
                }
            }
        }
        return refused;
    }

    private static void awaitBackground(RedisTransactionRuntime rt) {
        ThreeParticipantsTestBase.awaitTrue(() -> rt.backgroundTasks() == 0);
    }

    private static void assertNoIntents(RedisServer... servers) {
        assertThat(IntentCount.on("redtx:", List.of(servers))).isEqualTo(IntentCount.NONE);
    }

    // ---- the listed commands suffice ----

    @Test
    void onePhaseTransactionSucceedsWithOnlyTheListedCommands(RedisServer server) {
        createUser(server, REDTX_COMMANDS);
        server.command("SET", "n", "1");
        server.command("HSET", "h", "f", "v", "g", "w");
        server.command("SET", "c", "expected");
        server.command("SET", "d", "to-delete");
        RedisTransactionRuntime rt = runtime(server);

        StepVerifier.create(rt.inTransactionWithResult(t -> t.on("a")
                        .incrBy("n", 41)
                        .flatMap(n -> t.on("a").hgetAll("h").map(h -> n + ":" + h.get("f")))
                        .flatMap(v -> t.on("a")
                                .hset("h", "f", "v2")
                                .then(t.on("a").hdel("h", "g"))
                                .then(t.on("a").setIfAbsent("s", "new"))
                                .then(t.on("a").expect("c", "expected"))
                                .then(t.on("a").expectAbsent("nothing"))
                                .then(t.on("a").del("d"))
                                .thenReturn(v))))
                .assertNext(r -> {
                    assertThat(r.value()).isEqualTo("42:v");
                    assertThat(r.commit().protocol()).isEqualTo(CommitProtocol.ONE_PHASE);
                })
                .verifyComplete();

        assertThat(server.command("GET", "n")).isEqualTo("42");
        assertThat(server.command("HGETALL", "h")).isEqualTo(List.of("f", "v2"));
        assertThat(server.command("GET", "s")).isEqualTo("new");
        assertThat(server.command("EXISTS", "d")).isEqualTo(0L);
        assertThat(refusedCommands(server)).isEmpty();
    }

    /** What docs/protocol.md lists for stream consumers, beyond {@link #REDTX_COMMANDS}. */
    static final List<String> CONSUMER_COMMANDS =
            List.of("xreadgroup", "xautoclaim", "xpending", "xgroup|create", "xinfo|groups");

    @Test
    void aTransactionalConsumerWorksWithTheListedCommandsAndTheConsumerOnes(RedisServer first, RedisServer second) {
        List<String> commands = new ArrayList<>(REDTX_COMMANDS);
        commands.addAll(CONSUMER_COMMANDS);
        createUser(first, commands);
        createUser(second, REDTX_COMMANDS);
        RedisTransactionRuntime rt = runtime(first, second);
        rt.inTransaction(t -> t.on("a").publish("orders", Map.of("n", "1"))).block(WAIT);

        StepVerifier.create(rt.<Long>consumeTransactionally(
                                ConsumerOptions.builder("orders", "g")
                                        .participant("a")
                                        .createGroup(true)
                                        .claimIdle(Duration.ofMillis(1))
                                        .build(),
                                (d, t) -> t.on("b").incrBy("seen", 1))
                        .next())
                .assertNext(o -> assertThat(o.status()).isEqualTo(TransactionOutcome.Status.COMMITTED))
                .verifyComplete();
        assertThat(second.command("GET", "seen")).isEqualTo("1");
        assertThat(refusedCommands(first)).isEmpty();
        assertThat(refusedCommands(second)).isEmpty();
    }

    @Test
    void twoPhaseCommitSucceedsWithOnlyTheListedCommands(RedisServer first, RedisServer second) {
        createUser(first, REDTX_COMMANDS);
        createUser(second, REDTX_COMMANDS);
        first.command("SET", "acct:1", "100");
        RedisTransactionRuntime rt = runtime(first, second);

        StepVerifier.create(rt.inTransactionWithResult(t ->
                        t.on("a").decrBy("acct:1", 30).flatMap(left -> t.on("b").hincrBy("acct:2", "balance", 30))))
                .assertNext(r -> {
                    assertThat(r.value()).isEqualTo(30L);
                    assertThat(r.commit().protocol()).isEqualTo(CommitProtocol.TWO_PHASE);
                    assertThat(r.commit().secondariesSettled()).isTrue();
                })
                .verifyComplete();
        awaitBackground(rt);

        StepVerifier.create(rt.recover())
                .assertNext(report -> assertThat(report).isEqualTo(RecoveryReport.EMPTY))
                .verifyComplete();

        assertThat(first.command("GET", "acct:1")).isEqualTo("70");
        assertThat(second.command("HGET", "acct:2", "balance")).isEqualTo("30");
        assertNoIntents(first, second);
        assertThat(refusedCommands(first)).isEmpty();
        assertThat(refusedCommands(second)).isEmpty();
    }

    @Test
    void twoPhaseAbortAndReadOnlyReleaseSucceedWithOnlyTheListedCommands(RedisServer first, RedisServer second) {
        createUser(first, REDTX_COMMANDS);
        createUser(second, REDTX_COMMANDS);
        second.command("SET", "version", "2");
        RedisTransactionRuntime rt = runtime(first, second);

        // Refused at prepare on b: the prepared intent on a is rolled back.
        StepVerifier.create(rt.inTransaction(
                        t -> t.on("a").set("x", "1").then(t.on("b").expect("version", "1"))))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOfSatisfying(
                                TransactionConflictException.class,
                                c -> assertThat(c.reason())
                                        .isEqualTo(TransactionConflictException.Reason.CONDITION_FAILED)))
                .verify(WAIT);
        // Read-only across both: prepared read locks are released.
        StepVerifier.create(rt.inTransaction(
                        t -> Mono.zip(t.on("a").get("x"), t.on("b").get("version"))
                                .map(z -> z.getT1() + z.getT2())
                                .defaultIfEmpty("absent")))
                .expectNext("absent")
                .verifyComplete();
        awaitBackground(rt);

        assertThat(first.command("EXISTS", "x")).isEqualTo(0L);
        assertNoIntents(first, second);
        assertThat(refusedCommands(first)).isEmpty();
        assertThat(refusedCommands(second)).isEmpty();
    }

    // ---- a user lacking a command ----

    @Test
    void userWithoutEvalshaFailsWithNopermAndWritesNothing(RedisServer server) {
        createUser(server, without("evalsha"));
        RedisTransactionRuntime rt = runtime(server);

        StepVerifier.create(rt.inTransaction(t -> t.on("a").set("k", "v")))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOfSatisfying(ParticipantErrorException.class, p -> {
                    assertThat(p.participant()).isEqualTo("a");
                    assertThat(p)
                            .hasMessage("Participant 'a' replied with an error: NOPERM this user has no"
                                    + " permissions to run the 'evalsha' command");
                }))
                .verify(WAIT);
        StepVerifier.create(rt.inTransaction(t -> t.on("a").get("k")))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(ParticipantErrorException.class)
                        .hasMessageContaining("NOPERM")
                        .hasMessageContaining("'evalsha'"))
                .verify(WAIT);

        assertThat(server.command("DBSIZE")).isEqualTo(0L);
        assertThat(refusedCommands(server)).containsOnly("evalsha");
    }

    @Test
    void userWithoutScriptLoadCannotConnectAndRecoversOnceGranted(RedisServer server) {
        createUser(server, without("script|load"));
        RedisTransactionRuntime rt = runtime(server);
        Mono<String> write = rt.inTransaction(t -> t.on("a").set("k", "v").thenReturn("written"));

        // Twice: a failed connection must not be kept (the second attempt connects again and fails the same way).
        for (int attempt = 0; attempt < 2; attempt++) {
            StepVerifier.create(write)
                    .expectErrorSatisfies(e -> assertThat(e)
                            .isInstanceOfSatisfying(ParticipantErrorException.class, u -> {
                                assertThat(u.participant()).isEqualTo("a");
                                assertThat(u)
                                        .hasMessageEndingWith(
                                                ": NOPERM this user has no permissions to run the 'script|load'"
                                                        + " command");
                            }))
                    .verify(WAIT);
        }
        assertThat(server.command("DBSIZE")).isEqualTo(0L);

        server.command("ACL", "SETUSER", "redtx", "+script|load");
        StepVerifier.create(write).expectNext("written").verifyComplete();
        assertThat(server.command("GET", "k")).isEqualTo("v");
    }

    /**
     * Without any one of the listed commands some step fails: the workload below goes through every script path (read,
     * one-phase commit, prepare, commit point, roll-forward, forget, abort, read-only release).
     */
    static Stream<String> commandsTheScriptsCall() {
        return LuaScript.CALLED_COMMANDS.stream();
    }

    /**
     * A user lacking any command the scripts call is refused when the connection is made, before any script could
     * fail half-way (Redis checks the ACL of each call inside a script and does not roll a script back). That the list
     * is exactly what the scripts call is {@code LuaScriptTest}'s job.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("commandsTheScriptsCall")
    void aUserLackingACommandTheScriptsCallIsRefusedBeforeAnyScriptRuns(String command, RedisServer server) {
        createUser(server, without(command));
        server.command("SET", "n", "1");
        RedisTransactionRuntime rt = runtime(server);

        StepVerifier.create(rt.inTransaction(t -> t.on("a").incrBy("n", 1)))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOfSatisfying(ParticipantErrorException.class, p -> {
                    assertThat(p.participant()).isEqualTo("a");
                    assertThat(p).hasMessageContaining("lacks permission for [" + command + "]");
                }))
                .verify(WAIT);
        assertThat(server.command("DBSIZE")).isEqualTo(1L);
        assertThat(server.command("GET", "n")).isEqualTo("1");
    }
}
