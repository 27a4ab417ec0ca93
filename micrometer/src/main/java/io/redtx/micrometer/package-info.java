/**
 * Micrometer implementation of the redtx metrics SPI: {@link io.redtx.micrometer.MicrometerTransactionMetrics}
 * records what a transaction runtime does in a {@code MeterRegistry}. Optional: redtx depends on Micrometer only
 * through this module.
 */
package io.redtx.micrometer;
