/**
 * Internal: public only so that redtx's own modules can reach it (the fault suite's crash points, the benchmarks'
 * timer). Not part of redtx's API; anything here may change or go without notice. Applications use {@code
 * io.redtx.api} and {@code io.redtx.runtime.RedisTransactionRuntime}.
 */
package io.redtx.runtime.internal;
