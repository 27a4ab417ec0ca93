package io.redtx.samples.webflux;

import org.springframework.http.HttpStatus;

/**
 * A checkout or lookup the service refuses for a business reason. Thrown inside a transaction, it rolls the transaction
 * back (nothing is written anywhere) and is not retried; {@link CheckoutProblemHandler} turns it into a problem+json
 * response with {@link #status()} and {@link #reason()}.
 */
public class CheckoutException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Why a checkout or lookup was refused; the {@code reason} member of the problem body. */
    public enum Reason {
        /** Fewer items in stock than ordered (HTTP 409). */
        INSUFFICIENT_STOCK(HttpStatus.CONFLICT),
        /** The customer's balance is below the order's amount (HTTP 409). */
        INSUFFICIENT_BALANCE(HttpStatus.CONFLICT),
        /** The request is malformed or names something the shop does not sell (HTTP 400). */
        INVALID_INPUT(HttpStatus.BAD_REQUEST),
        /** No such order, or no such SKU to look up (HTTP 404). */
        NOT_FOUND(HttpStatus.NOT_FOUND);

        private final HttpStatus status;

        Reason(HttpStatus status) {
            this.status = status;
        }

        /** @return the HTTP status this reason maps to */
        public HttpStatus status() {
            return status;
        }
    }

    private final Reason reason;

    /**
     * @param reason why
     * @param message what, naming the values involved
     */
    public CheckoutException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    /** @return why */
    public Reason reason() {
        return reason;
    }

    /** @return the HTTP status of {@link #reason()} */
    public HttpStatus status() {
        return reason.status();
    }
}
