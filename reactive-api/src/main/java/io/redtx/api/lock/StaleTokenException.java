package io.redtx.api.lock;

import io.redtx.api.RedtxNonTransientException;

/**
 * A transaction carried a fencing token older than one already seen for the same resource
 * ({@link io.redtx.api.KeyCommands#fence}): a newer holder of the lock has written since. The transaction wrote
 * nothing. Retrying with the same token cannot succeed.
 */
public final class StaleTokenException extends RedtxNonTransientException {

    private static final long serialVersionUID = 1L;

    private final String resource;
    private final long token;
    private final long seen;

    /**
     * @param transactionId the transaction
     * @param resource the fenced resource
     * @param token the token the transaction carried
     * @param seen the newest token seen for the resource
     */
    public StaleTokenException(String transactionId, String resource, long token, long seen) {
        super(
                "fencing token " + token + " for resource '" + resource + "' is older than " + seen
                        + ", already seen: a newer holder has written",
                transactionId,
                null);
        this.resource = resource;
        this.token = token;
        this.seen = seen;
    }

    /** @return the fenced resource */
    public String resource() {
        return resource;
    }

    /** @return the token the transaction carried */
    public long token() {
        return token;
    }

    /** @return the newest token seen for the resource */
    public long seen() {
        return seen;
    }
}
