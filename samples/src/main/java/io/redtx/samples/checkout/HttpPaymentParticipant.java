package io.redtx.samples.checkout;

import io.redtx.api.external.ExternalParticipant;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;

/**
 * The TCC client of a {@link PaymentService}, on Reactor Netty's {@link HttpClient}: {@link #tryReserve} reserves the
 * amount on the account, {@link #confirm} collects it, {@link #cancel} releases it (or fences a try that has not
 * arrived yet). The transaction id is the payment's id, so every call is idempotent on the service's side. For sagas,
 * {@link #charge} and {@link #refund} do the same as plain calls keyed by the step's idempotency key.
 *
 * <p>Errors: a 402 or 404 on a try or charge is a {@link PaymentDeclinedException} (a business refusal), a 409 on
 * one a {@link PaymentFencedException} (the id was rolled back first), anything else (5xx, any status but 204 on a
 * confirm, cancel or refund) a {@link PaymentServiceException}; a connection failure or no answer within {@link #RESPONSE_TIMEOUT} comes
 * as Reactor Netty's or Reactor's own error. Inside a transaction the runtime wraps a failed try in an {@link
 * io.redtx.api.external.ExternalParticipantException} whose cause is one of these, and calls a failed confirm or
 * cancel again (and so does recovery) until it succeeds.
 */
public final class HttpPaymentParticipant implements ExternalParticipant {

    /** How long a call waits for the service's answer: 10 s. */
    public static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(10);

    private final String name;
    private final HttpClient client;

    /**
     * @param name the participant's name, as registered with the runtime and named by transactions
     * @param baseUrl the service's base, {@link PaymentService#baseUrl()}
     */
    public HttpPaymentParticipant(String name, String baseUrl) {
        this.name = Objects.requireNonNull(name, "name");
        this.client = HttpClient.create()
                .baseUrl(Objects.requireNonNull(baseUrl, "baseUrl"))
                .headers(h -> h.set("Content-Type", "application/json"))
                .responseTimeout(RESPONSE_TIMEOUT);
    }

    /**
     * The request of a payment, for {@link io.redtx.api.Transaction#external(String, Map)}.
     *
     * @param account the account to take the money from
     * @param amount how much, at least 0
     * @return keys {@code account} and {@code amount}
     */
    public static Map<String, String> request(String account, long amount) {
        Objects.requireNonNull(account, "account");
        if (amount < 0) {
            throw new IllegalArgumentException("amount must be at least 0, was " + amount);
        }
        return Map.of("account", account, "amount", Long.toString(amount));
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * Reserves {@code request}'s amount on its account ({@code POST /payments/{id}/try}); lazy.
     *
     * @param transactionId the payment's id
     * @param request {@link #request(String, long)}
     * @return completes once reserved (also when it already was); {@link PaymentDeclinedException} when the account
     *     cannot cover it or does not exist, {@link PaymentFencedException} when the id was cancelled first
     */
    @Override
    public Mono<Void> tryReserve(String transactionId, Map<String, String> request) {
        return withBody("try", transactionId, request.get("account"), request.get("amount"));
    }

    /**
     * Collects the reservation ({@code POST /payments/{id}/confirm}); lazy.
     *
     * @param transactionId the payment's id
     * @return completes once confirmed (also when it already was); {@link PaymentServiceException} when the service
     *     failed or has nothing tried to confirm
     */
    @Override
    public Mono<Void> confirm(String transactionId) {
        return call("confirm", transactionId, null);
    }

    /**
     * Releases the reservation, or fences a try that has not arrived ({@code POST /payments/{id}/cancel}); lazy.
     *
     * @param transactionId the payment's id
     * @return completes once cancelled (also when it already was); {@link PaymentServiceException} when the service
     *     failed or the payment was confirmed
     */
    @Override
    public Mono<Void> cancel(String transactionId) {
        return call("cancel", transactionId, null);
    }

    /**
     * Takes {@code amount} from {@code account} in one call ({@code POST /payments/{id}/charge}): a saga step's action;
     * lazy.
     *
     * @param idempotencyKey the payment's id, for example {@link io.redtx.api.saga.SagaContext#idempotencyKey()}
     * @param account the account to charge
     * @param amount how much
     * @return completes once charged (also when it already was); {@link PaymentDeclinedException} when the account
     *     cannot cover it or does not exist, {@link PaymentFencedException} when the key was refunded first
     */
    public Mono<Void> charge(String idempotencyKey, String account, long amount) {
        return withBody("charge", idempotencyKey, account, Long.toString(amount));
    }

    /**
     * Gives a charge's money back, or fences a charge that has not arrived ({@code POST /payments/{id}/refund}): a
     * saga step's compensation; lazy.
     *
     * @param idempotencyKey the key the charge was (or would have been) made with
     * @return completes once refunded (also when it already was); {@link PaymentServiceException} when the service
     *     failed
     */
    public Mono<Void> refund(String idempotencyKey) {
        return call("refund", idempotencyKey, null);
    }

    private Mono<Void> withBody(String operation, String id, String account, String amount) {
        return Mono.defer(() -> {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("account", account);
            body.put("amount", Long.parseLong(amount));
            return call(operation, id, Json.write(body));
        });
    }

    private Mono<Void> call(String operation, String id, String body) {
        return Mono.defer(() -> {
            String path = "/payments/" + URLEncoder.encode(id, StandardCharsets.UTF_8) + "/" + operation;
            var sender = client.post().uri(path);
            var send = body == null
                    ? sender.send(ByteBufFlux.fromString(Mono.empty()))
                    : sender.send(ByteBufFlux.fromString(Mono.just(body)));
            return send.responseSingle((response, content) -> {
                int status = response.status().code();
                // Drain the body so the connection goes back to the pool.
                return content.then(Mono.defer(() -> outcome(operation, id, status)));
            });
        });
    }

    private static Mono<Void> outcome(String operation, String id, int status) {
        if (status == 204 || status == 200) {
            return Mono.empty();
        }
        String what = operation + " of payment " + id;
        // Only a try or a charge can be refused for the business; any other status of any call is the service's.
        boolean reserving = "try".equals(operation) || "charge".equals(operation);
        if (reserving && status == 402) {
            return Mono.error(new PaymentDeclinedException(status, what + " declined: insufficient funds"));
        }
        if (reserving && status == 404) {
            return Mono.error(new PaymentDeclinedException(status, what + " declined: no such account"));
        }
        if (reserving && status == 409) {
            return Mono.error(new PaymentFencedException(
                    id, what + " refused: the payment was cancelled or refunded before (fenced)"));
        }
        return Mono.error(new PaymentServiceException(status, what + " failed: HTTP " + status));
    }
}
