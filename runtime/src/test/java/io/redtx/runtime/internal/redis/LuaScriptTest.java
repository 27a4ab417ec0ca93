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
        assertThat(called).containsExactlyInAnyOrderElementsOf(LuaScript.CALLED_COMMANDS);
        byLocks.removeAll(LuaScript.CALLED_COMMANDS);
        assertThat(byLocks).containsExactlyInAnyOrderElementsOf(LuaScript.LOCK_COMMANDS);
        byConsumers.removeAll(LuaScript.CALLED_COMMANDS);
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
}
