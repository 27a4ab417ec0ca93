/**
 * Distributed locks with fencing tokens: an exclusive lock, a read/write lock and a counting semaphore, held on one
 * participant, renewed while held, and checkable by transactions ({@link io.redtx.api.Transaction#requireLock}).
 * Obtain them from {@link io.redtx.api.TransactionRuntime#lock(String)} and its siblings; see docs/locks.md for what
 * the fencing guarantees and what it does not.
 */
package io.redtx.api.lock;
