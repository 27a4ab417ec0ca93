/**
 * Running units of work: admission under the in-flight limit ({@code Admission}), the delays between attempts
 * ({@code RetrySchedule}), one unit of work's attempts ({@code TransactionRun}) and what is reported to metrics and
 * observers ({@code Telemetry}). A change to limits, retries or metrics belongs here. Internal: may change without
 * notice.
 */
package io.redtx.runtime.internal.admission;
