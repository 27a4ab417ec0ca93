/**
 * A Spring Boot WebFlux checkout service: {@link io.redtx.samples.webflux.CheckoutService} places each order in one
 * redtx transaction across three Redis participants (stock, orders, balances);
 * {@link io.redtx.samples.webflux.CheckoutController} exposes it over HTTP, and
 * {@link io.redtx.samples.webflux.CheckoutProblemHandler} maps failures to problem+json status codes. Each checkout also
 * publishes an {@code OrderPlaced} event in its transaction, which {@link io.redtx.samples.webflux.OrderEventsConsumer}
 * turns into per-customer summaries exactly once. See the module's README for how to run it.
 */
package io.redtx.samples.webflux;
