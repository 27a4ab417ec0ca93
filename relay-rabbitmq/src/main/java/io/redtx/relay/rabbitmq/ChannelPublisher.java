package io.redtx.relay.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ShutdownSignalException;
import io.redtx.api.Durations;
import java.io.IOException;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * One subscription's connection and confirm-mode channel to the broker. The RabbitMQ client does blocking socket I/O
 * and a channel must not be published on by two threads at once, so every call into the client (connect, publish,
 * close) runs on one thread of its own, never on a Reactor or Netty thread; confirms arrive on the client's connection
 * thread and complete the publish's sink, found by its publish sequence number.
 */
final class ChannelPublisher {

    private final ConnectionFactory factory;
    private final String exchange;
    private final Duration minBackoff;
    private final Duration maxBackoff;
    private final Scheduler scheduler;
    private final AtomicInteger unconfirmed;
    private final AtomicInteger peakUnconfirmed;
    private final AtomicInteger connections;

    // Touched on the publishing thread only.
    private Session session;
    private boolean closed;
    private RuntimeException lastConnectFailure;
    private long nextConnectNanos;
    private Duration connectDelay;

    ChannelPublisher(
            ConnectionFactory factory,
            RabbitRelayOptions options,
            AtomicInteger unconfirmed,
            AtomicInteger peakUnconfirmed,
            AtomicInteger connections) {
        this.factory = factory;
        this.exchange = options.exchange();
        this.minBackoff = options.minBackoff();
        this.maxBackoff = options.maxBackoff();
        this.connectDelay = minBackoff;
        this.unconfirmed = unconfirmed;
        this.peakUnconfirmed = peakUnconfirmed;
        this.connections = connections;
        // One thread: publishes are serialized on the channel in sequence-number order. Bounded-elastic threads may
        // block (BlockHound allows them), and an idle one is let go after a minute.
        this.scheduler = Schedulers.newBoundedElastic(1, Integer.MAX_VALUE, "redtx-relay-rabbitmq", 60, true);
    }

    /**
     * Publishes one message; completes when the broker confirmed it, fails with {@link RabbitRelayPublishException}
     * when it nacked it or the connection was lost first, or {@link RabbitRelayRefusedException}. Cancelling forgets
     * the message (a late confirm is ignored). Lazy.
     */
    Mono<Void> publish(String routingKey, AMQP.BasicProperties properties, byte[] body) {
        return Mono.<Void>create(sink -> publishNow(sink, routingKey, properties, body))
                .subscribeOn(scheduler);
    }

    private void publishNow(MonoSink<Void> sink, String routingKey, AMQP.BasicProperties properties, byte[] body) {
        if (closed) {
            sink.error(new RabbitRelayPublishException("the relay is closed", null));
            return;
        }
        Session s;
        try {
            s = session();
        } catch (RuntimeException e) {
            sink.error(e);
            return;
        }
        long seq = s.channel.getNextPublishSeqNo();
        // Registered before publishing: the confirm may come back on the connection thread before basicPublish returns.
        s.pending.put(seq, sink);
        peakUnconfirmed.accumulateAndGet(unconfirmed.incrementAndGet(), Math::max);
        sink.onDispose(() -> s.forget(seq, sink));
        try {
            s.channel.basicPublish(exchange, routingKey, false, properties, body);
        } catch (IOException | RuntimeException e) {
            s.forget(seq, sink);
            RuntimeException cause = s.closeCause;
            sink.error(cause != null ? cause : Errors.map(e, exchange));
        }
    }

    private Session session() {
        if (session != null && session.channel.isOpen()) {
            return session;
        }
        if (session != null) {
            session.abort();
            session = null;
        }
        long now = System.nanoTime();
        if (lastConnectFailure != null && now - nextConnectNanos < 0) {
            // Backing off: every message in flight comes here on each of its retries, and a broker that is down
            // should see one connection attempt per backoff step, not one per message.
            RuntimeException last = lastConnectFailure;
            if (last instanceof RabbitRelayRefusedException refused) {
                throw new RabbitRelayRefusedException(refused.exchange(), refused.replyCode(), last.getMessage(), last);
            }
            throw new RabbitRelayPublishException(
                    "not connected to the broker, next attempt in at most " + Durations.text(connectDelay) + ": "
                            + last.getMessage(),
                    last);
        }
        try {
            session = Session.open(factory, exchange, this);
            connections.incrementAndGet();
            lastConnectFailure = null;
            connectDelay = minBackoff;
            return session;
        } catch (RuntimeException e) {
            lastConnectFailure = e;
            nextConnectNanos = now + connectDelay.toNanos();
            Duration doubled = connectDelay.multipliedBy(2);
            connectDelay = doubled.compareTo(maxBackoff) > 0 ? maxBackoff : doubled;
            throw e;
        }
    }

