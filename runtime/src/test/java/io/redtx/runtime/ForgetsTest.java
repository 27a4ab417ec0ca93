package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.CommitProtocol;
import io.redtx.api.RuntimeOptions;
import io.redtx.test.redis.IntentCount;
import io.redtx.test.redis.RedisServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/** Settled COMMITTED records are forgotten in batches, and a graceful close waits for the queued ones. */
class ForgetsTest extends ThreeParticipantsTestBase {

    private static final int TRANSACTIONS = 200;

    @Test
    void recordsAreForgottenInBatchesNotOneScriptEach() {
        runtime(o -> o.recovery(r -> r.interval(Duration.ZERO)));
        // Connect first: the permission probe runs once per connection.
        transfers(0, 3).blockLast(Duration.ofSeconds(30));
        for (RedisServer s : servers()) {
            s.command("CONFIG", "RESETSTAT");
        }

        transfers(3, TRANSACTIONS).blockLast(Duration.ofSeconds(60));
        runtime.closeGracefully().block(Duration.ofSeconds(30));
        runtime = null;

        // Each two-phase transaction runs 4 scripts (2 prepares, the commit point, 1 roll-forward); one forget each
        // would make 5 per transaction.
        long scripts = servers().stream()
                .mapToLong(ThreeParticipantsTestBase::evalshaCalls)
                .sum();
        // Counted from the fourth transaction on (the first three made the connections).
        long counted = TRANSACTIONS - 3;
        assertThat(scripts).isGreaterThanOrEqualTo(4L * counted).isLessThan(4L * counted + counted / 2);
        // The graceful close waited for the queued forgets: nothing is left indexed.
        assertThat(IntentCount.on(RuntimeOptions.DEFAULT_NAMESPACE, servers())).isEqualTo(IntentCount.NONE);
    }

    /** Transactions {@code from .. to-1} at once, each writing one key on "a" and one on "b" (no conflicts). */
    private Flux<Object> transfers(int from, int to) {
        return Flux.range(from, to - from)
                .flatMap(
                        i -> runtime.inTransactionWithResult(tx -> tx.on("a")
                                        .set("k" + i, "1")
                                        .then(tx.on("b").set("k" + i, "2")))
                                .doOnNext(r -> assertThat(r.commit().protocol()).isEqualTo(CommitProtocol.TWO_PHASE)),
                        64)
                .cast(Object.class);
    }
}
