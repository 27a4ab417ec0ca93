package io.redtx.runtime.internal.redis;

import java.util.List;

/**
 * The state of a transaction's key on one shard, as the scripts keep it in its field {@code st} and return it ({@code
 * commit.lua}, {@code abort.lua}, {@code inspect.lua}): decoded here, once.
 */
public enum RecordState {
    /** {@code P}: prepared, not decided. */
    PREPARED,
    /** {@code C}: committed (the record, a secondary's marker, or a one-phase commit's marker). */
    COMMITTED,
    /** {@code A}: aborted (the record or a tombstone). */
    ABORTED,
    /** {@code NONE}: nothing known here (never prepared, or its marker expired). */
    NONE;

    /**
     * @param reply what {@code commit.lua} answers: {@code {'C'} | {'A'} | {'NONE'}}
     * @return its state
     */
    public static RecordState ofCommitReply(List<Object> reply) {
        return of(reply.get(0));
    }

    /**
     * @param st what a script returned
     * @return its state
     * @throws IllegalStateException for a value no script returns (a script and this decoder out of step)
     */
    public static RecordState of(Object st) {
        if (st instanceof String s) {
            switch (s) {
                case "P":
                    return PREPARED;
                case "C":
                    return COMMITTED;
                case "A":
                    return ABORTED;
                case "NONE":
                    return NONE;
                default:
                    break;
            }
        }
        throw new IllegalStateException("not a record state: " + st);
    }
}
