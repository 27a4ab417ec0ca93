package io.redtx.api;

import java.util.Objects;

/**
 * The value a transactional function produced, with the commit that made it durable.
 *
 * @param value what the function emitted, or {@code null} if it completed empty
 * @param commit what the commit did
 * @param <T> the value type
 */
public record TransactionResult<T>(T value, CommitResult commit) {

    /**
     * Validates the commit.
     *
     * @param value what the function emitted, or {@code null} if it completed empty
     * @param commit what the commit did, not {@code null}
     */
    public TransactionResult {
        Objects.requireNonNull(commit, "commit");
    }
}
