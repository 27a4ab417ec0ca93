package io.redtx.samples.checkout;

/**
 * The payment service refused a try or a charge (HTTP 409) because its id was already cancelled or refunded: the call
 * came late, after the transaction (or saga step) it belongs to had been rolled back, and reserved nothing.
 */
public final class PaymentFencedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String paymentId;

    /**
     * @param paymentId the payment's id
     * @param message what was refused
     */
    public PaymentFencedException(String paymentId, String message) {
        super(message);
        this.paymentId = paymentId;
    }

    /** @return the id of the payment that was fenced */
    public String paymentId() {
        return paymentId;
    }
}
