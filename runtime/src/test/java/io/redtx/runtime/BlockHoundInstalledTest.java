package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * Proves that BlockHound is installed in this module's test JVM by blockhound-junit-platform, without any test
 * calling {@code BlockHound.install()} itself: a blocking call on a Reactor thread must surface as an error.
 */
class BlockHoundInstalledTest {

    @Test
    void sleepingOnAParallelSchedulerThreadFailsWithBlockingOperationError() {
        Mono<String> blocking = Mono.fromCallable(() -> {
                    Thread.sleep(1);
                    return "slept";
                })
                .subscribeOn(Schedulers.parallel());

        StepVerifier.create(blocking)
                .expectErrorSatisfies(error -> assertThat(error)
                        .isInstanceOf(BlockingOperationError.class)
                        .hasMessageContaining("java.lang.Thread.sleep"))
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void parkingOnATimerThreadFailsWithBlockingOperationError() {
        Mono<Long> blocking = Mono.delay(Duration.ofMillis(1)).doOnNext(tick -> LockSupport.parkNanos(1_000_000));

        StepVerifier.create(blocking).expectError(BlockingOperationError.class).verify(Duration.ofSeconds(5));
    }

    @Test
    void theSameCallOnABoundedElasticThreadIsAllowed() {
        Mono<String> allowed = Mono.fromCallable(() -> {
                    Thread.sleep(1);
                    return "slept";
                })
                .subscribeOn(Schedulers.boundedElastic());

        StepVerifier.create(allowed).expectNext("slept").verifyComplete();
    }
}
