package io.redtx.samples.webflux;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * The checkout service. Needs {@code redtx.participants.stock}, {@code .orders} and {@code .balances} (Redis URIs);
 * {@link CheckoutDemo} starts three embedded servers and runs it on them.
 */
@SpringBootApplication
public class CheckoutApplication {

    /** Created by Spring. */
    public CheckoutApplication() {}

    /**
     * Starts the service.
     *
     * @param args Spring Boot arguments, e.g. {@code --redtx.participants.stock=redis://host:6379}
     */
    public static void main(String[] args) {
        SpringApplication.run(CheckoutApplication.class, args);
    }
}
