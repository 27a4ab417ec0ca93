package io.redtx.runtime;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * Netty 4.2's adaptive buffer allocator guards the growth of its magazine group with a {@code StampedLock} write
 * lock, held for a few instructions; under contention (several connections registering at once) it parks briefly.
 * That is a bounded, CPU-only critical section, not I/O, and Netty's own BlockHound integration does not list it yet.
 * Everything else stays forbidden.
 */
public final class NettyAllocatorBlockHoundIntegration implements BlockHoundIntegration {

    @Override
    public void applyTo(BlockHound.Builder builder) {
        builder.allowBlockingCallsInside(
                "io.netty.buffer.AdaptivePoolingAllocator$MagazineGroup", "tryExpandMagazines");
        builder.allowBlockingCallsInside("io.netty.buffer.AdaptivePoolingAllocator$Magazine", "free");
    }
}
