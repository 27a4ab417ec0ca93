package io.redtx.samples.webflux;

/**
 * A recorded order, as {@code POST /orders} returns it and {@code GET /orders/{id}} reads it back from the
 * {@code order:<id>} hash.
 *
 * @param id the order id
 * @param customer who bought
 * @param sku what
 * @param quantity how many
 * @param amount what was debited from the customer's balance, in cents
 * @param transactionId the redtx transaction (attempt) that committed the order
 */
public record Order(String id, String customer, String sku, long quantity, long amount, String transactionId) {}
