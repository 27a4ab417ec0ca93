package io.redtx.samples.webflux;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * Allows the one lock of Jackson 3 that event-loop threads may park on: {@code DeserializerCache} builds the
 * deserializer of a type it has not seen under a {@code ReentrantLock} (CPU only, once per type), so two requests or
 * responses decoded at once the first time meet there (seen with concurrent {@code WebClient} responses). As with
 * test-support's {@code ClientLocksBlockHoundIntegration}, not allowing it is worse than a false alarm: the error
 * thrown from inside {@code lock()} can leave the lock's wait queue broken. Everything else stays forbidden.
 * Registered through {@code ServiceLoader} ({@code META-INF/services}).
 */
public final class JacksonBlockHoundIntegration implements BlockHoundIntegration {

    /** Created by {@code ServiceLoader}. */
    public JacksonBlockHoundIntegration() {}

    @Override
    public void applyTo(BlockHound.Builder builder) {
        builder.allowBlockingCallsInside(
                "tools.jackson.databind.deser.DeserializerCache", "_createAndCacheValueDeserializer");
    }
}
