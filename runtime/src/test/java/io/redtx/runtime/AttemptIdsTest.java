package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.RetryPolicy;
import io.redtx.api.Transaction;
import io.redtx.api.TransactionResult;
import io.redtx.api.TransactionStatus;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** A caller learns every attempt's id as it starts (Transaction.onAttempt), so it can ask status() after giving up. */
class AttemptIdsTest extends ThreeParticipantsTestBase {

    @Test
    void everyAttemptsIdReachesTheCallerAndTheLastOneCommitted() {
        a.command("SET", "v", "1");
        AtomicInteger attempts = new AtomicInteger();
        List<String> ids = new CopyOnWriteArrayList<>();
        runtime(o -> o.retryPolicy(RetryPolicy.builder().maxAttempts(3).build()));

        TransactionResult<String> result = runtime.inTransactionWithResult(tx -> tx.on("a")
                        .get("v")
                        .flatMap(seen -> attempts.incrementAndGet() == 1
                                ? outside(() -> a.command("SET", "v", "2")).thenReturn(seen)
                                : Mono.just(seen))
                        .flatMap(seen -> tx.on("b").set("w", seen).thenReturn(seen)))
                .contextWrite(Transaction.onAttempt(ids::add))
                .block(Duration.ofSeconds(10));

        assertThat(ids).hasSize(2).doesNotHaveDuplicates();
        assertThat(result.commit().transactionId()).isEqualTo(ids.get(1));
        assertThat(runtime.status(ids.get(1)).block(Duration.ofSeconds(10))).isEqualTo(TransactionStatus.COMMITTED);
    }

    /** The caller's own time limit cancels the attempt while a participant is paused; the id tells what became of it. */
    @Test
    void aCallerThatGaveUpCanAskWhatBecameOfItsAttempt() {
        List<String> ids = new CopyOnWriteArrayList<>();
        runtime(o -> o.retryPolicy(RetryPolicy.none()));
        b.command("SET", "y", "0");

        b.pause();
        try {
            StepVerifier.create(runtime.inTransaction(tx ->
                                    tx.on("a").set("x", "1").then(tx.on("b").incrBy("y", 1)))
                            .contextWrite(Transaction.onAttempt(ids::add))
                            .timeout(Duration.ofMillis(300)))
                    .expectError(TimeoutException.class)
                    .verify(Duration.ofSeconds(10));
        } finally {
            b.resume();
        }
        awaitBackground();

        assertThat(ids).hasSize(1);
        assertThat(runtime.status(ids.get(0)).block(Duration.ofSeconds(10)))
                .isIn(TransactionStatus.ABORTED, TransactionStatus.UNKNOWN);
        assertThat(get(a, "x")).isNull();
    }
}
