package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.test.redis.RedisServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The runtime keeps connectionsPerParticipant connections to a participant, made on first use, used in turn. */
class ConnectionsPerParticipantTest extends ThreeParticipantsTestBase {

    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void commandsTakeTheConfiguredConnectionsInTurn(int connections) {
        runtime(o -> o.connections(c -> c.perParticipant(connections)));
        long before = clients(a);

        // Each transaction sends a read and a one-phase commit: 6 commands, so every connection gets one.
        for (int i = 0; i < 3; i++) {
            runtime.inTransaction(tx -> tx.on("a").get("k")).block(Duration.ofSeconds(10));
        }

        assertThat(clients(a) - before).isEqualTo(connections);
    }

    @Test
    void noConnectionIsMadeBeforeItsFirstUse() {
        long before = clients(b);
        runtime(o -> o.connections(c -> c.perParticipant(4)));
        runtime.inTransaction(tx -> tx.on("a").get("k")).block(Duration.ofSeconds(10));

        assertThat(clients(b)).isEqualTo(before);
    }

    /** Clients connected now (the test's own command connection included, the same in every reading). */
    private static long clients(RedisServer s) {
        for (String line : String.valueOf(s.command("INFO", "clients")).split("\r?\n")) {
            if (line.startsWith("connected_clients:")) {
                return Long.parseLong(
                        line.substring("connected_clients:".length()).trim());
            }
        }
        throw new IllegalStateException("no connected_clients in INFO clients");
    }
}
