/**
 * The benchmarks' load program, {@link io.redtx.benchmarks.LoadBenchmark}: the bank workload as non-atomic Lettuce
 * fan-out, single-server Lua, redtx one-phase and redtx two-phase commits, side by side on the same embedded Redis
 * servers. Packaged as {@code benchmarks/target/redtx-benchmarks.jar}.
 */
package io.redtx.benchmarks;