    /** Closes the connection (on the publishing thread, since closing waits for the broker) and lets the thread go. */
    Mono<Void> close() {
        return Mono.<Void>fromRunnable(() -> {
                    closed = true;
                    if (session != null) {
                        session.close();
                        session = null;
                    }
                })
                .subscribeOn(scheduler)
                .then(Mono.defer(scheduler::disposeGracefully))
                .onErrorResume(e -> Mono.empty());
    }

    private void released() {
        unconfirmed.decrementAndGet();
    }

    /** A connection, its channel in confirm mode, and the sinks of the messages it has not had confirmed yet. */
    private static final class Session {
        final Connection connection;
        final Channel channel;
        final ConcurrentNavigableMap<Long, MonoSink<Void>> pending = new ConcurrentSkipListMap<>();
        final ChannelPublisher owner;
        volatile RuntimeException closeCause;

        private Session(Connection connection, Channel channel, ChannelPublisher owner) {
            this.connection = connection;
            this.channel = channel;
            this.owner = owner;
        }

        static Session open(ConnectionFactory factory, String exchange, ChannelPublisher owner) {
            Connection connection;
            try {
                connection = factory.newConnection("redtx-relay-rabbitmq");
            } catch (IOException | TimeoutException | RuntimeException e) {
                throw Errors.map(e, exchange);
            }
            try {
                Channel channel = connection.createChannel();
                if (channel == null) {
                    throw new RabbitRelayPublishException("the broker has no channel left on a new connection", null);
                }
                Session s = new Session(connection, channel, owner);
                channel.addShutdownListener(cause -> s.closed(cause, exchange));
                channel.confirmSelect();
                channel.addConfirmListener(
                        (seq, multiple) -> s.confirmed(seq, multiple, null),
                        (seq, multiple) -> s.confirmed(
                                seq,
                                multiple,
                                new RabbitRelayPublishException(
                                        "the broker nacked the message (exchange '" + exchange + "')", null)));
                if (!exchange.isEmpty()) {
                    // Fails at once, with 404, when the exchange does not exist, rather than at the first publish.
                    channel.exchangeDeclarePassive(exchange);
                }
                return s;
            } catch (IOException | RuntimeException e) {
                connection.abort();
                throw Errors.map(e, exchange);
            }
        }

        void confirmed(long seq, boolean multiple, RuntimeException nack) {
            if (!multiple) {
                complete(seq, pending.get(seq), nack);
                return;
            }
            Iterator<Map.Entry<Long, MonoSink<Void>>> it =
                    pending.headMap(seq, true).entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<Long, MonoSink<Void>> e = it.next();
                complete(e.getKey(), e.getValue(), nack);
            }
        }

        private void complete(long seq, MonoSink<Void> sink, RuntimeException nack) {
            if (sink == null || !pending.remove(seq, sink)) {
                return; // already timed out or cancelled: a late confirm changes nothing
            }
            owner.released();
            if (nack == null) {
                sink.success();
            } else {
                sink.error(nack);
            }
        }

        void forget(long seq, MonoSink<Void> sink) {
            if (pending.remove(seq, sink)) {
                owner.released();
            }
        }

        void closed(ShutdownSignalException cause, String exchange) {
            RuntimeException error = Errors.map(cause, exchange);
            closeCause = error;
            // Unconfirmed messages of a closed channel may or may not have reached the broker: they fail (and are
            // published again, with the same messageId, on the next connection).
            for (Long seq : pending.keySet()) {
                MonoSink<Void> sink = pending.get(seq);
                if (sink != null && pending.remove(seq, sink)) {
                    owner.released();
                    sink.error(error);
                }
            }
        }

        void abort() {
            connection.abort();
        }

        void close() {
            try {
                connection.close(5_000);
            } catch (IOException | RuntimeException e) {
                connection.abort();
            }
        }
    }
}
