package io.redtx.samples.webflux;

import java.net.URI;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * HTTP endpoints of the shop. Every handler returns the service's {@code Mono} unchanged: nothing blocks, and the
 * transaction runs when WebFlux subscribes.
 *
 * <table>
 *   <caption>Endpoints</caption>
 *   <tr><th>request</th><th>success</th></tr>
 *   <tr><td>{@code POST /orders} {@code {"customer","sku","quantity"}}</td><td>201, the {@link Order}, {@code Location}</td></tr>
 *   <tr><td>{@code GET /orders/{id}}</td><td>200, the {@link Order}</td></tr>
 *   <tr><td>{@code GET /stock/{sku}}</td><td>200, a {@link StockLevel}</td></tr>
 *   <tr><td>{@code GET /balances/{customer}}</td><td>200, a {@link Balance}</td></tr>
 *   <tr><td>{@code GET /customers/{customer}/summary}</td><td>200, a {@link CustomerSummary} (the read model)</td></tr>
 * </table>
 *
 * <p>Errors are {@code application/problem+json} bodies with a {@code reason} member ({@link CheckoutProblemHandler}):
 * 400 bad input, 404 unknown order or SKU, 409 insufficient stock or balance or a conflict that outlasted redtx's
 * retries, 503 with {@code Retry-After} when the runtime is overloaded.
 *
 * <p><b>Cancellation.</b> When the client disconnects (or a proxy times out) before the response is written, Reactor
 * Netty cancels the subscription to the returned {@code Mono}, and with it the redtx transaction. A transaction
 * cancelled before its commit point is rolled back: its buffered writes are dropped, and intents already prepared on
 * any participant are removed in the background (the cancelled request cannot wait for that; expired leases let
 * recovery finish the job if this process dies too). A transaction cancelled after the commit point still commits on
 * every participant — the client just does not hear about it, and can look the order up. Either way no participant
 * ends up with part of a checkout.
 */
@RestController
public class CheckoutController {

    private final CheckoutService service;

    /** @param service the shop */
    public CheckoutController(CheckoutService service) {
        this.service = service;
    }

    /**
     * Places an order: one transaction that reserves stock, records the order and debits the customer.
     *
     * @param request customer, SKU and quantity
     * @return 201 with the order (its id, amount and redtx transaction id) and its {@code Location}
     */
    @PostMapping(path = "/orders", consumes = MediaType.APPLICATION_JSON_VALUE)
    public Mono<ResponseEntity<Order>> checkout(@RequestBody OrderRequest request) {
        return service.checkout(request)
                .map(order -> ResponseEntity.created(URI.create("/orders/" + order.id()))
                        .body(order));
    }

    /**
     * @param id the order id
     * @return 200 with the order; 404 if there is none
     */
    @GetMapping("/orders/{id}")
    public Mono<Order> order(@PathVariable("id") String id) {
        return service.order(id);
    }

    /**
     * @param sku a SKU of the catalog
     * @return 200 with its stock; 404 if the shop does not sell it
     */
    @GetMapping("/stock/{sku}")
    public Mono<StockLevel> stock(@PathVariable("sku") String sku) {
        return service.stock(sku);
    }

    /**
     * @param customer the customer
     * @return 200 with the balance (0 if the customer has none); 400 for a malformed name
     */
    @GetMapping("/balances/{customer}")
    public Mono<Balance> balance(@PathVariable("customer") String customer) {
        return service.balance(customer);
    }

    /**
     * @param customer the customer
     * @return 200 with the orders counted so far from the order events and what they cost (zeros for a customer
     *     without orders); 400 for a malformed name
     */
    @GetMapping("/customers/{customer}/summary")
    public Mono<CustomerSummary> customerSummary(@PathVariable("customer") String customer) {
        return service.customerSummary(customer);
    }
}
