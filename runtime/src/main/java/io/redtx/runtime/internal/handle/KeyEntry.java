package io.redtx.runtime.internal.handle;

import io.redtx.api.lock.LockLease;
import io.redtx.runtime.internal.lock.Lease;
import io.redtx.runtime.internal.protocol.StagedKey;
import io.redtx.runtime.internal.redis.Shard;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The read set and the buffered writes of one key in one transaction. Guarded by the owning transaction's monitor:
 * critical sections are short and never wait on I/O, so they are safe on event-loop threads.
 */
final class KeyEntry implements StagedKey {

    enum WriteKind {
        NONE,
        STRING,
        DELETE,
        HASH
    }

    /** Where the key lives: its participant, or the Cluster slot of its participant. */
    final Shard shard;

    final String key;
    final String lockKey;

    // Read set: what this transaction saw, checked again at commit.
    boolean stringRead;
    String stringSeen;
    Boolean existsSeen;
    Map<String, String> fieldsSeen; // field -> value seen, null value = field absent
    Map<String, String> hashSeen; // the whole hash as seen, null = not read
    final List<String> conditions = new ArrayList<>(0); // encoded checks: "c", value | "a"

    // Write set.
    WriteKind write = WriteKind.NONE;
    String stringValue;
    long stringTtlMillis; // a string write's expiry, 0 for none
    boolean hashReplace;
    Map<String, String> hashOverlay; // field -> new value, null value = field deleted

    KeyEntry(Shard shard, String key, String lockKey) {
        this.shard = shard;
        this.key = key;
        this.lockKey = lockKey;
    }

    @Override
    public Shard shard() {
        return shard;
    }

    @Override
    public String key() {
        return key;
    }

    @Override
    public String lockKey() {
        return lockKey;
    }

    /** A lock lease the commit checks on this key (the lock's holders key), or null. */
    LockLease requiredLease;

    @Override
    public LockLease requiredLease() {
        return requiredLease;
    }

    /**
     * Messages this transaction appends to the key, a stream (each: trim strategy, approximate, threshold, then field
     * and value pairs); null if the key is not published to. A stream key takes no other command in the transaction.
     */
    List<List<String>> streamAppends;

    /** Entries this transaction acknowledges in the stream: group and entry id pairs; empty if none. */
    final List<String> streamAcks = new ArrayList<>(0);

    @Override
    public boolean appends() {
        return streamAppends != null;
    }

    @Override
    public boolean writes() {
        return write != WriteKind.NONE || streamAppends != null;
    }

    void setString(String value) {
        setString(value, 0);
    }

    /** @param ttlMillis the key's expiry once written, 0 for none */
    void setString(String value, long ttlMillis) {
        write = WriteKind.STRING;
        stringValue = value;
        stringTtlMillis = ttlMillis;
        hashOverlay = null;
    }

    void delete() {
        write = WriteKind.DELETE;
        stringValue = null;
        hashOverlay = null;
    }

    /** Starts or continues a hash write; after a string write or a delete, the hash is replaced as a whole. */
    Map<String, String> hashWrite() {
        if (write != WriteKind.HASH) {
            hashReplace = write != WriteKind.NONE;
            write = WriteKind.HASH;
            stringValue = null;
            hashOverlay = new LinkedHashMap<>();
        }
        return hashOverlay;
    }

    void recordField(String field, String value) {
        if (fieldsSeen == null) {
            fieldsSeen = new HashMap<>();
        }
        fieldsSeen.putIfAbsent(field, value);
    }

    /** Appends this key's spec (see lib.lua) to {@code args}. */
    @Override
    public void encode(List<String> args) {
        args.add(streamAppends != null ? "a" : writes() ? "w" : "r");
        int countAt = args.size();
        args.add(null);
        int checks = 0;
        if (stringRead) {
            checks++;
            if (stringSeen == null) {
                args.add("x");
            } else {
                args.add("v");
                args.add(stringSeen);
            }
        }
        if (existsSeen != null) {
            checks++;
            args.add(existsSeen ? "e" : "x");
        }
        if (fieldsSeen != null) {
            for (Map.Entry<String, String> f : fieldsSeen.entrySet()) {
                checks++;
                if (f.getValue() == null) {
                    args.add("g");
                    args.add(f.getKey());
                } else {
                    args.add("f");
                    args.add(f.getKey());
                    args.add(f.getValue());
                }
            }
        }
        if (hashSeen != null) {
            checks++;
            args.add("h");
            args.add(Integer.toString(hashSeen.size()));
            hashSeen.forEach((f, v) -> {
                args.add(f);
                args.add(v);
            });
        }
        if (requiredLease instanceof Lease lease) {
            checks++;
            args.add("l");
            args.add(lease.holder());
            args.add(Long.toString(lease.token()));
        }
        for (int i = 0; i < conditions.size(); ) {
            checks++;
            String kind = conditions.get(i++);
            args.add(kind);
            if (kind.equals("c")) {
                args.add(conditions.get(i++));
            }
        }
        args.set(countAt, Integer.toString(checks));
        if (writes()) {
            encodeWrite(args);
        }
    }

    private void encodeWrite(List<String> args) {
        int countAt = args.size();
        args.add(null);
        if (streamAppends != null) {
            args.add("x");
            args.add(Integer.toString(streamAppends.size()));
            streamAppends.forEach(args::addAll);
            args.add(Integer.toString(streamAcks.size() / 2));
            args.addAll(streamAcks);
            args.set(countAt, Integer.toString(args.size() - countAt - 1));
            return;
        }
        switch (write) {
            case STRING -> {
                args.add(stringTtlMillis > 0 ? "p" : "s");
                args.add(stringValue);
                if (stringTtlMillis > 0) {
                    args.add(Long.toString(stringTtlMillis));
                }
            }
            case DELETE -> args.add("d");
            case HASH -> {
                args.add("h");
                args.add(hashReplace ? "1" : "0");
                int setAt = args.size();
                args.add(null);
                int sets = 0;
                List<String> deletes = new ArrayList<>();
                for (Map.Entry<String, String> f : hashOverlay.entrySet()) {
                    if (f.getValue() == null) {
                        deletes.add(f.getKey());
                    } else {
                        sets++;
                        args.add(f.getKey());
                        args.add(f.getValue());
                    }
                }
                args.set(setAt, Integer.toString(sets));
                args.add(Integer.toString(deletes.size()));
                args.addAll(deletes);
            }
            default -> throw new IllegalStateException("no write for " + key);
        }
        args.set(countAt, Integer.toString(args.size() - countAt - 1));
    }
}
