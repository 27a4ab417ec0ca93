package io.redtx.runtime.internal.redis;

import io.redtx.api.TransactionConflictException;
import java.util.List;

/**
 * What {@code prepare.lua} and {@code commit1pc.lua} answer (their headers are the contract: {@code {'OK'} |
 * {'SETTLED', state} | {'CONFLICT', keyIndex, reason, detail} | {'WRONGTYPE', keyIndex, type, ''}}, where reason
 * {@code LOCK_LOST} is a required lock lease no longer held), decoded once.
 */
public sealed interface CommitReply {

    /** Prepared, or committed in one phase. */
    record Ok() implements CommitReply {}

    /** A prepare refused because the transaction is already settled on that shard (a tombstone, say). */
    record Settled(RecordState state) implements CommitReply {}

    /**
     * A key refused the transaction.
     *
     * @param keyIndex the key's position among the script's keys, from 0
     * @param reason why
     * @param holder the transaction holding the key, or "" if none
     */
    record Conflict(int keyIndex, TransactionConflictException.Reason reason, String holder) implements CommitReply {}

    /**
     * A key holds a type the transaction's write does not fit.
     *
     * @param keyIndex the key's position among the script's keys, from 0
     * @param type the type it holds
     */
    record WrongType(int keyIndex, String type) implements CommitReply {}

    /**
     * A distributed lock's lease the transaction required was no longer held at the commit.
     *
     * @param keyIndex the position of the lock's holders key among the script's keys, from 0
     */
    record LockLost(int keyIndex) implements CommitReply {}

    Ok OK = new Ok();

    /**
     * @param reply the script's reply
     * @return it decoded
     * @throws IllegalStateException for a reply no script gives (a script and this decoder out of step)
     */
    public static CommitReply of(List<Object> reply) {
        String status = String.valueOf(reply.get(0));
        switch (status) {
            case "OK":
                return OK;
            case "SETTLED":
                return new Settled(RecordState.of(reply.get(1)));
            case "CONFLICT":
                if ("LOCK_LOST".equals(reply.get(2))) {
                    return new LockLost(((Long) reply.get(1)).intValue() - 1);
                }
                return new Conflict(
                        ((Long) reply.get(1)).intValue() - 1,
                        TransactionConflictException.Reason.valueOf(String.valueOf(reply.get(2))),
                        String.valueOf(reply.get(3)));
            case "WRONGTYPE":
                return new WrongType(((Long) reply.get(1)).intValue() - 1, String.valueOf(reply.get(2)));
            default:
                throw new IllegalStateException("unexpected script reply " + reply);
        }
    }
}
