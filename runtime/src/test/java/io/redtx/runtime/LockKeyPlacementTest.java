package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.runtime.internal.redis.ClusterSlots;
import io.redtx.runtime.internal.redis.Keys;
import io.redtx.test.redis.RedisServer;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Lock keys against a real cluster-mode server's {@code CLUSTER KEYSLOT}. */
class LockKeyPlacementTest {

    private static final List<String> ODD_KEYS = List.of(
            "acct:1",
            "{user1}:balance",
            "x{user1}y",
            "{}user1",
            "a{}b",
            "a}b",
            "}",
            "{",
            "a{b",
            "ab{",
            "{{x}}",
            "{x}",
            "x",
            "=x",
            "#{0}a}b",
            "é{ü}",
            "a b\nc");

    private static RedisServer node;

    @BeforeAll
    static void start() {
        node = RedisServer.builder().clusterEnabled().start();
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static int keyslot(String key) {
        return ((Long) node.command("CLUSTER", "KEYSLOT", key)).intValue();
    }

    @Test
    void slotMatchesTheServer() {
        for (String key : ODD_KEYS) {
            assertThat(ClusterSlots.slot(key)).as(key).isEqualTo(keyslot(key));
        }
    }

    @Test
    void everySlotHasATagThatTheServerPlacesThere() {
        for (int slot = 0; slot < ClusterSlots.SLOTS; slot += 97) {
            assertThat(keyslot("{" + ClusterSlots.tag(slot) + "}anything")).isEqualTo(slot);
        }
        assertThat(keyslot("{" + ClusterSlots.tag(ClusterSlots.SLOTS - 1) + "}"))
                .isEqualTo(ClusterSlots.SLOTS - 1);
        for (int slot = 0; slot < ClusterSlots.SLOTS; slot++) {
            assertThat(ClusterSlots.slot("{" + ClusterSlots.tag(slot) + "}")).isEqualTo(slot);
        }
    }

    @Test
    void aLockKeyLandsInItsKeysSlotAndNoTwoKeysShareOne() {
        Keys keys = new Keys("redtx:");
        Set<String> locks = new HashSet<>();
        for (String key : ODD_KEYS) {
            String lock = keys.lockKey(key);
            assertThat(keyslot(lock)).as(key + " -> " + lock).isEqualTo(keyslot(key));
            assertThat(lock).startsWith("redtx:lk:");
            assertThat(locks.add(lock)).as("lock %s of %s is unique", lock, key).isTrue();
        }
        // The three forms.
        assertThat(keys.lockKey("x")).isEqualTo("redtx:lk:{x}");
        assertThat(keys.lockKey("{x}")).isEqualTo("redtx:lk:={x}");
        assertThat(keys.lockKey("a}b")).startsWith("redtx:lk:#{").endsWith("}a}b");
    }
}
