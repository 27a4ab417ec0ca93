package io.redtx.runtime.internal.redis;

import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.util.HashMap;
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
 * (a lock was released): a listener that misses one finds out by its own timer, so subscribing is not awaited and a
 * connection that cannot be made only leaves the listeners to their timers.
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

    private static final class Channel {
        final Sinks.Many<String> messages = Sinks.many().multicast().directBestEffort();
        int listeners;
    }

    Channels(
            String participant,
            Supplier<CompletionStage<? extends StatefulRedisPubSubConnection<String, String>>> connect) {
        this.participant = participant;
        this.connect = connect;
    }

    /**
     * @return the messages on {@code channel} from the moment of subscription (subscribing to the channel on the
     *     server if no one listens yet) until cancelled; never an error
     */
    Flux<String> messages(String channel) {
        return Flux.defer(() -> {
            Channel c;
            boolean first;
            synchronized (this) {
                if (closed) {
                    return Flux.empty();
                }
                c = channels.computeIfAbsent(channel, k -> new Channel());
                first = c.listeners++ == 0;
            }
            if (first) {
                connection()
                        .subscribe(
                                conn -> conn.async().subscribe(channel),
                                e -> log.debug(
                                        "redtx: cannot listen on '{}' of '{}': {}",
                                        channel,
                                        participant,
                                        e.toString()));
            }
            return c.messages.asFlux().doFinally(signal -> leave(channel, c));
        });
    }

    private void leave(String channel, Channel c) {
        boolean last;
        Mono<StatefulRedisPubSubConnection<String, String>> conn;
        synchronized (this) {
            last = --c.listeners == 0;
            if (last) {
                channels.remove(channel, c);
            }
            conn = connection;
        }
        if (last && conn != null) {
            conn.subscribe(
                    open -> open.async().unsubscribe(channel), e -> {}); // no connection: nothing is subscribed there
        }
    }

    private synchronized Mono<StatefulRedisPubSubConnection<String, String>> connection() {
        if (connection == null) {
            Mono<StatefulRedisPubSubConnection<String, String>> made =
                    Mono.<StatefulRedisPubSubConnection<String, String>>fromCompletionStage(() ->
                                    connect.get().thenApply(c -> (StatefulRedisPubSubConnection<String, String>) c))
                            .doOnNext(c -> c.addListener(new RedisPubSubAdapter<>() {
                                @Override
                                public void message(String channel, String message) {
                                    Channel listening;
                                    synchronized (Channels.this) {
                                        listening = channels.get(channel);
                                    }
                                    if (listening != null) {
                                        listening.messages.tryEmitNext(message);
                                    }
                                }
                            }))
                            .doOnError(e -> forget())
                            .cache();
            connection = made;
        }
        return connection;
    }

    private synchronized void forget() {
        connection = null;
    }

    /** Closes the connection, if one was made; listeners then hear nothing more. */
    Mono<Void> close() {
        Mono<StatefulRedisPubSubConnection<String, String>> conn;
        synchronized (this) {
            closed = true;
            conn = connection;
            channels.values().forEach(c -> c.messages.tryEmitComplete());
            channels.clear();
        }
        return conn == null
                ? Mono.empty()
                : conn.flatMap(c -> Mono.fromCompletionStage(c.closeAsync())).onErrorResume(e -> Mono.empty());
    }
}
