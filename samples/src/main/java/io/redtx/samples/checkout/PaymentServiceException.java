package io.redtx.samples.checkout;

/**
 * The payment service answered with a status the call did not expect: 5xx (the service is down or failing), or a 409
 * on a confirm, cancel or refund (the service saw a contract breach). Transient as far as the caller knows: redtx's
 * commit and recovery call a failed confirm or cancel again until it succeeds.
 */
public final class PaymentServiceException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;

    /**
     * @param status the HTTP status the service answered
     * @param message what was asked
     */
    public PaymentServiceException(int status, String message) {
        super(message);
        this.status = status;
    }

    /** @return the HTTP status the service answered */
    public int status() {
        return status;
    }
}
