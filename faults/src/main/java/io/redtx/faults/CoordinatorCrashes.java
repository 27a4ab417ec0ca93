package io.redtx.faults;

import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionRuntime;
import io.redtx.runtime.RedisTransactionRuntime;
import io.redtx.runtime.internal.protocol.ProtocolHooks;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.publisher.Mono;

/**
 * The fault suite's handle on the runtime's test-only injection points ({@link ProtocolHooks}, in the runtime's
 * internal package: not part of redtx's API). {@link #arm(Point)}
 * picks a step; the next multi-shard commit that reaches it "dies" there: its commit fails with
 * {@link #isCrash(Throwable) a crash} and nothing after that step runs — no rollback, no roll-forward — as if the
 * coordinator's process had gone. Commands it sent before still arrive. Every other transaction goes on.
 */
public final class CoordinatorCrashes {

    /** Where a coordinator can die. */
    public enum Point {
        /** Before any prepare was sent. */
        BEFORE_PREPARE(ProtocolHooks.Step.BEFORE_PREPARE, 0, 0),
        /** After 1 prepare of 2 or 3 was sent. */
        AFTER_ONE_PREPARE(ProtocolHooks.Step.PREPARE_SHARD, 1, 2),
        /** After 2 prepares of 3 were sent. */
        AFTER_TWO_OF_THREE_PREPARES(ProtocolHooks.Step.PREPARE_SHARD, 2, 3),
        /** Every shard prepared, before the commit point. */
        AFTER_PREPARE(ProtocolHooks.Step.AFTER_PREPARE, 0, 0),
        /** After the commit point, before any secondary was rolled forward. */
        AFTER_COMMIT_POINT(ProtocolHooks.Step.AFTER_COMMIT_POINT, 0, 0),
        /** After 1 of 2 secondaries was rolled forward. */
        DURING_SECONDARIES(ProtocolHooks.Step.COMMIT_SECONDARY, 1, 2);

        final ProtocolHooks.Step step;
        final int sent;
        final int minimumOf;

        Point(ProtocolHooks.Step step, int sent, int minimumOf) {
            this.step = step;
            this.sent = sent;
            this.minimumOf = minimumOf;
        }

        boolean perShard() {
            return step == ProtocolHooks.Step.PREPARE_SHARD || step == ProtocolHooks.Step.COMMIT_SECONDARY;
        }
    }

    /** One armed crash; {@code victim} is the transaction it took, once it fired. */
    private record Armed(Point point, AtomicReference<String> victim) {}

    private final AtomicReference<Armed> armed = new AtomicReference<>();

    /**
     * Creates a runtime whose commits die where this object says.
     *
     * @param options the runtime's options
     * @return a new runtime; its owner closes it
     */
    public TransactionRuntime create(RuntimeOptions options) {
        return RedisTransactionRuntime.create(options, this::at);
    }

    /**
     * Makes the next commit that reaches {@code point} die there (replacing any crash armed before).
     *
     * @param point where
     */
    public void arm(Point point) {
        armed.set(new Armed(point, new AtomicReference<>()));
    }

    /** @return the id of the transaction the armed crash took, or null while it has not fired */
    public String victim() {
        Armed a = armed.get();
        return a == null ? null : a.victim().get();
    }

    /** Disarms (a crash that already fired stays fired). */
    public void disarm() {
        armed.set(null);
    }

    /**
     * @param error what a commit failed with
     * @return whether it is the death of its coordinator at an armed point
     */
    public static boolean isCrash(Throwable error) {
        return error instanceof ProtocolHooks.Halted;
    }

    private Mono<Void> at(ProtocolHooks.Point at) {
        Armed a = armed.get();
        if (a == null || at.step() != a.point().step) {
            return Mono.empty();
        }
        String id = at.transactionId();
        if (a.point().perShard()) {
            if (at.of() < a.point().minimumOf || at.sent() < a.point().sent) {
                return Mono.empty();
            }
            // Exactly `sent` commands went out: only the hook at that count takes a victim; a dead coordinator's
            // later per-shard hooks (running concurrently) die too.
            if (at.sent() > a.point().sent) {
                return id.equals(a.victim().get()) ? died() : Mono.empty();
            }
        }
        String victim = a.victim().compareAndExchange(null, id);
        return victim == null || victim.equals(id) ? died() : Mono.empty();
    }

    private static Mono<Void> died() {
        return Mono.error(new IllegalStateException("coordinator crashed (fault injection)"));
    }
}
