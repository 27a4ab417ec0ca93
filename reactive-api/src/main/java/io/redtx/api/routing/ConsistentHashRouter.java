package io.redtx.api.routing;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** {@link KeyRouter#consistentHashing}: a sorted ring of virtual-node hashes, searched by binary search. */
final class ConsistentHashRouter implements KeyRouter {

    private static final int MAX_VIRTUAL_NODES = 4096;

    private final List<String> participants;
    private final int virtualNodes;
    /** Sorted (signed order) hashes of the virtual nodes, and the participant owning each. */
    private final long[] points;

    private final String[] owners;

    ConsistentHashRouter(Collection<String> participants, int virtualNodes) {
        if (participants == null || participants.isEmpty()) {
            throw new IllegalArgumentException("consistent hashing needs at least one participant");
        }
        if (virtualNodes < 1 || virtualNodes > MAX_VIRTUAL_NODES) {
            throw new IllegalArgumentException(
                    "virtualNodes must be 1 to " + MAX_VIRTUAL_NODES + ", was " + virtualNodes);
        }
        Set<String> names = new LinkedHashSet<>();
        for (String name : participants) {
            if (name == null || name.isEmpty()) {
                throw new IllegalArgumentException("participant names must not be null or empty: " + participants);
            }
            if (!names.add(name)) {
                throw new IllegalArgumentException("participant '" + name + "' is listed twice: " + participants);
            }
        }
        this.participants = List.copyOf(names);
        this.virtualNodes = virtualNodes;
        // Sort (hash, name) pairs: equal hashes (improbable) are ordered by name, so the ring never depends on the
        // order the participants were given in.
        record Point(long hash, String owner) {}
        Point[] ring = new Point[names.size() * virtualNodes];
        int i = 0;
        for (String name : names) {
            for (int v = 0; v < virtualNodes; v++) {
                ring[i++] = new Point(hash(name + '#' + v), name);
            }
        }
        Arrays.sort(ring, (a, b) -> a.hash != b.hash ? Long.compare(a.hash, b.hash) : a.owner.compareTo(b.owner));
        this.points = new long[ring.length];
        this.owners = new String[ring.length];
        for (int j = 0; j < ring.length; j++) {
            points[j] = ring[j].hash;
            owners[j] = ring[j].owner;
        }
    }

    @Override
    public String participantFor(String key) {
        int at = Arrays.binarySearch(points, hash(key));
        if (at < 0) {
            at = -at - 1; // the first point after the hash
        } else {
            while (at > 0 && points[at - 1] == points[at]) {
                at--; // the first of equal points, so that ties go to the smallest name
            }
        }
        return owners[at == points.length ? 0 : at];
    }

    @Override
    public Collection<String> participants() {
        return participants;
    }

    /** 64-bit FNV-1a over the UTF-8 bytes, then MurmurHash3's fmix64 to spread the bits. Fixed: it places data. */
    static long hash(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    @Override
    public String toString() {
        return "consistentHashing(" + participants + ", " + virtualNodes + " virtual nodes)";
    }
}
