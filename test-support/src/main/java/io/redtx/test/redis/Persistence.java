package io.redtx.test.redis;

import java.util.List;

/** How a {@link RedisServer} keeps its data; decides the persistence lines of its {@code redis.conf}. */
public enum Persistence {
    /**
     * Nothing on disk ({@code save ""}, {@code appendonly no}): fastest; a kill or restart loses every key. The
     * default.
     */
    IN_MEMORY(List.of("save \"\"", "appendonly no")),

    /**
     * Append-only file with an fsync before every reply ({@code appendonly yes}, {@code appendfsync always},
     * {@code save ""}): every acknowledged write survives {@code kill -9} and {@link RedisServer#restart()}.
     */
    DURABLE(List.of("save \"\"", "appendonly yes", "appendfsync always"));

    private final List<String> configLines;

    Persistence(List<String> configLines) {
        this.configLines = configLines;
    }

    List<String> configLines() {
        return configLines;
    }
}
