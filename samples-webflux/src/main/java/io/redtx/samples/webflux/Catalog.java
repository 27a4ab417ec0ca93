package io.redtx.samples.webflux;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.springframework.stereotype.Component;

/**
 * The products the shop sells and their unit prices in cents: a fixed in-code catalog, enough for the sample. Stock
 * lives in Redis ({@code stock:<sku>} on the {@value CheckoutService#STOCK} participant), prices do not.
 */
@Component
public class Catalog {

    private final Map<String, Long> unitPrices;

    /** The default catalog: {@code widget} 2.50, {@code gadget} 19.99, {@code gizmo} 120.00. */
    public Catalog() {
        this(Map.of("widget", 250L, "gadget", 1999L, "gizmo", 12000L));
    }

    /**
     * @param unitPrices SKU to unit price in cents, each positive
     */
    public Catalog(Map<String, Long> unitPrices) {
        unitPrices.forEach((sku, price) -> {
            if (price == null || price <= 0) {
                throw new IllegalArgumentException("unit price of '" + sku + "' must be positive, was " + price);
            }
        });
        this.unitPrices = new TreeMap<>(unitPrices);
    }

    /**
     * @param sku a SKU
     * @return its unit price in cents, or empty if the shop does not sell it
     */
    public Optional<Long> unitPrice(String sku) {
        return Optional.ofNullable(sku == null ? null : unitPrices.get(sku));
    }

    /** @return every SKU, sorted */
    public Set<String> skus() {
        return unitPrices.keySet();
    }
}
