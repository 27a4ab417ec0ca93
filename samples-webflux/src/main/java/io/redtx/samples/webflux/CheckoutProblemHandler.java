package io.redtx.samples.webflux;

import io.redtx.api.ParticipantUnavailableException;
import io.redtx.api.RedtxException;
import io.redtx.api.TransactionConflictException;
import io.redtx.api.TransactionOutcomeUnknownException;
import io.redtx.api.TransactionRejectedException;
import io.redtx.api.TransactionTimeoutException;
import java.net.URI;
import java.util.Locale;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.reactive.result.method.annotation.ResponseEntityExceptionHandler;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Turns every failure into an RFC 9457 {@code application/problem+json} body (Spring's {@link ProblemDetail}) whose
 * {@code reason} member names what went wrong, and whose {@code transactionId} member (when there was one) names the
 * redtx attempt.
 *
 * <table>
 *   <caption>Status mapping</caption>
 *   <tr><th>failure</th><th>status</th><th>reason</th></tr>
 *   <tr><td>malformed JSON, missing body, invalid field (framework or {@link CheckoutException})</td><td>400</td>
 *       <td>{@code INVALID_INPUT}</td></tr>
 *   <tr><td>unknown order or SKU</td><td>404</td><td>{@code NOT_FOUND}</td></tr>
 *   <tr><td>stock or balance too low (thrown inside the transaction: rolled back)</td><td>409</td>
 *       <td>{@code INSUFFICIENT_STOCK}, {@code INSUFFICIENT_BALANCE}</td></tr>
 *   <tr><td>{@link TransactionConflictException} after redtx's retries</td><td>409</td><td>{@code CONFLICT}</td></tr>
 *   <tr><td>{@link TransactionRejectedException} (overload)</td><td>503 + {@code Retry-After: 1}</td>
 *       <td>{@code OVERLOADED}</td></tr>
 *   <tr><td>{@link TransactionTimeoutException}, {@link ParticipantUnavailableException} (rolled back)</td>
 *       <td>503 + {@code Retry-After: 1}</td><td>{@code UNAVAILABLE}</td></tr>
 *   <tr><td>{@link TransactionOutcomeUnknownException} (committed everywhere or nowhere: look the order up)</td>
 *       <td>500</td><td>{@code OUTCOME_UNKNOWN}</td></tr>
 *   <tr><td>any other {@link RedtxException}</td><td>500</td><td>{@code REDTX_ERROR}</td></tr>
 * </table>
 */
@RestControllerAdvice
public class CheckoutProblemHandler extends ResponseEntityExceptionHandler {

    /** Seconds a client is asked to wait before trying again after a 503. */
    public static final String RETRY_AFTER_SECONDS = "1";

    /** Created by Spring. */
    public CheckoutProblemHandler() {}

    /**
     * @param e a business refusal
     * @return its status and reason
     */
    @ExceptionHandler(CheckoutException.class)
    public ResponseEntity<ProblemDetail> checkout(CheckoutException e) {
        return ResponseEntity.status(e.status())
                .body(problem(e.status(), e.reason().name(), e.getMessage(), null));
    }

    /**
     * @param e a conflict that outlasted the retries
     * @return 409 naming the participant and key
     */
    @ExceptionHandler(TransactionConflictException.class)
    public ResponseEntity<ProblemDetail> conflict(TransactionConflictException e) {
        ProblemDetail problem = problem(HttpStatus.CONFLICT, "CONFLICT", e.getMessage(), e.transactionId());
        problem.setProperty("participant", e.participant());
        problem.setProperty("key", e.key());
        problem.setProperty("conflict", e.reason().name());
        return ResponseEntity.status(HttpStatus.CONFLICT).body(problem);
    }

    /**
     * @param e an overload rejection: nothing was read or written
     * @return 503 with {@code Retry-After}
     */
    @ExceptionHandler(TransactionRejectedException.class)
    public ResponseEntity<ProblemDetail> rejected(TransactionRejectedException e) {
        ProblemDetail problem = problem(HttpStatus.SERVICE_UNAVAILABLE, "OVERLOADED", e.getMessage(), null);
        problem.setProperty("rejection", e.reason().name());
        return unavailable(problem);
    }

    /**
     * @param e a timeout or an unreachable participant before the commit point: rolled back
     * @return 503 with {@code Retry-After}
     */
    @ExceptionHandler({TransactionTimeoutException.class, ParticipantUnavailableException.class})
    public ResponseEntity<ProblemDetail> unavailable(RedtxException e) {
        return unavailable(problem(HttpStatus.SERVICE_UNAVAILABLE, "UNAVAILABLE", e.getMessage(), e.transactionId()));
    }

    /**
     * @param e the commit point may have been passed: the order is on every participant or on none
     * @return 500 with the transaction id
     */
    @ExceptionHandler(TransactionOutcomeUnknownException.class)
    public ResponseEntity<ProblemDetail> outcomeUnknown(TransactionOutcomeUnknownException e) {
        return ResponseEntity.internalServerError()
                .body(problem(HttpStatus.INTERNAL_SERVER_ERROR, "OUTCOME_UNKNOWN", e.getMessage(), e.transactionId()));
    }

    /**
     * @param e any other redtx failure (for example a participant's error reply)
     * @return 500
     */
    @ExceptionHandler(RedtxException.class)
    public ResponseEntity<ProblemDetail> redtx(RedtxException e) {
        return ResponseEntity.internalServerError()
                .body(problem(HttpStatus.INTERNAL_SERVER_ERROR, "REDTX_ERROR", e.getMessage(), e.transactionId()));
    }

    /**
     * Adds a {@code reason} to the problems Spring makes for its own exceptions (unreadable JSON, missing body,
     * unsupported media type, ...): {@code INVALID_INPUT} for 400, the status name otherwise.
     */
    @Override
    protected Mono<ResponseEntity<Object>> createResponseEntity(
            Object body, HttpHeaders headers, HttpStatusCode status, ServerWebExchange exchange) {
        if (body instanceof ProblemDetail problem
                && (problem.getProperties() == null || !problem.getProperties().containsKey("reason"))) {
            HttpStatus known = HttpStatus.resolve(status.value());
            problem.setProperty(
                    "reason",
                    status.value() == 400
                            ? "INVALID_INPUT"
                            : known == null ? String.valueOf(status.value()) : known.name());
        }
        return super.createResponseEntity(body, headers, status, exchange);
    }

    private static ResponseEntity<ProblemDetail> unavailable(ProblemDetail problem) {
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
                .header(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS)
                .body(problem);
    }

    private static ProblemDetail problem(HttpStatus status, String reason, String detail, String transactionId) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setType(URI.create(
                "urn:redtx:samples:checkout:" + reason.toLowerCase(Locale.ROOT).replace('_', '-')));
        problem.setTitle(title(reason));
        problem.setProperty("reason", reason);
        if (transactionId != null) {
            problem.setProperty("transactionId", transactionId);
        }
        return problem;
    }

    private static String title(String reason) {
        String words = reason.toLowerCase(Locale.ROOT).replace('_', ' ');
        return Character.toUpperCase(words.charAt(0)) + words.substring(1);
    }
}
