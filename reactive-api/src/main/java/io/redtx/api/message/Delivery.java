package io.redtx.api.message;

import io.redtx.api.KeyCommands;
import java.util.Map;
import java.util.Optional;
import reactor.core.publisher.Mono;

/**
 * One stream entry delivered to a consumer of a consumer group. It stays pending in the group (and is delivered again,
 * to this or another consumer, once idle for {@link ConsumerOptions#claimIdle()}) until {@link #ack()} completes.
 */
public interface Delivery {

    /** @return the participant holding the stream */
    String participant();

    /** @return the stream's key */
    String stream();

    /** @return the consumer group */
    String group();

    /** @return the entry's id, as Redis made it ({@code <ms>-<seq>}) */
    String id();

    /**
     * @return the entry's fields and values in their order, including {@value KeyCommands#TRANSACTION_FIELD} for a
     *     message published by a transaction
     */
    Map<String, String> fields();

    /** @return the id of the transaction that published the message, empty for an entry added otherwise */
    default Optional<String> transactionId() {
        return Optional.ofNullable(fields().get(KeyCommands.TRANSACTION_FIELD));
    }

    /**
     * @return how many times the group delivered the entry, this time included: 1 for a first delivery, more once
     *     reclaimed after a consumer did not acknowledge it
     */
    long deliveryCount();

    /**
     * Acknowledges the entry ({@code XACK}): the group will not deliver it again. Lazy; idempotent (acknowledging an
     * entry twice, or one already acknowledged by another consumer, completes normally). Fails as
     * {@link io.redtx.api.ParticipantUnavailableException} when the participant cannot be reached in time, after which
     * the entry may still be pending.
     *
     * @return completes once the participant acknowledged
     */
    Mono<Void> ack();
}
