package io.redtx.api;

/**
 * The names of the keys redtx keeps in Redis for itself, all under a namespace ({@link RuntimeOptions#namespace()},
 * {@code redtx:} by default): the one place that spells them, for the runtime and for tools that look at what it left
 * (test assertions, an operator's scan). The whole layout, with what each key holds, is in the project's
 * {@code docs/protocol.md} ("Keys redtx writes").
 *
 * <ul>
 *   <li>{@code <ns>lk:...}: the lock of one user key (three forms, so that it lands in its key's Cluster slot);
 *   <li>{@code <ns>tx:<id>}, on a Cluster {@code <ns>tx:{<slot tag>}<id>}: a transaction's intent, record or settled
 *       marker on one shard;
 *   <li>{@code <ns>idx}, on a Cluster {@code <ns>idx:{<slot tag>}}: the intent index of a shard;
 *   <li>{@code <ns>1pc:<bucket>}, on a Cluster {@code <ns>1pc:{<slot tag>}<bucket>}: one-phase commits' markers;
 *   <li>{@code <ns>sg:{<saga id>}}, {@code <ns>sgl:{<saga id>}} and {@code <ns>sgi}: a saga's record, its runner's
 *       lease, and a participant's index of unfinished sagas.
 * </ul>
 *
 * <p>Immutable.
 */
public final class KeyLayout {

    /** The layout under {@link RuntimeOptions#DEFAULT_NAMESPACE}. */
    public static final KeyLayout DEFAULT = new KeyLayout(RuntimeOptions.DEFAULT_NAMESPACE);

    private final String namespace;
    // The prefixes, made once: the runtime asks for some on every commit.
    private final String lockPrefix;
    private final String transactionPrefix;
    private final String indexKey;
    private final String onePhasePrefix;
    private final String distributedLockPrefix;
    private final String fencePrefix;
    private final String processedPrefix;

    private KeyLayout(String namespace) {
        this.namespace = namespace;
        this.lockPrefix = namespace + "lk:";
        this.transactionPrefix = namespace + "tx:";
        this.indexKey = namespace + "idx";
        this.onePhasePrefix = namespace + "1pc:";
        this.distributedLockPrefix = namespace + "dl:";
        this.fencePrefix = namespace + "fn:";
        this.processedPrefix = namespace + "pm:";
    }

    /**
     * @param namespace the prefix of every key: non-empty, without '{' or '}' (they would change Redis Cluster hash
     *     slots)
     * @return the layout under it
     * @throws IllegalArgumentException for a namespace that cannot be one
     */
    public static KeyLayout of(String namespace) {
        if (namespace == null || namespace.isEmpty() || namespace.contains("{") || namespace.contains("}")) {
            throw new IllegalArgumentException("namespace must be non-empty and contain no '{' or '}', was "
                    + (namespace == null ? "null" : "'" + namespace + "'"));
        }
        return new KeyLayout(namespace);
    }

    /** @return the namespace, the prefix of every key here */
    public String namespace() {
        return namespace;
    }

    /** @return what every lock key starts with: {@code <ns>lk:} */
    public String lockPrefix() {
        return lockPrefix;
    }

    /**
     * @return what a transaction id is appended to for its key on a standalone or Sentinel participant, {@code
     *     <ns>tx:} (on a Cluster a slot tag comes between)
     */
    public String transactionPrefix() {
        return transactionPrefix;
    }

    /** @return the intent index of a standalone or Sentinel participant, {@code <ns>idx} (on a Cluster, one per slot) */
    public String indexKey() {
        return indexKey;
    }

    /**
     * @return what the bucket of one-phase markers is appended to on a standalone or Sentinel participant, {@code
     *     <ns>1pc:} (on a Cluster a slot tag comes between)
     */
    public String onePhasePrefix() {
        return onePhasePrefix;
    }

    /**
     * @return what the keys of every distributed lock start with, {@code <ns>dl:}: its holders, its token sequence
     *     (kept forever, so tokens keep increasing), its waiters
     */
    public String distributedLockPrefix() {
        return distributedLockPrefix;
    }

    /** @return what the key holding the newest fencing token of a resource starts with, {@code <ns>fn:} */
    public String fencePrefix() {
        return fencePrefix;
    }

    /**
     * @return what the processed markers of {@link io.redtx.api.TransactionRuntime#consumeTransactionally} start with,
     *     {@code <ns>pm:}: one per message processed, in its stream's Cluster slot, expiring after {@link
     *     io.redtx.api.message.ConsumerOptions#processedRetention()}
     */
    public String processedPrefix() {
        return processedPrefix;
    }

    /**
     * @return what the record of a saga starts with, {@code <ns>sg:}: the saga's id follows as a hash tag,
     *     {@code <ns>sg:{<saga id>}}, a string holding the whole record
     */
    public String sagaPrefix() {
        return namespace + "sg:";
    }

    /**
     * @return what the lease of a saga's runner starts with, {@code <ns>sgl:}: {@code <ns>sgl:{<saga id>}}, in the
     *     record's Cluster slot
     */
    public String sagaLeasePrefix() {
        return namespace + "sgl:";
    }

    /**
     * @return the index of the unfinished sagas whose records a participant holds, {@code <ns>sgi}: a hash from saga
     *     id to definition name, read by recovery passes
     */
    public String sagaIndexKey() {
        return namespace + "sgi";
    }

    /** @return a {@code SCAN}/{@code KEYS} pattern matching every lock key */
    public String lockKeyPattern() {
        return glob(lockPrefix()) + "*";
    }

    /** @return a {@code SCAN}/{@code KEYS} pattern matching every transaction key, on any participant */
    public String transactionKeyPattern() {
        return glob(transactionPrefix()) + "*";
    }

    /** @return a {@code SCAN}/{@code KEYS} pattern matching every intent index, on any participant */
    public String indexKeyPattern() {
        return glob(indexKey()) + "*";
    }

    /**
     * @param text literal text
     * @return {@code text} with the characters that {@code SCAN}'s {@code MATCH} gives a meaning escaped
     */
    public static String glob(String text) {
        StringBuilder b = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                b.append('\\');
            }
            b.append(c);
        }
        return b.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeyLayout other && other.namespace.equals(namespace);
    }

    @Override
    public int hashCode() {
        return namespace.hashCode();
    }

    @Override
    public String toString() {
        return "KeyLayout{" + namespace + "}";
    }
}
