/**
 * The {@code redtx} command-line program for operators, on {@link io.redtx.api.admin.TransactionAdmin}: see {@link
 * io.redtx.cli.RedtxCli} and docs/operations.md#the-redtx-command.
 */
package io.redtx.cli;
