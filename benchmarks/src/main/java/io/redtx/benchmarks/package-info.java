/**
 * The benchmarks' load programs, packaged as {@code benchmarks/target/redtx-benchmarks.jar}:
 *
 * <ul>
 *   <li>{@link io.redtx.benchmarks.LoadBenchmark}: the bank workload as non-atomic Lettuce fan-out, single-server Lua,
 *       redtx one-phase and redtx two-phase commits, side by side on the same embedded Redis servers;
 *   <li>{@link io.redtx.benchmarks.ClusterBenchmark}: bank two-phase commits on a 3-master Redis Cluster participant
 *       (across hash slots) against 3 standalone participants, alternated in one run;
 *   <li>{@link io.redtx.benchmarks.KeyMovement}: the keys the default key router moves when a participant is added.
 * </ul>
 */
package io.redtx.benchmarks;
