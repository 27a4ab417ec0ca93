package io.redtx.samples.webflux;

/**
 * The body of {@code GET /stock/{sku}}.
 *
 * @param sku the SKU
 * @param available items in stock ({@code stock:<sku>}; 0 when the key does not exist)
 */
public record StockLevel(String sku, long available) {}
