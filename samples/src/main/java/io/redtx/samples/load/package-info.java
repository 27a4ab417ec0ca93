/**
 * What the load programs (the bank demo, the benchmarks' load and cluster programs) share: the load's clock and its
 * warm-up, measured and drain windows ({@link io.redtx.samples.load.Phases}), the live progress line
 * ({@link io.redtx.samples.load.ProgressLine}, {@link io.redtx.samples.load.Progress}), latency recording and
 * percentiles ({@link io.redtx.samples.load.Latency}), failure counts by type ({@link io.redtx.samples.load.Counts}),
 * the embedded servers ({@link io.redtx.samples.load.EmbeddedServers}), Reactor's dropped errors
 * ({@link io.redtx.samples.load.DroppedErrors}) and the report's number formats and checks
 * ({@link io.redtx.samples.load.Format}). Not a library API: it changes with the programs.
 */
package io.redtx.samples.load;
