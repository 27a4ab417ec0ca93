package io.redtx.runtime.internal.redis;

import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * The Pub/Sub channels a participant's locks listen to, on one connection made at the first listener: a channel is
 * subscribed while at least one listener wants it (Lettuce subscribes again after a reconnect). Messages are hints
 * (a lock was released): a listener that misses one finds out by its own timer, so a connection that cannot be made
 * only leaves the listeners to their timers.
 */
final class Channels {

    private static final Logger log = Loggers.getLogger(Channels.class);

    private final String participant;
    private final Supplier<CompletionStage<? extends StatefulRedisPubSubConnection<String, String>>> connect;
    /** Guarded by this: the listeners of each subscribed channel. */
    private final Map<String, Channel> channels = new HashMap<>();
    /** Guarded by this: the connection, once asked for (null after a failed attempt: the next listener tries again). */
    private Mono<StatefulRedisPubSubConnection<String, String>> connection;

    private boolean closed;

    /** One channel: its listeners, each with a buffer of its own, so that none misses what came before it read. */
    private static final class Channel {
        final List<Sinks.Many<String>> listeners = new ArrayList<>(2);
        boolean confirmed;
    }

    Channels(
            String participant,
            Supplier<CompletionStage<? extends StatefulRedisPubSubConnection<String, String>>> connect) {
        this.participant = participant;
        this.connect = connect;
    }

    /**
     * @return {@link ParticipantLink#SUBSCRIBED} once the channel is subscribed on the server, then the messages on {@code channel},
     *     until cancelled; never an error
     */
    Flux<String> messages(String channel) {
        return Flux.defer(() -> {
            Sinks.Many<String> listener = Sinks.many().unicast().onBackpressureBuffer();
            // Commands are issued while holding the monitor: a SUBSCRIBE and the UNSUBSCRIBE of a listener that just
            // left then reach the connection in the order they were decided.
            synchronized (this) {
                if (closed) {
                    return Flux.empty();
                }
                Channel c = channels.computeIfAbsent(channel, k -> new Channel());
                c.listeners.add(listener);
                if (c.confirmed) {
                    listener.tryEmitNext(ParticipantLink.SUBSCRIBED);
                } else if (c.listeners.size() == 1) {
                    // SUBSCRIBE's reply completes its future empty: the confirmation is the completion.
                    connection()
                            .flatMap(conn ->
                                    Mono.fromCompletionStage(conn.async().subscribe(channel)))
                            .subscribe(
                                    null,
                                    e -> log.debug(
                                            "redtx: cannot listen on '{}' of '{}': {}",
                                            channel,
                                            participant,
                                            e.toString()),
                                    () -> confirmed(channel, c));
                }
            }
            return listener.asFlux().doFinally(signal -> leave(channel, listener));
        });
    }

    private void confirmed(String channel, Channel c) {
        List<Sinks.Many<String>> to;
        synchronized (this) {
            if (channels.get(channel) != c || c.confirmed) {
                return;
            }
            c.confirmed = true;
            to = List.copyOf(c.listeners);
        }
        to.forEach(l -> l.tryEmitNext(ParticipantLink.SUBSCRIBED));
    }

    /**
     * Hands {@code message} to the channel's listeners, outside the monitor: a listener reacts on this thread and may
     * leave the channel (or join another) meanwhile.
     */
    private void heard(String channel, String message) {
        List<Sinks.Many<String>> to;
        synchronized (this) {
            Channel c = channels.get(channel);
            if (c == null) {
                return;
            }
            to = List.copyOf(c.listeners);
        }
        to.forEach(l -> l.tryEmitNext(message));
    }

    private synchronized void leave(String channel, Sinks.Many<String> listener) {
        Channel c = channels.get(channel);
        if (c != null && c.listeners.remove(listener) && c.listeners.isEmpty()) {
            channels.remove(channel);
            if (connection != null) {
                connection
                        .flatMap(open -> Mono.fromCompletionStage(open.async().unsubscribe(channel)))
                        .subscribe(done -> {}, e -> {}); // no connection: nothing is subscribed there
            }
        }
    }

    private synchronized Mono<StatefulRedisPubSubConnection<String, String>> connection() {
        if (connection == null) {
            connection = Mono.<StatefulRedisPubSubConnection<String, String>>fromCompletionStage(
                            () -> connect.get().thenApply(c -> (StatefulRedisPubSubConnection<String, String>) c))
                    .doOnNext(c -> c.addListener(new RedisPubSubAdapter<>() {
                        @Override
                        public void message(String channel, String message) {
                            heard(channel, message);
                        }
                    }))
                    .doOnError(e -> forget())
                    .cache();
        }
        return connection;
    }

    private synchronized void forget() {
        connection = null;
    }

    /** Closes the connection, if one was made; listeners then hear nothing more. */
    Mono<Void> close() {
        Mono<StatefulRedisPubSubConnection<String, String>> conn;
        List<Sinks.Many<String>> listeners = new ArrayList<>();
        synchronized (this) {
            closed = true;
            conn = connection;
            channels.values().forEach(c -> listeners.addAll(c.listeners));
            channels.clear();
        }
        // Outside the monitor: a listener that completes leaves its channel on this thread.
        listeners.forEach(Sinks.Many::tryEmitComplete);
        return conn == null
                ? Mono.empty()
                : conn.flatMap(c -> Mono.fromCompletionStage(c.closeAsync())).onErrorResume(e -> Mono.empty());
    }
}
