/**
 * Sagas: a named, ordered list of steps whose progress is kept in Redis and advanced in the same redtx transaction as
 * each transaction step's own writes, so that a runner that dies is resumed by recovery in any runtime that registers
 * the definition, forward or backward as the record says, never both and never neither. Define one with
 * {@link io.redtx.api.saga.SagaDefinition#builder(String)}, register it with
 * {@link io.redtx.api.RuntimeOptions.Builder#saga(SagaDefinition)} and start it with
 * {@link io.redtx.api.TransactionRuntime#saga(String)}. See docs/sagas.md.
 */
package io.redtx.api.saga;
