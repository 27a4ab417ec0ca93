/**
 * Micrometer implementations of the redtx observability SPIs: {@link io.redtx.micrometer.MicrometerTransactionMetrics}
 * records what a transaction runtime does in a {@code MeterRegistry}, and
 * {@link io.redtx.micrometer.ObservationTransactionObserver} follows each transaction with one Micrometer
 * {@code Observation} (tracing, and meters through the registry's handlers). Optional: redtx depends on Micrometer only
 * through this module.
 */
package io.redtx.micrometer;
