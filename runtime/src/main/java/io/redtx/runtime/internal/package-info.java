/**
 * The runtime's implementation, one sub-package per concern. Public only because the concerns live in separate
 * packages and because redtx's own modules reach a few classes (the fault suite's crash points, the benchmarks' timer).
 * Not part of redtx's API: anything here may change or go without notice. Applications use {@code io.redtx.api} and
 * {@code io.redtx.runtime.RedisTransactionRuntime}.
 *
 * <ul>
 *   <li>{@link io.redtx.runtime.internal.protocol}: the commit protocol (commit process, attempt states, lease keeping,
 *       the resolver, the batched forgets, crash points for tests);
 *   <li>{@link io.redtx.runtime.internal.handle}: the transaction handle (buffered writes, reads and their batches,
 *       routing keys to participants);
 *   <li>{@link io.redtx.runtime.internal.redis}: the Redis side (participants and their connections, shards, the Lua
 *       scripts and their typed replies, key names, Cluster slots, server errors);
 *   <li>{@link io.redtx.runtime.internal.admission}: running units of work (admission, retry delays, telemetry);
 *   <li>this package: the timer shared by all of them ({@link io.redtx.runtime.internal.Deadlines}).
 * </ul>
 */
package io.redtx.runtime.internal;
