package io.redtx.api.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConsistentHashRouterTest {

    private static final int KEYS = 100_000;

    private static List<String> servers(int n) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            names.add("s" + i);
        }
        return names;
    }

    @Test
    void placementIsFixedAcrossVersionsBecauseItPlacesData() {
        KeyRouter r = KeyRouter.consistentHashing(servers(3));
        Map<String, String> placed = new HashMap<>();
        for (String k : List.of("acct:0", "acct:1", "acct:2", "acct:3", "user:42", "{x}y", "é")) {
            placed.put(k, r.participantFor(k));
        }
        // Computed once with the shipped hash; a change here moves users' keys between servers.
        assertThat(placed)
                .containsExactlyInAnyOrderEntriesOf(Map.of(
                        "acct:0", "s1", "acct:1", "s2", "acct:2", "s0", "acct:3", "s2", "user:42", "s0", "{x}y", "s2",
                        "é", "s0"));
    }

    @Test
    void placementDependsOnTheNamesNotTheirOrder() {
        KeyRouter forward = KeyRouter.consistentHashing(List.of("a", "b", "c", "d"));
        KeyRouter backward = KeyRouter.consistentHashing(List.of("d", "c", "b", "a"));
        for (int i = 0; i < 10_000; i++) {
            assertThat(backward.participantFor("k" + i)).isEqualTo(forward.participantFor("k" + i));
        }
        assertThat(forward.participants()).containsExactly("a", "b", "c", "d");
    }

    @Test
    void keysSpreadOverEveryParticipantWithinTwentyPercentOfAnEvenShare() {
        for (int n : new int[] {2, 3, 5, 8}) {
            KeyRouter r = KeyRouter.consistentHashing(servers(n));
            Map<String, Integer> load = new HashMap<>();
            for (int i = 0; i < KEYS; i++) {
                load.merge(r.participantFor("acct:" + i), 1, Integer::sum);
            }
            assertThat(load).as("n=%d", n).hasSize(n);
            double even = (double) KEYS / n;
            assertThat(load.values())
                    .as("n=%d: %s", n, load)
                    .allSatisfy(c -> assertThat(c / even).isBetween(0.80, 1.20));
        }
    }

    @Test
    void addingAParticipantMovesAboutOneInNPlusOneKeysAllToTheNewOne() {
        for (int n = 1; n <= 8; n++) {
            KeyRouter before = KeyRouter.consistentHashing(servers(n));
            List<String> grown = servers(n + 1);
            String added = grown.get(n);
            KeyRouter after = KeyRouter.consistentHashing(grown);
            int moved = 0;
            for (int i = 0; i < KEYS; i++) {
                String key = "acct:" + i;
                String from = before.participantFor(key);
                String to = after.participantFor(key);
                if (!from.equals(to)) {
                    moved++;
                    assertThat(to).as(key).isEqualTo(added);
                }
            }
            double ideal = 1.0 / (n + 1);
            // 160 virtual nodes: measured 0.11 to 0.50 for n = 1..8, within a quarter of the ideal share.
            assertThat((double) moved / KEYS).as("%d -> %d", n, n + 1).isBetween(ideal * 0.75, ideal * 1.25);
        }
    }

    @Test
    void removingAParticipantMovesOnlyItsKeys() {
        KeyRouter full = KeyRouter.consistentHashing(servers(4));
        KeyRouter without = KeyRouter.consistentHashing(List.of("s0", "s1", "s3"));
        for (int i = 0; i < KEYS; i++) {
            String key = "acct:" + i;
            String was = full.participantFor(key);
            if (!was.equals("s2")) {
                assertThat(without.participantFor(key)).as(key).isEqualTo(was);
            }
        }
    }

    @Test
    void moreVirtualNodesSpreadMoreEvenly() {
        assertThat(spread(KeyRouter.consistentHashing(servers(4), 1024)))
                .isLessThan(spread(KeyRouter.consistentHashing(servers(4), 8)));
    }

    private static double spread(KeyRouter r) {
        Map<String, Integer> load = new HashMap<>();
        for (int i = 0; i < KEYS; i++) {
            load.merge(r.participantFor("acct:" + i), 1, Integer::sum);
        }
        int[] counts = load.values().stream().mapToInt(Integer::intValue).toArray();
        return (double) Arrays.stream(counts).max().orElseThrow()
                / Arrays.stream(counts).min().orElseThrow();
    }

    @Test
    void badArgumentsAreRefused() {
        assertThatThrownBy(() -> KeyRouter.consistentHashing(List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one participant");
        assertThatThrownBy(() -> KeyRouter.consistentHashing(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one participant");
        assertThatThrownBy(() -> KeyRouter.consistentHashing(List.of("a", "a")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'a' is listed twice");
        assertThatThrownBy(() -> KeyRouter.consistentHashing(Arrays.asList("a", null)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must not be null or empty");
        assertThatThrownBy(() -> KeyRouter.consistentHashing(List.of("a"), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("virtualNodes must be 1 to 4096, was 0");
        assertThatThrownBy(() -> KeyRouter.consistentHashing(List.of("a"), 4097))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("virtualNodes must be 1 to 4096, was 4097");
    }

    @Test
    void oneParticipantTakesEveryKey() {
        KeyRouter r = KeyRouter.consistentHashing(List.of("only"), 1);
        for (int i = 0; i < 1000; i++) {
            assertThat(r.participantFor("k" + i)).isEqualTo("only");
        }
        assertThat(r).hasToString("consistentHashing([only], 1 virtual nodes)");
    }
}
