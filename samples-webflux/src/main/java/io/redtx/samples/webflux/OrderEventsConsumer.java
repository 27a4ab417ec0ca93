package io.redtx.samples.webflux;

import io.redtx.api.RedtxTransientException;
import io.redtx.api.Transaction;
import io.redtx.api.TransactionCommands;
import io.redtx.api.TransactionOutcome;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.message.ConsumerOptions;
import io.redtx.api.message.Delivery;
import io.redtx.spring.boot.RedtxRuntimeLifecycle;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * Keeps the read model of customer summaries from the {@value CheckoutService#ORDER_EVENTS} stream: for each
 * {@value CheckoutService#ORDER_PLACED} event, one transaction adds the order to {@code customer:<customer>:orders}
 * (fields {@value CustomerSummary#ORDERS} and {@value CustomerSummary#SPENT}) on {@value CheckoutService#BALANCES},
 * and, through {@link TransactionRuntime#consumeTransactionally}, also writes the event's processed marker and
 * acknowledges it on {@value CheckoutService#ORDERS}. The three commit together or not at all, so an event delivered
 * twice (taken over from a consumer that died or was slow, or replayed by rewinding the group) is counted once.
 *
 * <p>Each application instance is one consumer of the group {@value #GROUP}; instances share the events. An event whose
 * transaction does not commit (conflict retries exhausted, a participant unavailable, a malformed event) is logged and
 * left pending: it comes back after {@link OrderEventsProperties#claimIdle()}, and after
 * {@link OrderEventsProperties#maxDeliveries()} deliveries it goes to {@code order-events:dead}. The consumer goes on
 * with the next events meanwhile. When the consumer itself fails with a transient error it resubscribes with backoff
 * (the group's position is in Redis, so nothing is lost); a non-transient error (the stream key holding another type)
 * stops it, logged.
 *
 * <p>Its phase ({@value #PHASE}) is just above the redtx starter's {@link RedtxRuntimeLifecycle#PHASE}, below the web
 * server's phases: Spring starts it after the runtime was verified and
 * stops it before the runtime is closed. {@link #stop()} cancels the consumer: transactions in flight are rolled back
 * (their events stay pending and are handled again later, once), and the runtime's graceful close waits for those
 * rollbacks.
 */
public final class OrderEventsConsumer implements SmartLifecycle {

    /** Starts after and stops before the starter's {@link RedtxRuntimeLifecycle}, below the web server's phases. */
    public static final int PHASE = RedtxRuntimeLifecycle.PHASE + 1;
    /** The consumer group of the read model on {@value CheckoutService#ORDER_EVENTS}. */
    public static final String GROUP = "read-model";

    private static final Logger log = LoggerFactory.getLogger(OrderEventsConsumer.class);

    private final TransactionRuntime runtime;
    private final ConsumerOptions options;
    private final Duration minBackoff;
    private final Duration maxBackoff;
    private final AtomicLong applied = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final Map<String, CustomerSummary> latest = new ConcurrentHashMap<>();
    private Disposable subscription;

    /**
     * @param runtime the runtime, with participants {@value CheckoutService#ORDERS} and {@value CheckoutService#BALANCES}
     * @param properties how to read
     * @throws IllegalArgumentException for a property out of range, naming it
     */
    public OrderEventsConsumer(TransactionRuntime runtime, OrderEventsProperties properties) {
        this.runtime = Objects.requireNonNull(runtime, "runtime");
        this.options = ConsumerOptions.builder(CheckoutService.ORDER_EVENTS, GROUP)
                .participant(CheckoutService.ORDERS)
                .createGroup(true)
                .claimIdle(properties.claimIdle())
                .pollInterval(properties.pollInterval())
                .concurrency(properties.concurrency())
                .maxDeliveries(properties.maxDeliveries())
                .build();
        this.minBackoff = properties.minBackoff();
        this.maxBackoff = properties.maxBackoff();
    }

    /** @return the options the consumer reads with */
    public ConsumerOptions options() {
        return options;
    }

    /**
     * Applies one event to the read model inside {@code tx}. Runs only for an event no committed transaction has
     * processed yet; it runs again, in a fresh transaction, after a conflict with another event of the same customer.
     *
     * @param delivery the event
     * @param tx the transaction that also marks the event processed and acknowledges it
     * @return the customer's summary with this order counted; empty (acknowledged, nothing counted) for an event other
     *     than {@value CheckoutService#ORDER_PLACED}; an error (the event stays pending) for a malformed one
     */
    Mono<CustomerSummary> handle(Delivery delivery, Transaction tx) {
        return Mono.defer(() -> {
            Map<String, String> event = delivery.fields();
            if (!CheckoutService.ORDER_PLACED.equals(event.get("event"))) {
                return Mono.empty();
            }
            String customer = required(delivery, "customer");
            long amount = Long.parseLong(required(delivery, "amount"));
            String key = CheckoutService.summaryKey(customer);
            TransactionCommands balances = tx.on(CheckoutService.BALANCES);
            return balances.hincrBy(key, CustomerSummary.ORDERS, 1)
                    .flatMap(orders -> balances.hincrBy(key, CustomerSummary.SPENT, amount)
                            .map(spent -> new CustomerSummary(customer, orders, spent)));
        });
    }

    private static String required(Delivery delivery, String field) {
        String value = delivery.fields().get(field);
        if (value == null) {
            throw new IllegalArgumentException("order event " + delivery.id() + " has no '" + field + "'");
        }
        return value;
    }

    /**
     * The consumer as a {@code Flux}: lazy, one consumer of the group per subscription, resubscribing with backoff
     * after transient errors; it ends only when cancelled or on a non-transient error.
     *
     * @return one outcome per handled event
     */
    Flux<TransactionOutcome<Delivery, CustomerSummary>> outcomes() {
        return Flux.defer(() -> runtime.consumeTransactionally(options, this::handle))
                .doOnNext(this::record)
                .retryWhen(Retry.backoff(Long.MAX_VALUE, minBackoff)
                        .maxBackoff(maxBackoff)
                        // Back to minBackoff once events flow again: a long-lived consumer must not keep growing it.
                        .transientErrors(true)
                        .filter(RedtxTransientException.class::isInstance)
                        .doBeforeRetry(signal -> log.warn(
                                "order events consumer failed, resubscribing (attempt {}): {}",
                                signal.totalRetriesInARow() + 1,
                                signal.failure().toString())));
    }

    private void record(TransactionOutcome<Delivery, CustomerSummary> outcome) {
        Delivery event = outcome.request();
        if (outcome.status() == TransactionOutcome.Status.COMMITTED) {
            if (outcome.value() == null) {
                skipped.incrementAndGet();
                log.debug(
                        "order event {} acknowledged without effect (delivery {})", event.id(), event.deliveryCount());
            } else {
                applied.incrementAndGet();
                // Commits of one customer's events complete in any order; the count only grows, so the larger is newer.
                latest.merge(outcome.value().customer(), outcome.value(), (a, b) -> a.orders() >= b.orders() ? a : b);
                log.debug("order event {} applied: {}", event.id(), outcome.value());
            }
        } else {
            failed.incrementAndGet();
            log.warn(
                    "order event {} not applied ({}, delivery {} of at most {}); it stays pending and comes back after"
                            + " {}: {}",
                    event.id(),
                    outcome.status(),
                    event.deliveryCount(),
                    options.maxDeliveries(),
                    options.claimIdle(),
                    outcome.error().toString());
        }
    }

    /** @return events whose transaction committed with this consumer's handler run */
    public long applied() {
        return applied.get();
    }

    /**
     * @return events acknowledged without changing the read model: already processed by a committed transaction
     *     (delivered again), or not an {@value CheckoutService#ORDER_PLACED}
     */
    public long skipped() {
        return skipped.get();
    }

    /** @return deliveries whose transaction did not commit (each left pending, to come back) */
    public long failed() {
        return failed.get();
    }

    /**
     * @return by customer, the newest summary that a transaction of this consumer committed: a view of what this
     *     process applied that needs no Redis (the demo prints it while the servers may already be gone); the read
     *     model itself is the hash in Redis, which other instances' consumers update too
     */
    public Map<String, CustomerSummary> latestSummaries() {
        return new TreeMap<>(latest);
    }

    /** Subscribes the consumer; idempotent. */
    @Override
    public synchronized void start() {
        if (subscription != null) {
            return;
        }
        subscription = outcomes()
                .subscribe(
                        outcome -> {},
                        e -> log.error("order events consumer stopped; the read model is no longer updated", e));
    }

    /** Cancels the consumer (see the class comment for what happens to events in flight); idempotent. */
    @Override
    public synchronized void stop() {
        if (subscription != null) {
            subscription.dispose();
            subscription = null;
        }
    }

    /** @return whether {@link #start()} ran and {@link #stop()} has not */
    @Override
    public synchronized boolean isRunning() {
        return subscription != null;
    }

    /** @return {@value #PHASE} */
    @Override
    public int getPhase() {
        return PHASE;
    }
}
