package io.redtx.api;

/**
 * Bad input given to a transaction handle: a null or empty key, a key inside the runtime's internal namespace, an
 * unknown participant, a value over the configured size, more keys than the configured limit, or an operation that
 * does not fit the type the key holds in this transaction. Nothing is written anywhere; the transaction is rolled back
 * when the error escapes its function. Also a participant's Redis URI that is not valid, or TLS options that cannot
 * be used ({@link RuntimeOptions.Builder#participant}).
 */
public final class RedtxArgumentException extends RedtxNonTransientException {

    private static final long serialVersionUID = 1L;

    /**
     * @param transactionId the attempt concerned, or {@code null}
     * @param message what was wrong, naming the argument and its value
     */
    public RedtxArgumentException(String transactionId, String message) {
        super(message, transactionId, null);
    }
}
