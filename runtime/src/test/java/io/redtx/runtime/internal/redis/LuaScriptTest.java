package io.redtx.runtime.internal.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.KeyLayout;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@RedisTest
class LuaScriptTest {

    private static final Pattern CALL = Pattern.compile("redis\\.p?call\\('([A-Z]+)'");
    private static final String TX = KeyLayout.DEFAULT.transactionPrefix() + "t1";
    private static final String INDEX = KeyLayout.DEFAULT.indexKey();

    private static RedisServer redis;

    @BeforeAll
    static void startServer(RedisServer server) {
        redis = server;
    }

    @BeforeEach
    void flush() {
        redis.flushAll();
    }

    @Test
    void calledCommandsListIsExactlyWhatTheScriptsCall() {
        Set<String> called = new TreeSet<>();
        Set<String> byLocks = new TreeSet<>();
        Set<String> byConsumers = new TreeSet<>();
        for (LuaScript script : LuaScript.values()) {
            Matcher m = CALL.matcher(script.body());
            while (m.find()) {
                (script.name().startsWith("LOCK_")
                                ? byLocks
                                : script.name().startsWith("STREAM_") ? byConsumers : called)
                        .add(m.group(1).toLowerCase());
            }
        }
        // lib.lua's wake_readers is in every script: optional, like the lock and consumer commands.
        assertThat(called).containsAll(LuaScript.WAKE_COMMANDS);
        called.removeAll(LuaScript.WAKE_COMMANDS);
        assertThat(called).containsExactlyInAnyOrderElementsOf(LuaScript.CALLED_COMMANDS);
        byLocks.removeAll(LuaScript.CALLED_COMMANDS);
        assertThat(byLocks).containsExactlyInAnyOrderElementsOf(LuaScript.LOCK_COMMANDS);
        byConsumers.removeAll(LuaScript.CALLED_COMMANDS);
        byConsumers.removeAll(LuaScript.WAKE_COMMANDS);
        assertThat(byConsumers).containsExactlyInAnyOrderElementsOf(LuaScript.CONSUMER_COMMANDS);
    }

    @Test
    void everyScriptHasAShebangAndADistinctDigest() {
        assertThat(LuaScript.values()).allSatisfy(s -> assertThat(s.body()).startsWith("#!lua"));
        assertThat(Arrays.stream(LuaScript.values()).map(LuaScript::sha).distinct())
                .hasSize(LuaScript.values().length);
    }

    // ---- extend.lua ----

    private static Object extend(String txid, long leaseMs) {
        return redis.command("EVAL", LuaScript.EXTEND.body(), "2", TX, INDEX, txid, Long.toString(leaseMs));
    }

    private static long serverNowMs() {
        List<?> t = (List<?>) redis.command("TIME");
        return Long.parseLong((String) t.get(0)) * 1000 + Long.parseLong((String) t.get(1)) / 1000;
    }

    @Test
    void extendMovesThePreparedIntentsLeaseAndIndexScoreToServerNowPlusTheLease() {
        redis.command("HSET", TX, "st", "P", "lease", "1000", "primary", "1");
        redis.command("ZADD", INDEX, "1000", "t1");
        long before = serverNowMs();

        assertThat(extend("t1", 60_000)).isEqualTo(1L);

        long after = serverNowMs();
        long lease = Long.parseLong((String) redis.command("HGET", TX, "lease"));
        assertThat(lease).isBetween(before + 60_000, after + 60_000);
        assertThat(redis.command("ZSCORE", INDEX, "t1")).isEqualTo(Long.toString(lease));
        assertThat(redis.command("HGET", TX, "primary")).as("other fields kept").isEqualTo("1");
    }

    @Test
    void extendLeavesCommittedAndAbortedMarkersAlone() {
        for (String state : List.of("C", "A")) {
            redis.flushAll();
            redis.command("HSET", TX, "st", state, "lease", "1000");
            redis.command("ZADD", INDEX, "1000", "t1");

            assertThat(extend("t1", 60_000)).as(state).isEqualTo(0L);

            assertThat(redis.command("HGETALL", TX)).as(state).isEqualTo(List.of("st", state, "lease", "1000"));
            assertThat(redis.command("ZSCORE", INDEX, "t1")).as(state).isEqualTo("1000");
        }
    }

