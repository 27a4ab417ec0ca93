package io.redtx.samples.checkout;

/**
 * The payment service refused a payment for a business reason: the account cannot cover the amount (HTTP 402) or
 * does not exist (404). Asking again will not help; the checkout fails and whatever it tried is cancelled.
 */
public final class PaymentDeclinedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;

    /**
     * @param status the HTTP status the service answered
     * @param message what was refused
     */
    public PaymentDeclinedException(int status, String message) {
        super(message);
        this.status = status;
    }

    /** @return the HTTP status the service answered: 402 or 404 */
    public int status() {
        return status;
    }
}
