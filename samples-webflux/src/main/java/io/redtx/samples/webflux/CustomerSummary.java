package io.redtx.samples.webflux;

/**
 * The body of {@code GET /customers/{customer}/summary}: the read model that {@link OrderEventsConsumer} keeps in the
 * hash {@code customer:<customer>:orders} from the {@code OrderPlaced} events. It trails the orders by however long the
 * consumer takes to handle their events.
 *
 * @param customer the customer
 * @param orders committed orders counted so far (field {@value #ORDERS}; 0 when the hash does not exist)
 * @param spent what those orders cost, in cents (field {@value #SPENT})
 */
public record CustomerSummary(String customer, long orders, long spent) {

    /** The hash field holding the order count. */
    public static final String ORDERS = "orders";
    /** The hash field holding the cents spent. */
    public static final String SPENT = "spent";
}