    @Test
    void extendNeverCreatesAKey() {
        assertThat(extend("t1", 60_000)).isEqualTo(0L);

        assertThat(redis.command("DBSIZE")).isEqualTo(0L);
    }

    @Test
    void extendUpdatesAnIndexEntryButNeverAddsOne() {
        redis.command("HSET", TX, "st", "P", "lease", "1000");
        redis.command("ZADD", INDEX, "5", "other");

        assertThat(extend("t1", 60_000)).isEqualTo(1L);

        assertThat((String) redis.command("HGET", TX, "lease")).isNotEqualTo("1000");
        assertThat(redis.command("ZRANGE", INDEX, "0", "-1", "WITHSCORES")).isEqualTo(List.of("other", "5"));

        redis.command("DEL", INDEX);
        assertThat(extend("t1", 60_000)).isEqualTo(1L);
        assertThat(redis.command("EXISTS", INDEX)).as("no index made").isEqualTo(0L);
    }

    // ---- intents.lua ----

    private static List<?> intents(String... args) {
        String[] all = new String[4 + args.length];
        all[0] = "EVAL";
        all[1] = LuaScript.ADMIN_INTENTS.body();
        all[2] = "1";
        all[3] = INDEX;
        System.arraycopy(args, 0, all, 4, args.length);
        return (List<?>) redis.command(all);
    }

    @Test
    void intentsListsTheIndexOldestLeaseFirstAndSkipsAnIdWhoseKeyIsGone() {
        redis.command("HSET", TX, "st", "P", "lease", "2000", "created", "500", "pn", "a", "primary", "1");
        redis.command("ZADD", INDEX, "2000", "t1", "1000", "gone");

        List<?> reply = intents(KeyLayout.DEFAULT.transactionPrefix(), "10");

        // time, then t1 alone: no locks or staged writes on this hand-made intent
        assertThat(reply.subList(1, reply.size()))
                .isEqualTo(List.of("t1", "P", "2000", "500", "a", "1", "0", "0", "0"));
        assertThat(Long.parseLong((String) reply.get(0))).isGreaterThan(2000L);
    }

    @Test
    void intentsSaysWhetherAKeyIsSettledAndOnlyWaitsForItsRetention() {
        redis.command("HSET", TX, "st", "A", "lease", "2000", "primary", "1");
        redis.command("PEXPIRE", TX, "60000");

        List<?> reply = intents(KeyLayout.DEFAULT.transactionPrefix(), "1", "t1", "t2");

        assertThat(reply.subList(1, reply.size())).isEqualTo(List.of("t1", "A", "2000", "", "", "1", "1", "0", "0"));
    }

    // ---- key_locks.lua ----

    @Test
    void keyLocksReportsEachOwnerWithItsIntentAndEachLockKindsHolders() {
        Keys keys = new Keys(KeyLayout.DEFAULT.namespace());
        redis.command("HSET", keys.lockKey("k"), "t1", "w", "t9", "r");
        redis.command("HSET", TX, "st", "P", "lease", "2000");
        String holders = keys.lockHolders("l", "k");
        redis.command("HSET", holders, "h1", "7|3000|x");
        redis.command("SET", Keys.lockSequence(holders), "7");
        String[] scriptKeys = {
            keys.lockKey("k"),
            holders,
            Keys.lockSequence(holders),
            keys.lockHolders("rw", "k"),
            Keys.lockSequence(keys.lockHolders("rw", "k")),
            keys.lockHolders("s", "k"),
            Keys.lockSequence(keys.lockHolders("s", "k"))
        };
        String[] args = new String[4 + scriptKeys.length];
        args[0] = "EVAL";
        args[1] = LuaScript.ADMIN_KEY_LOCKS.body();
        args[2] = Integer.toString(scriptKeys.length);
        System.arraycopy(scriptKeys, 0, args, 3, scriptKeys.length);
        args[args.length - 1] = KeyLayout.DEFAULT.transactionPrefix();

        List<?> reply = (List<?>) redis.command(args);

        assertThat(reply.subList(1, reply.size()))
                .isEqualTo(List.of(
                        "2",
                        "t1",
                        "w",
                        "P",
                        "2000",
                        "t9",
                        "r",
                        "",
                        "", // t9 has no intent: a stale entry
                        "7",
                        "1",
                        "h1",
                        "7|3000|x", // the lock
                        "",
                        "0", // no read/write lock
                        "",
                        "0")); // no semaphore
    }
}
