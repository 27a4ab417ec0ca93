package io.redtx.test.blockhound;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * The short, CPU-only critical sections of the client libraries that may park under contention, and only those;
 * everything else stays forbidden on Reactor and Netty threads. Registered through {@code ServiceLoader}, so every
 * test JVM that has BlockHound and this module applies it (BlockHound itself is an optional dependency here).
 *
 * <ul>
 *   <li>Netty 4.2's adaptive buffer allocator guards the growth of its magazine group with a {@code StampedLock}
 *       write lock, held for a few instructions; Netty's own BlockHound integration does not list it yet.
 *   <li>Lettuce's {@code SharedLock} takes a {@code ReentrantLock} for a few instructions on every command write
 *       ({@code incrementWriters}) and before an exclusive section ({@code lockWritersExclusive}). redtx writes to one
 *       participant's connection from whichever thread completes the previous step (another connection's event
 *       loop, a timeout or retry-backoff timer), so under load two threads meet there and one parks for a moment.
 *       Not allowing it is worse than a false alarm: the {@code BlockingOperationError} thrown from inside
 *       {@code lock()} makes {@code DefaultEndpoint.write}'s {@code finally} decrement a writer count it never
 *       incremented, after which every write to that connection spins forever (seen with 64 concurrent transfers).
 *   <li>Lettuce's {@code DefaultEndpoint.validateWrite} reads the size of its command queues on every write; with a
 *       bounded {@code requestQueueSize} (the runtime sets 100,000) those are {@code ArrayBlockingQueue}s, whose
 *       {@code size()} takes the queue's {@code ReentrantLock}, so concurrent writers park there for a moment too.
 *   <li>Reactor's periodic scheduler tasks ({@code Flux.interval}): disposing one cancels its future, which removes it
 *       from the executor's {@code DelayedWorkQueue} under that queue's {@code ReentrantLock}. Reactor's own
 *       integration allows this for one-shot tasks ({@code SchedulerTask.dispose}, {@code WorkerTask.dispose}) but not
 *       for the periodic ones. The error thrown from inside {@code lock()} leaves the lock's wait queue broken, and
 *       every thread that schedules a timer afterwards (all of Reactor's {@code timeout}s) parks forever (seen in
 *       the bank test once each 2PC commit disposed its lease-extension ticker).
 *   <li>Lettuce's cluster client, which makes a connection to each node on the first command for it, from whichever
 *       thread sends that command: the new connection's command proxies look their method table up under a static
 *       {@code ReentrantLock} ({@code MethodTranslator.of}); the connection provider picks a slot's connection, and
 *       swaps the slot map after a topology refresh, under its {@code stateLock}, and also sets up each new node
 *       connection (auto-flush, push listener) under it, in a lambda of {@code NodeConnectionPostProcessor.apply}
 *       ({@code lambda$apply$4} in Lettuce 7.7.0); the slot map rebuilds its cache under its own lock. All are held
 *       for a map lookup, a copy or a field set. An error thrown there leaves a node
 *       connection half made, which rejects every later command as "not connected" (seen after a master restart).
 * </ul>
 */
public final class ClientLocksBlockHoundIntegration implements BlockHoundIntegration {

    @Override
    public void applyTo(BlockHound.Builder builder) {
        builder.allowBlockingCallsInside(
                "io.netty.buffer.AdaptivePoolingAllocator$MagazineGroup", "tryExpandMagazines");
        builder.allowBlockingCallsInside("io.netty.buffer.AdaptivePoolingAllocator$Magazine", "free");
        builder.allowBlockingCallsInside("io.lettuce.core.protocol.SharedLock", "incrementWriters");
        builder.allowBlockingCallsInside("io.lettuce.core.protocol.SharedLock", "lockWritersExclusive");
        builder.allowBlockingCallsInside("io.lettuce.core.protocol.DefaultEndpoint", "validateWrite");
        builder.allowBlockingCallsInside("reactor.core.scheduler.PeriodicSchedulerTask", "dispose");
        builder.allowBlockingCallsInside("reactor.core.scheduler.PeriodicWorkerTask", "dispose");
        builder.allowBlockingCallsInside("reactor.core.scheduler.InstantPeriodicWorkerTask", "dispose");
        builder.allowBlockingCallsInside("io.lettuce.core.internal.AbstractInvocationHandler$MethodTranslator", "of");
        for (String method :
                new String[] {"getWriteConnection", "getReadConnection", "resetFastConnectionCache", "setPartitions"}) {
            builder.allowBlockingCallsInside("io.lettuce.core.cluster.PooledClusterConnectionProvider", method);
        }
        builder.allowBlockingCallsInside(
                "io.lettuce.core.cluster.PooledClusterConnectionProvider$NodeConnectionPostProcessor",
                "lambda$apply$4");
        builder.allowBlockingCallsInside("io.lettuce.core.cluster.models.partitions.Partitions", "reload");
        builder.allowBlockingCallsInside("io.lettuce.core.cluster.models.partitions.Partitions", "updateCache");
    }
}
