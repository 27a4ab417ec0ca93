package io.redtx.api;

/**
 * What a participant's persistence settings let redtx promise about acknowledged commits, read from the server
 * ({@code CONFIG GET appendonly}, {@code CONFIG GET appendfsync}, {@code INFO replication}).
 *
 * @param participant the participant name
 * @param level what survives a restart
 * @param appendOnly whether AOF is on ({@code false} also when unknown)
 * @param appendFsync the AOF fsync policy ({@code always}, {@code everysec}, {@code no}), or empty when unknown
 * @param connectedReplicas replicas connected to it (of a Cluster, the fewest any master has); they keep a step
 *     through a failover only when redtx waits for them ({@link RuntimeOptions.Builder#replication})
 * @param detail why the level is {@link Level#UNKNOWN}, or empty
 */
public record ParticipantDurability(
        String participant, Level level, boolean appendOnly, String appendFsync, int connectedReplicas, String detail) {

    /** What survives a restart of the participant. */
    public enum Level {
        /** AOF with {@code appendfsync always}: every acknowledged commit survives a crash and restart, power loss too. */
        EVERY_WRITE_SYNCED,
        /**
         * AOF with {@code everysec} or {@code no}: survives a process crash (the OS still writes the page cache), but a
         * machine crash can lose about the last second of acknowledged commits.
         */
        PERIODIC,
        /** No AOF: a restart loses acknowledged commits (at best back to the last RDB snapshot). */
        NONE,
        /** The settings could not be read (for example the ACL user lacks {@code CONFIG GET}). */
        UNKNOWN
    }
}
