package io.redtx.runtime.internal.redis;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class KeysTest {

    private final Keys keys = new Keys("redtx:");

    @Test
    void userKeyOfLockReadsEachFormOfLockKeyBack() {
        for (String key : new String[] {"acct:1", "{alice}:checking", "a}b", "}", "x{}y}", "é"}) {
            assertThat(keys.userKeyOfLock(keys.lockKey(key))).as(key).isEqualTo(key);
        }
    }

    @Test
    void userKeyOfLockLeavesAKeyThatIsNoLockKeyAsItIs() {
        assertThat(keys.userKeyOfLock("other:lk:{x}")).isEqualTo("other:lk:{x}");
        assertThat(keys.userKeyOfLock("redtx:lk:")).isEqualTo("redtx:lk:");
    }
}
