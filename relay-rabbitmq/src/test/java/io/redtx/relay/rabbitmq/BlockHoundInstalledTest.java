package io.redtx.relay.rabbitmq;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * Proves that blockhound-junit-platform installed BlockHound in this module's test JVM, so that the relay tests would
 * fail on any call into the (blocking) RabbitMQ client from a Reactor thread.
 */
class BlockHoundInstalledTest {

    @Test
    void sleepingOnAParallelThreadFails() {
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
