/**
 * Sagas: the record of each running saga in Redis, the runner that drives it one recorded transition at a time, and
 * the recovery of sagas whose runner went away. Not API; see docs/sagas.md.
 */
package io.redtx.runtime.internal.saga;
