/**
 * The transaction handle applications hold: reads through it and their batches, buffered writes, commands on one
 * participant or routed by key ({@code DefaultTransaction}, {@code DefaultTransactionCommands}, {@code ReadBatch},
 * {@code RoutedCommands}). A new command, or a change to what a transaction sees before it commits, belongs here.
 * Internal: may change without notice.
 */
package io.redtx.runtime.internal.handle;
