/**
 * Distributed locks (docs/locks.md): acquiring in line with a wake-up by Pub/Sub and a timer fallback
 * ({@code DefaultLock}), renewing and releasing a lease ({@code Lease}), and making locks of each kind
 * ({@code Locks}). The scripts are {@code lock_*.lua} beside {@code LuaScript}; a transaction's check of a lease is
 * the {@code 'l'} check of {@code lib.lua}. A change to how locks are held or waited for belongs here. Internal: may
 * change without notice.
 */
package io.redtx.runtime.internal.lock;
