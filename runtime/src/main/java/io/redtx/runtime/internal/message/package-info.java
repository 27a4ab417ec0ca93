/**
 * Stream consumers: reading a consumer group with backpressure, reclaiming and dead-lettering in one script per read,
 * and the transactional handling of deliveries (a processed marker and the acknowledgement staged in the handler's
 * transaction). Internal: not API.
 */
package io.redtx.runtime.internal.message;
