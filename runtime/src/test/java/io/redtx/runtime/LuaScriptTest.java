package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class LuaScriptTest {

    private static final Pattern CALL = Pattern.compile("redis\\.p?call\\('([A-Z]+)'");

    @Test
    void calledCommandsListIsExactlyWhatTheScriptsCall() {
        Set<String> called = new TreeSet<>();
        for (LuaScript script : LuaScript.values()) {
            Matcher m = CALL.matcher(script.body());
            while (m.find()) {
                called.add(m.group(1).toLowerCase());
            }
        }
        assertThat(called).containsExactlyInAnyOrderElementsOf(LuaScript.CALLED_COMMANDS);
    }

    @Test
    void everyScriptHasAShebangAndADistinctDigest() {
        assertThat(LuaScript.values()).allSatisfy(s -> assertThat(s.body()).startsWith("#!lua"));
        assertThat(Arrays.stream(LuaScript.values()).map(LuaScript::sha).distinct())
                .hasSize(LuaScript.values().length);
    }
}
