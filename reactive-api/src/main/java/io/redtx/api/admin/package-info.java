/**
 * Tools for operators: what redtx has left in Redis and how to settle it by hand. {@link
 * io.redtx.api.admin.TransactionAdmin}, from {@link io.redtx.api.TransactionRuntime#admin()}, lists the transactions
 * in doubt on every participant, shows one with the keys its intents cover, resolves one now, runs a recovery pass,
 * reports durability and shows the locks on a key. The {@code redtx-cli} program and a management endpoint are built
 * on it; see docs/operations.md.
 */
package io.redtx.api.admin;
