package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.redtx.api.RetryPolicy;
import io.redtx.api.TransactionOutcomeUnknownException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * A connection lost with a command in flight: the command fails at once and is never sent again (Lettuce would re-send
 * it after reconnecting unless commands are rejected while disconnected), and the participant is usable again.
 */
class ConnectionLossTest extends ThreeParticipantsTestBase {

    @Test
    void aOnePhaseCommitInFlightWhenItsConnectionDropsIsNeverSentAgain() throws InterruptedException {
        // One connection, so that the warm-up below connects the one the commit will use.
        var rt = runtime(o -> o.timeouts(t -> t.commit(Duration.ofSeconds(5)))
                .retryPolicy(RetryPolicy.none())
                .connections(c -> c.perParticipant(1)));
        rt.inTransaction(t -> t.on("a").get("warm-up")).block(Duration.ofSeconds(10));

        // The server holds every write (scripts included) without running it; the commit waits in its input buffer.
        a.command("CLIENT", "PAUSE", "5000", "WRITE");
        try {
            var commit = rt.inTransaction(t -> t.on("a").set("x", "1")).toFuture();
            Thread.sleep(300);
            a.command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"); // the runtime's connection
            assertThatThrownBy(commit::join)
                    .isInstanceOf(CompletionException.class)
                    .cause()
                    .isInstanceOf(TransactionOutcomeUnknownException.class);
        } finally {
            a.command("CLIENT", "UNPAUSE");
        }
        // Re-sent after a reconnect, the commit would run now, after its caller was told "unknown" (and a commit that
        // had run before its reply was lost would run a second time).
        Thread.sleep(500);
        assertThat(get(a, "x")).isNull();

        rt.inTransaction(t -> t.on("a").set("y", "2")).block(Duration.ofSeconds(10));
        assertThat(get(a, "y")).isEqualTo("2");
    }
}
