package io.redtx.api.routing;

import java.util.Collection;
import java.util.List;

/**
 * Names the participant that holds a key: the placement {@link io.redtx.api.Transaction#routed()} uses. Set one with
 * {@link io.redtx.api.RuntimeOptions.Builder#keyRouter(KeyRouter)}; the default is {@link #consistentHashing} over
 * every participant, in the order they were added.
 *
 * <p>A router must be a pure function of the key: the same key must get the same participant every time, from every
 * process, for as long as the data lives there. It is called on whatever thread runs the transaction (often a Netty
 * event loop), so it must not block. Inside a participant that is a Redis Cluster, the key's hash slot decides the
 * node; a router only chooses among participants.
 */
@FunctionalInterface
public interface KeyRouter {

    /** Virtual nodes per participant of {@link #consistentHashing(Collection)}. */
    int DEFAULT_VIRTUAL_NODES = 160;

    /**
     * @param key a key, never null or empty
     * @return the name of the participant that holds {@code key}; a name the runtime does not know fails the command
     *     with {@link io.redtx.api.RedtxArgumentException}
     */
    String participantFor(String key);

    /**
     * The participants this router may name, when it knows them in advance; the runtime's options refuse a router
     * that names a participant they do not define.
     *
     * @return the participants, or an empty collection if not known in advance (the default)
     */
    default Collection<String> participants() {
        return List.of();
    }

    /**
     * Consistent hashing with {@link #DEFAULT_VIRTUAL_NODES} virtual nodes per participant: each key goes to the
     * participant owning the first point at or after the key's hash on a ring. Adding one participant to N moves
     * about 1/(N+1) of the keys, all of them to the new participant; removing one moves only its keys. The placement
     * depends only on the participants' names (not their order) and on a hash that is fixed across versions
     * (64-bit FNV-1a of the UTF-8 bytes, then MurmurHash3's finalizer), so renaming a participant moves its keys.
     *
     * @param participants the participant names, at least one, no duplicates
     * @return the router
     * @throws IllegalArgumentException if {@code participants} is empty, holds a duplicate, a null or an empty name
     */
    static KeyRouter consistentHashing(Collection<String> participants) {
        return new ConsistentHashRouter(participants, DEFAULT_VIRTUAL_NODES);
    }

    /**
     * Consistent hashing with a chosen number of virtual nodes per participant: more nodes spread keys more evenly
     * and cost a little more memory ({@code 12} bytes per node) and lookup time ({@code log2} of the node count).
     *
     * @param participants the participant names, at least one, no duplicates
     * @param virtualNodes virtual nodes per participant, 1 to 4096
     * @return the router
     * @throws IllegalArgumentException as {@link #consistentHashing(Collection)}, or if {@code virtualNodes} is out of
     *     range
     */
    static KeyRouter consistentHashing(Collection<String> participants, int virtualNodes) {
        return new ConsistentHashRouter(participants, virtualNodes);
    }
}
