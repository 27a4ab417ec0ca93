package io.redtx.spring.boot;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * Proves that blockhound-junit-platform installed BlockHound in this module's test JVM, so the starter's tests run with
 * blocking calls on Reactor and Netty threads forbidden (the lifecycle's waits included).
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
