package io.redtx.runtime.internal.redis;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;

/**
 * The reply of a command (or any {@link CompletableFuture}) as a {@code Mono} whose subscriber may leave before it
 * comes: unlike {@code Mono.fromFuture}, which hands an error arriving after a cancel to Reactor's
 * {@code onErrorDropped} hook (and logs it as a bug), this one ignores whatever comes after a cancel. A command whose
 * subscriber left (a sibling's failure in a fan-out, the user's cancel, a step's time limit) is meant to be read and
 * dropped: the scripts are idempotent, and the protocol, not the reply, settles what it did. Cancelling does not
 * cancel the future.
 */
public final class Replies<T> extends Mono<T> {

    private final CompletableFuture<T> reply;
    /** Where the outcome is handed to the subscriber; null: on the thread that completes the future. */
    private final Executor delivery;

    private Replies(CompletableFuture<T> reply, Executor delivery) {
        this.reply = reply;
        this.delivery = delivery;
    }

    public static <T> Mono<T> of(CompletableFuture<T> reply) {
        return new Replies<>(reply, null);
    }

    /** Like {@link #of(CompletableFuture)}, handing the outcome over through {@code delivery}. */
    public static <T> Mono<T> of(CompletableFuture<T> reply, Executor delivery) {
        return new Replies<>(reply, delivery);
    }

    @Override
    public void subscribe(CoreSubscriber<? super T> actual) {
        Reply<T> subscription = new Reply<>(actual, delivery);
        actual.onSubscribe(subscription);
        reply.whenComplete(subscription);
    }

    private static final class Reply<T> extends Operators.MonoSubscriber<T, T> implements BiConsumer<T, Throwable> {

        private final Executor delivery;

        Reply(CoreSubscriber<? super T> actual, Executor delivery) {
            super(actual);
            this.delivery = delivery;
        }

        @Override
        public void accept(T value, Throwable error) {
            if (delivery == null) {
                emit(value, error);
            } else {
                delivery.execute(() -> emit(value, error));
            }
        }

        private void emit(T value, Throwable error) {
            if (isCancelled()) {
                return; // nobody waits for it any more: see the class comment
            }
            if (error != null) {
                actual.onError(
                        error instanceof CompletionException && error.getCause() != null ? error.getCause() : error);
            } else if (value == null) {
                actual.onComplete();
            } else {
                complete(value);
            }
        }
    }
}
