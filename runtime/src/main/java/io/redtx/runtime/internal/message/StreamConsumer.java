package io.redtx.runtime.internal.message;

import io.redtx.api.ParticipantErrorException;
import io.redtx.api.ParticipantUnavailableException;
import io.redtx.api.TransactionPhase;
import io.redtx.api.TransactionStateException;
import io.redtx.api.TransactionTimeoutException;
import io.redtx.api.message.ConsumerOptions;
import io.redtx.api.message.Delivery;
import io.redtx.api.message.NoSuchGroupException;
import io.redtx.runtime.internal.protocol.RuntimeContext;
import io.redtx.runtime.internal.redis.Errors;
import io.redtx.runtime.internal.redis.LuaScript;
import io.redtx.runtime.internal.redis.ParticipantLink;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;

/**
 * One consumer of a consumer group: each subscription to {@link #deliveries()} is a consumer that reads with
 * {@code stream_read.lua}, one read at a time and never more entries than are requested, pausing for the poll
 * interval when the stream has nothing new.
 */
final class StreamConsumer {

    private final RuntimeContext ctx;
    private final ConsumerOptions options;
    private final ParticipantLink participant;
    private final String[] keys;
    private final Duration timeout;

    StreamConsumer(Consumers consumers, ConsumerOptions options, ParticipantLink participant) {
        this.ctx = consumers.ctx;
        this.options = options;
        this.participant = participant;
        this.keys = new String[] {options.stream(), options.deadLetterStream()};
        this.timeout = ctx.options.timeouts().read();
    }

    Flux<Delivery> deliveries() {
        return Flux.create(sink -> new Reader(sink).start(), FluxSink.OverflowStrategy.ERROR);
    }

    /** What the participant answered to an attempt to reach it, as the API reports it. */
    private Throwable unreachable(Throwable e) {
        if (e instanceof TimeoutException || e instanceof TransactionTimeoutException) {
            return new ParticipantUnavailableException(null, participant.name(), e);
        }
        return Errors.map(e, null, participant.name(), TransactionPhase.READ, timeout);
    }

    /** The state of one subscription. Reads are serialised by {@link #wip}: at most one is in flight. */
    private final class Reader {

        private final FluxSink<Delivery> sink;
        private final String consumer;
        private final AtomicInteger wip = new AtomicInteger();
        // Written by the one drain pass or read completion at a time (wip hands them over).
        private boolean busy; // a read in flight, or the pause after an empty one
        private String claimCursor = "0-0";
        private long nextClaimAt;
        private String ownPendingFrom;
        private volatile Disposable current;
        private volatile boolean done;

        Reader(FluxSink<Delivery> sink) {
            this.sink = sink;
            // Not UUID.randomUUID(): SecureRandom may block, and a subscription can start on a Reactor thread.
            this.consumer = options.consumer()
                    .orElseGet(() -> "redtx-"
                            + Long.toHexString(ThreadLocalRandom.current().nextLong())
                            + Long.toHexString(ThreadLocalRandom.current().nextLong()));
            // Only a consumer with a name kept across restarts can have entries of its own already pending.
            this.ownPendingFrom = options.consumer().isPresent() ? "0" : "";
        }

        void start() {
            sink.onRequest(n -> drain());
            sink.onDispose(() -> {
                done = true;
                Disposable d = current;
                if (d != null) {
                    d.dispose();
                }
            });
        }

        private void drain() {
            if (wip.getAndIncrement() != 0) {
                return;
            }
            do {
                long demand = sink.requestedFromDownstream();
                if (!busy && !done && demand > 0) {
                    if (ctx.closed.get()) {
                        done = true;
                        sink.error(new TransactionStateException(null, "the transaction runtime is closed"));
                        return;
                    }
                    busy = true;
                    read((int) Math.min(demand, options.batchSize()));
                }
            } while (wip.decrementAndGet() != 0);
        }

        private void read(int count) {
            long now = ctx.nowMillis();
            boolean claim = !options.claimIdle().isZero() && ownPendingFrom.isEmpty() && now >= nextClaimAt;
            current = participant
                    .eval(
                            LuaScript.STREAM_READ,
                            timeout,
                            null,
                            keys,
                            options.group(),
                            consumer,
                            Integer.toString(count),
                            claim ? Long.toString(options.claimIdle().toMillis()) : "0",
                            claimCursor,
                            Integer.toString(options.maxDeliveries()),
                            options.createGroup() ? "1" : "0",
                            ownPendingFrom)
                    .subscribe(reply -> received(reply, claim), this::failed);
        }

        private void received(List<Object> reply, boolean claimed) {
            if (done) {
                return; // cancelled: what was read stays pending, and is reclaimed after claimIdle
            }
            String status = String.valueOf(reply.get(0));
            if (status.equals("NOGROUP")) {
                failed(new NoSuchGroupException(participant.name(), options.stream(), options.group()));
                return;
            }
            if (status.equals("WRONGTYPE")) {
                failed(new ParticipantErrorException(
                        null,
                        participant.name(),
                        "WRONGTYPE key '" + reply.get(1) + "' holds a " + reply.get(2) + " (stream consumer of group '"
                                + options.group() + "')",
                        null));
                return;
            }
            boolean reading = !ownPendingFrom.isEmpty();
            if (claimed) {
                claimCursor = String.valueOf(reply.get(1));
                // A finished pass over the pending entries waits a while before the next; a partial one goes on.
                long pause = claimCursor.equals("0-0")
                        ? Math.max(
                                options.pollInterval().toMillis(),
                                options.claimIdle().toMillis() / 2)
                        : 0;
                nextClaimAt = ctx.nowMillis() + pause;
            }
            long buried = (Long) reply.get(2);
            if (reading) {
                ownPendingFrom = String.valueOf(reply.get(3));
            }
            int delivered = reply.size() - 4;
            for (int i = 4; i < reply.size(); i++) {
                sink.next(delivery((List<?>) reply.get(i)));
            }
            // Nothing at all (nothing new, reclaimed or buried, no own entries left): pause before asking again. A
            // read that found some goes on at once, so a trickle of messages is not slowed to one read per pause.
            boolean idle = delivered == 0 && buried == 0 && !reading && (!claimed || claimCursor.equals("0-0"));
            if (idle) {
                current = ctx.timer()
                        .schedule(this::resume, options.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
            } else {
                resume();
            }
        }

        private void resume() {
            busy = false;
            drain();
        }

        private void failed(Throwable e) {
            if (!done) {
                done = true;
                sink.error(
                        e instanceof NoSuchGroupException || e instanceof ParticipantErrorException
                                ? e
                                : unreachable(e));
            }
        }

        private Delivery delivery(List<?> entry) {
            List<?> flat = (List<?>) entry.get(2);
            Map<String, String> fields = new LinkedHashMap<>(flat.size());
            for (int i = 0; i + 1 < flat.size(); i += 2) {
                fields.put(String.valueOf(flat.get(i)), String.valueOf(flat.get(i + 1)));
            }
            return new StreamDelivery(
                    StreamConsumer.this,
                    String.valueOf(entry.get(0)),
                    (Long) entry.get(1),
                    Collections.unmodifiableMap(fields));
        }
    }

    /** Acknowledges one entry of this consumer's group. */
    Mono<Void> ack(String id) {
        return Mono.defer(() -> participant.eval(
                        LuaScript.STREAM_ACK, timeout, null, new String[] {options.stream()}, options.group(), id))
                .onErrorMap(this::unreachable)
                .then();
    }

    String participantName() {
        return participant.name();
    }

    ConsumerOptions options() {
        return options;
    }
}
