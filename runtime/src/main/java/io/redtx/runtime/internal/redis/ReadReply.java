package io.redtx.runtime.internal.redis;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code read.lua} answers for one key (its header is the contract: {@code {'V', value} | {'N'} | {'H', flat
 * field/value list} | {'L', ownerTxid} | {'WRONGTYPE', type}}), decoded once; {@link Participant#readAlone} gives the
 * same answers from single-key commands.
 */
public sealed interface ReadReply {

    /** A string's value, a hash field's value, or for {@code exists} "1" or "0". */
    record Value(String value) implements ReadReply {}

    /** No such key (or field). */
    record Absent() implements ReadReply {}

    /** A whole hash (empty if there is no such key). */
    record Hash(Map<String, String> fields) implements ReadReply {}

    /** Another transaction holds a write intent on the key. */
    record Locked(String owner) implements ReadReply {}

    /** The key holds a type the read does not fit. */
    record WrongType(String type) implements ReadReply {}

    Absent ABSENT = new Absent();

    /** @return the value read, or null if absent */
    default String valueOrNull() {
        return this instanceof Value v ? v.value() : null;
    }

    /**
     * read.lua's whole reply for a batch of reads.
     *
     * @param entries one per key, in order
     * @param staleLocks the lock keys holding a stale entry that the read met (a read-only script cannot remove it)
     */
    record Batch(List<ReadReply> entries, List<String> staleLocks) {

        /**
         * @param reply the script's reply
         * @param reads how many keys it read (a {@code {'STALE', lockKey...}} entry may follow theirs)
         * @return it decoded
         */
        public static Batch of(List<Object> reply, int reads) {
            List<ReadReply> entries = new ArrayList<>(reads);
            for (int i = 0; i < reads; i++) {
                entries.add(ReadReply.of((List<?>) reply.get(i)));
            }
            List<String> stale = List.of();
            if (reply.size() > reads) {
                stale = new ArrayList<>();
                List<?> extra = (List<?>) reply.get(reads);
                if (!"STALE".equals(extra.get(0))) {
                    throw new IllegalStateException("unexpected read.lua entry " + extra);
                }
                for (Object lockKey : extra.subList(1, extra.size())) {
                    stale.add((String) lockKey);
                }
            }
            return new Batch(entries, stale);
        }
    }

    /**
     * @param entry one key's entry of the reply
     * @return it decoded
     * @throws IllegalStateException for an entry the script does not give
     */
    public static ReadReply of(List<?> entry) {
        String status = String.valueOf(entry.get(0));
        switch (status) {
            case "V":
                return new Value((String) entry.get(1));
            case "N":
                return ABSENT;
            case "H":
                List<?> flat = (List<?>) entry.get(1);
                Map<String, String> fields = new HashMap<>(flat.size());
                for (int i = 0; i + 1 < flat.size(); i += 2) {
                    fields.put((String) flat.get(i), (String) flat.get(i + 1));
                }
                return new Hash(fields);
            case "L":
                return new Locked((String) entry.get(1));
            case "WRONGTYPE":
                return new WrongType(String.valueOf(entry.get(1)));
            default:
                throw new IllegalStateException("unexpected read.lua entry " + entry);
        }
    }
}
