package io.redtx.samples.checkout;

/**
 * The order store refused a try because its transaction was cancelled first: the try came late, after the
 * transaction had been rolled back, and placed no order.
 */
public final class OrderFencedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** @param transactionId the transaction whose late try was refused */
    public OrderFencedException(String transactionId) {
        super("transaction " + transactionId + " was cancelled before its try: no order placed (fenced)");
    }
}
