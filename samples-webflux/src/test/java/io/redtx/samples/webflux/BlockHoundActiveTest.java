package io.redtx.samples.webflux;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * Proves that blockhound-junit-platform installed BlockHound in this module's test JVM, so the service's tests run with
 * blocking calls on Reactor and Netty threads forbidden.
 */
class BlockHoundActiveTest {

    @Test
    void sleepingOnAParallelSchedulerThreadFails() {
        Mono.fromCallable(() -> {
                    Thread.sleep(1);
                    return "slept";
                })
                .subscribeOn(Schedulers.parallel())
                .as(StepVerifier::create)
                .expectError(BlockingOperationError.class)
                .verify(Duration.ofSeconds(5));
    }
}
