package io.redtx.runtime.internal.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The protocol's Lua scripts, loaded once per JVM from resources. Each script is {@code lib.lua} followed by its own
 * body, behind a {@code #!lua} shebang: with it Redis refuses a writing script up front when out of memory, instead of
 * failing half-way through.
 */
public enum LuaScript {
    READ("read.lua", true),
    COMMIT_ONE_PHASE("commit1pc.lua", false),
    PREPARE("prepare.lua", false),
    COMMIT("commit.lua", false),
    ABORT("abort.lua", false),
    EXTEND("extend.lua", false),
    FORGET("forget.lua", false),
    EXT_DONE("ext_done.lua", false),
    UNLOCK("unlock.lua", false),
    INSPECT("inspect.lua", true),
    LOCK_ACQUIRE("lock_acquire.lua", false),
    LOCK_RENEW("lock_renew.lua", false),
    LOCK_RELEASE("lock_release.lua", false),
    STREAM_READ("stream_read.lua", false),
    STREAM_ACK("stream_ack.lua", false),
    EXPIRED("expired.lua", true),
    /** A reader that met a foreign write intent asks to be woken when it settles. */
    WAIT_MARK("wait_mark.lua", false),
    /** Operators' listing and view of intents (TransactionAdmin). */
    ADMIN_INTENTS("intents.lua", true),
    /** Operators' view of what holds a key (TransactionAdmin.locks). */
    ADMIN_KEY_LOCKS("key_locks.lua", true),
    PROBE("probe.lua", true);

    /**
     * Every command the transactions' scripts call ({@code LuaScriptTest} keeps this equal to what the sources call). A
     * user must be allowed all of them, plus EVALSHA and SCRIPT LOAD; a connection checks them at once.
     */
    public static final List<String> CALLED_COMMANDS = List.of(
            "get", "set", "del", "exists", "hget", "hset", "hdel", "hgetall", "hlen", "type", "time", "zadd", "zrem",
            "zrange", "pexpire", "pttl", "xadd", "xack");

    /**
     * What the lock scripts call beyond {@link #CALLED_COMMANDS}: needed only by users of distributed locks (with
     * SUBSCRIBE and the lock channels), so a connection does not insist on them.
     */
    public static final List<String> LOCK_COMMANDS = List.of("incr", "publish", "zscore");

    /**
     * What every script may call to wake readers that wait for an intent to settle ({@code lib.lua}'s
     * {@code wake_readers}, with {@code redis.pcall}): a user without it (or without the channel) leaves those readers
     * to their timers, so a connection does not insist on it.
     */
    public static final List<String> WAKE_COMMANDS = List.of("publish");

    /**
     * What the stream consumers' scripts call beyond {@link #CALLED_COMMANDS}: needed only by consumers, so a
     * connection does not insist on them.
     */
    public static final List<String> CONSUMER_COMMANDS =
            List.of("xreadgroup", "xautoclaim", "xpending", "xgroup", "xinfo");

    private final String body;
    private final String sha;

    LuaScript(String resource, boolean readOnly) {
        this.body = (readOnly ? "#!lua flags=no-writes\n" : "#!lua\n") + load("lib.lua") + "\n" + load(resource);
        this.sha = sha1(body);
    }

    /**
     * @return whether, on a participant that requires replicas ({@code Replication}), the script's answer may be acted
     *     upon only once they hold what the master held when it ran: every script but the reads inside a transaction
     *     (the commit validates them, and waits), the permission probe and a reader's request to be woken (a hint)
     */
    boolean waitsForReplicas() {
        return this != READ && this != PROBE && this != WAIT_MARK;
    }

    /** @return the full script text sent by SCRIPT LOAD */
    String body() {
        return body;
    }

    /** @return the SHA-1 digest Redis knows the script by */
    String sha() {
        return sha;
    }

    private static String load(String name) {
        try (InputStream in = LuaScript.class.getResourceAsStream("lua/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing script resource io/redtx/runtime/internal/redis/lua/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha1(String text) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
