package io.redtx.samples.webflux;

/**
 * The body of {@code GET /balances/{customer}}.
 *
 * @param customer the customer
 * @param balance the balance in cents ({@code balance:<customer>}; 0 when the key does not exist)
 */
public record Balance(String customer, long balance) {}
