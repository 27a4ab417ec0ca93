package io.redtx.benchmarks;

import static io.redtx.samples.load.Format.f;

/**
 * What the resharding of a cluster round of {@link ClusterBenchmark} did to the transactions of its measured window.
 *
 * @param migrations migrations finished in the round
 * @param keysMoved keys they moved
 * @param transfers transfers that met a slot being migrated: {met, committed}
 * @param audits audits that met a slot being migrated: {met, committed}
 */
record Resharding(int migrations, long keysMoved, long[] transfers, long[] audits) {
    static final Resharding NONE = new Resharding(0, 0, new long[2], new long[2]);

    Resharding plus(Resharding o) {
        return new Resharding(
                migrations + o.migrations,
                keysMoved + o.keysMoved,
                new long[] {transfers[0] + o.transfers[0], transfers[1] + o.transfers[1]},
                new long[] {audits[0] + o.audits[0], audits[1] + o.audits[1]});
    }

    String describe() {
        return f(
                "%d migrations (%d keys moved); on a migrating slot: transfers %s, audits %s",
                migrations, keysMoved, share(transfers), share(audits));
    }

    static String share(long[] c) {
        return f("%d of %d committed (%.1f%%)", c[1], c[0], c[0] == 0 ? Double.NaN : 100.0 * c[1] / c[0]);
    }
}
