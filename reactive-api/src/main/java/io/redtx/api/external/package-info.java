/**
 * Flexible transactions: work outside Redis that joins a transaction as a TCC participant ({@link
 * io.redtx.api.external.ExternalParticipant}), decided by the transaction's record in Redis.
 */
package io.redtx.api.external;
