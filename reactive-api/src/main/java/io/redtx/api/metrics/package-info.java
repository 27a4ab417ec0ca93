/**
 * The metrics SPI of redtx: {@link io.redtx.api.metrics.TransactionMetrics}, which the runtime calls on every commit,
 * abort, conflict, retry, phase, rejection and recovery pass, with {@link io.redtx.api.metrics.TransactionMetrics#NOOP}
 * as the default. The {@code redtx-micrometer} module implements it on a Micrometer {@code MeterRegistry}.
 */
package io.redtx.api.metrics;
