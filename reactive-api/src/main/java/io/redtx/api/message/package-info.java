/**
 * Messages that commit with transactions: consumers of the streams that {@link io.redtx.api.KeyCommands#publish}
 * appends to. {@link io.redtx.api.TransactionRuntime#consume} delivers a consumer group's entries at least once;
 * {@link io.redtx.api.TransactionRuntime#consumeTransactionally} commits each handler's writes with a processed
 * marker and the acknowledgement, so a message delivered twice changes state once. See docs/messages.md.
 */
package io.redtx.api.message;
