package io.redtx.samples.webflux;

import io.redtx.api.ParticipantUnavailableException;
import io.redtx.api.RedtxException;
import io.redtx.api.TransactionConflictException;
import io.redtx.api.TransactionOutcomeUnknownException;
import io.redtx.api.TransactionRejectedException;
import io.redtx.api.TransactionTimeoutException;
import java.net.URI;
import java.util.Locale;
import java.util.stream.Collectors;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.bind.support.WebExchangeBindException;
import org.springframework.web.reactive.result.method.annotation.ResponseEntityExceptionHandler;
import org.springframework.web.server.ContentTooLargeException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebInputException;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.DatabindException;

/**
 * Turns every failure into an RFC 9457 {@code application/problem+json} body (Spring's {@link ProblemDetail}) of one
 * shape: {@code type} {@code urn:redtx:samples:checkout:<reason>}, a {@code title}, a {@code detail} a client can
 * show, a {@code reason} member naming what went wrong and, when there was one, a {@code transactionId} member naming
 * the redtx attempt. Spring's own failures (a body that is not JSON or too large, a failed binding, a wrong method or
 * media type) get the same shape as the service's, so a client parses one kind of error.
 *
 * <table>
 *   <caption>Status mapping</caption>
 *   <tr><th>failure</th><th>status</th><th>reason</th></tr>
 *   <tr><td>malformed JSON, missing body, a field of the wrong type (a quantity that is not a JSON integer), a
 *       failed binding, an invalid field ({@link CheckoutException})</td><td>400</td><td>{@code INVALID_INPUT}</td></tr>
 *   <tr><td>a body over {@code spring.http.codecs.max-in-memory-size}</td><td>413</td>
 *       <td>{@code CONTENT_TOO_LARGE}</td></tr>
 *   <tr><td>unknown order or SKU</td><td>404</td><td>{@code NOT_FOUND}</td></tr>
 *   <tr><td>stock or balance too low (thrown inside the transaction: rolled back)</td><td>409</td>
 *       <td>{@code INSUFFICIENT_STOCK}, {@code INSUFFICIENT_BALANCE}</td></tr>
 *   <tr><td>{@link TransactionConflictException} after the retries</td><td>409 + {@code Retry-After: 1}</td>
 *       <td>{@code CONFLICT}</td></tr>
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

    /** Seconds a client is asked to wait before trying again after a 503 or a conflict's 409. */
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
     * A conflict that outlasted the retries. The exception's message names the participant and the Redis key: how the
     * service stores its data is not the client's business (nor something to hand to anyone who asks), so the body
     * says what happened in the client's terms. Unlike an insufficient stock or balance, trying again can succeed, so
     * the response says when.
     *
     * @param e a conflict that outlasted the retries
     * @return 409 with {@code Retry-After}
     */
    @ExceptionHandler(TransactionConflictException.class)
    public ResponseEntity<ProblemDetail> conflict(TransactionConflictException e) {
        ProblemDetail problem = problem(
                HttpStatus.CONFLICT,
                "CONFLICT",
                "the request competed with concurrent requests for the same data and was not carried out; nothing"
                        + " changed, try again",
                e.transactionId());
        return ResponseEntity.status(HttpStatus.CONFLICT)
                .header(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS)
                .body(problem);
    }

    /**
     * A body over the codecs' in-memory limit: Spring turns the decoder's {@link DataBufferLimitException} into a
     * {@link ContentTooLargeException} (a 413 without a detail); either may arrive, and it may also arrive wrapped in a
     * {@link ServerWebInputException}, handled below.
     *
     * @param e the limit that was passed
     * @return 413
     */
    @ExceptionHandler({DataBufferLimitException.class, ContentTooLargeException.class})
    public ResponseEntity<ProblemDetail> tooLarge(Exception e) {
        return ResponseEntity.status(HttpStatus.CONTENT_TOO_LARGE).body(tooLargeProblem());
    }

    /**
     * A body that could not be read: not JSON, missing, a field of the wrong type ({@link QuantityDeserializer}), or
     * over the size limit. Spring's detail would be "Failed to read HTTP message"; this one says which field and why,
     * from the decoder's cause, without the parser's source excerpt.
     */
    @Override
    protected Mono<ResponseEntity<Object>> handleServerWebInputException(
            ServerWebInputException ex, HttpHeaders headers, HttpStatusCode status, ServerWebExchange exchange) {
        if (find(ex, DataBufferLimitException.class) != null) {
            return Mono.just(ResponseEntity.status(HttpStatus.CONTENT_TOO_LARGE)
                    .headers(headers)
                    .body(tooLargeProblem()));
        }
        return Mono.just(ResponseEntity.badRequest()
                .headers(headers)
                .body(problem(HttpStatus.BAD_REQUEST, "INVALID_INPUT", inputDetail(ex), null)));
    }

    /** A failed binding or validation of a request object: each field and why, in the detail. */
    @Override
    protected Mono<ResponseEntity<Object>> handleWebExchangeBindException(
            WebExchangeBindException ex, HttpHeaders headers, HttpStatusCode status, ServerWebExchange exchange) {
        String detail = ex.getFieldErrors().stream()
                .map(f -> f.getField() + ": " + f.getDefaultMessage())
                .collect(Collectors.joining("; "));
        if (detail.isEmpty()) {
            detail = ex.getGlobalErrors().stream()
                    .map(g -> g.getDefaultMessage())
                    .collect(Collectors.joining("; "));
        }
        return Mono.just(ResponseEntity.badRequest()
                .headers(headers)
                .body(problem(
                        HttpStatus.BAD_REQUEST,
                        "INVALID_INPUT",
                        detail.isEmpty() ? "the request is invalid" : detail,
                        null)));
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
     * Gives the problems Spring makes for the rest of its own exceptions (unsupported media type, method not allowed,
     * ...) the service's shape: a {@code reason} ({@code INVALID_INPUT} for 400, the status name otherwise) and the
     * {@code type} and {@code title} that go with it; Spring's {@code detail} stays.
     */
    @Override
    protected Mono<ResponseEntity<Object>> createResponseEntity(
            Object body, HttpHeaders headers, HttpStatusCode status, ServerWebExchange exchange) {
        if (body instanceof ProblemDetail problem
                && (problem.getProperties() == null || !problem.getProperties().containsKey("reason"))) {
            HttpStatus known = HttpStatus.resolve(status.value());
            String reason =
                    status.value() == 400 ? "INVALID_INPUT" : known == null ? "HTTP_" + status.value() : known.name();
            shape(problem, reason);
            if (problem.getDetail() == null) {
                problem.setDetail(known == null ? "HTTP status " + status.value() : known.getReasonPhrase());
            }
        }
        return super.createResponseEntity(body, headers, status, exchange);
    }

    private static ProblemDetail tooLargeProblem() {
        return problem(
                HttpStatus.CONTENT_TOO_LARGE,
                "CONTENT_TOO_LARGE",
                "the request body is larger than the service accepts",
                null);
    }

    /**
     * @return what was wrong with the body, from the decoder's cause: the field and the message of a mapping error
     *     (without the parser's source excerpt), "not valid JSON" for a syntax error, else Spring's reason
     */
    private static String inputDetail(ServerWebInputException ex) {
        DatabindException mapping = find(ex, DatabindException.class);
        if (mapping != null) {
            String field = mapping.getPath().stream()
                    .map(JacksonException.Reference::getPropertyName)
                    .filter(name -> name != null)
                    .collect(Collectors.joining("."));
            String message = mapping.getOriginalMessage();
            // QuantityDeserializer's messages name the field already; Jackson's own ones do not.
            return field.isEmpty() || message.startsWith(field + " ") ? message : "field '" + field + "': " + message;
        }
        if (find(ex, StreamReadException.class) != null) {
            return "the request body is not valid JSON";
        }
        return ex.getReason() == null ? "the request could not be read" : ex.getReason();
    }

    private static <T extends Throwable> T find(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private static ResponseEntity<ProblemDetail> unavailable(ProblemDetail problem) {
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
                .header(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS)
                .body(problem);
    }

    private static ProblemDetail problem(HttpStatus status, String reason, String detail, String transactionId) {
        ProblemDetail problem = shape(ProblemDetail.forStatusAndDetail(status, detail), reason);
        if (transactionId != null) {
            problem.setProperty("transactionId", transactionId);
        }
        return problem;
    }

    private static ProblemDetail shape(ProblemDetail problem, String reason) {
        problem.setType(URI.create(
                "urn:redtx:samples:checkout:" + reason.toLowerCase(Locale.ROOT).replace('_', '-')));
        problem.setTitle(title(reason));
        problem.setProperty("reason", reason);
        return problem;
    }

    private static String title(String reason) {
        String words = reason.toLowerCase(Locale.ROOT).replace('_', ' ');
        return Character.toUpperCase(words.charAt(0)) + words.substring(1);
    }
}
