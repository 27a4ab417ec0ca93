package io.redtx.benchmarks;

import io.redtx.api.routing.KeyRouter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Measures the default key router ({@link KeyRouter#consistentHashing}): for 1 to 8 participants, the share of keys
 * that move when one participant is added (ideal: 1/(N+1)), and how evenly the keys spread afterwards.
 *
 * <p>{@code java -cp benchmarks/target/redtx-benchmarks.jar io.redtx.benchmarks.KeyMovement [keys]} (default
 * 1,000,000 keys named {@code acct:<i>}).
 */
public final class KeyMovement {

    private KeyMovement() {}

    public static void main(String[] args) {
        int keys = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        System.out.printf("%d keys, %d virtual nodes per participant%n", keys, KeyRouter.DEFAULT_VIRTUAL_NODES);
        System.out.println("change   moved   ideal   moved/ideal   max/even   min/even (after the change)");
        List<String> names = new ArrayList<>(List.of("s0"));
        for (int n = 1; n <= 8; n++) {
            KeyRouter before = KeyRouter.consistentHashing(names);
            names.add("s" + n);
            KeyRouter after = KeyRouter.consistentHashing(names);
            int moved = 0;
            Map<String, Integer> load = new HashMap<>();
            for (int i = 0; i < keys; i++) {
                String key = "acct:" + i;
                String to = after.participantFor(key);
                if (!before.participantFor(key).equals(to)) {
                    moved++;
                }
                load.merge(to, 1, Integer::sum);
            }
            double even = (double) keys / (n + 1);
            System.out.printf(
                    "%d -> %d   %.4f  %.4f   %.2f          %.3f      %.3f%n",
                    n,
                    n + 1,
                    (double) moved / keys,
                    1.0 / (n + 1),
                    (double) moved / keys * (n + 1),
                    Collections.max(load.values()) / even,
                    Collections.min(load.values()) / even);
        }
    }
}
