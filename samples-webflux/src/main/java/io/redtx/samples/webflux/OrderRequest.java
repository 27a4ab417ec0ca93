package io.redtx.samples.webflux;

import tools.jackson.databind.annotation.JsonDeserialize;

/**
 * The body of {@code POST /orders}. Fields are nullable here so that a missing one is reported as a 400 problem naming
 * it, rather than as a JSON decoding error.
 *
 * @param customer who buys: 1 to 64 characters of {@code [A-Za-z0-9._-]}
 * @param sku what: a SKU of the {@link Catalog}
 * @param quantity how many: 1 to {@value CheckoutService#MAX_QUANTITY}, and a JSON integer ({@code 1.5} and
 *     {@code "2"} are refused, see {@link QuantityDeserializer})
 */
public record OrderRequest(
        String customer,
        String sku,
        @JsonDeserialize(using = QuantityDeserializer.class) Integer quantity) {}
