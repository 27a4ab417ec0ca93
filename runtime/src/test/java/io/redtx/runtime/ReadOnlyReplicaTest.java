package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.ParticipantUnavailableException;
import io.redtx.api.RedtxConfigurationException;
import io.redtx.api.RetryPolicy;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionRuntime;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/**
 * A participant that answers as a replica, as a Sentinel master does once a failover demoted it and before the
 * connection follows the new master: its {@code READONLY} refusal is a retryable unavailability (nothing ran), not a
 * participant error.
 */
@RedisTest
class ReadOnlyReplicaTest {

    @Test
    void aWriteToADemotedMasterIsARetryableUnavailabilityAndWritesNothing(RedisServer primary, RedisServer replica) {
        primary.command("SET", "x", "1");
        // Start the full sync at once (Redis waits 5 s for more replicas by default).
        primary.command("CONFIG", "SET", "repl-diskless-sync-delay", "0");
        replica.command("REPLICAOF", primary.host(), Integer.toString(primary.port()));
        awaitInSync(replica);
        TransactionRuntime rt = RedisTransactionRuntime.create(RuntimeOptions.builder()
                .participant("r", replica.uri())
                .retryPolicy(RetryPolicy.none())
                .build());
        try {
            // Refused before the script runs: every commit script is declared as writing.
            StepVerifier.create(rt.inTransaction(tx -> tx.on("r").incrBy("x", 1)))
                    .expectErrorSatisfies(e -> assertThat(e)
                            .isInstanceOf(ParticipantUnavailableException.class)
                            .hasMessageContaining("READONLY"))
                    .verify(Duration.ofSeconds(10));
            // verify() tells a participant configured on a replica at once, as a configuration error.
            StepVerifier.create(rt.verify())
                    .expectErrorSatisfies(e -> assertThat(e)
                            .isInstanceOf(RedtxConfigurationException.class)
                            .hasMessageContaining("'r'")
                            .hasMessageContaining("is a replica"))
                    .verify(Duration.ofSeconds(10));
        } finally {
            rt.closeGracefully().block(Duration.ofSeconds(30));
            replica.command("REPLICAOF", "NO", "ONE");
        }
        assertThat(primary.command("GET", "x")).isEqualTo("1");
        assertThat(replica.command("GET", "x")).isEqualTo("1");
    }

    private static void awaitInSync(RedisServer replica) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!String.valueOf(replica.command("INFO", "replication")).contains("master_link_status:up")) {
            assertThat(System.nanoTime()).as("replica in sync within 10 s").isLessThan(deadline);
            sleep(20);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
