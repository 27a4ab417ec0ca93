package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.ParticipantDurability;
import io.redtx.api.RedtxConfigurationException;
import io.redtx.api.RuntimeOptions;
import io.redtx.runtime.internal.protocol.ProtocolHooks;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** {@code verify()}: what would fail on first use fails now, named, and not as something to wait out. */
class VerifyTest extends ThreeParticipantsTestBase {

    @Test
    void verifyConnectsEveryParticipantAndReportsItsDurability() {
        runtime();

        StepVerifier.create(runtime.verify())
                .assertNext(all -> assertThat(all)
                        .extracting(ParticipantDurability::participant)
                        .containsExactly("a", "b", "c"))
                .verifyComplete();
    }

    /**
     * A participant where nothing listens and one whose Redis user lacks a command the scripts call: both named, with
     * what is wrong and their URI without its password; the one that works is not.
     */
    @Test
    void verifyNamesEveryParticipantThatCannotWorkAndWhy() throws IOException {
        List<String> rules = new ArrayList<>(
                List.of("ACL", "SETUSER", "narrow", "reset", "on", ">s3cret", "~*", "resetchannels", "-@all"));
        AclTest.REDTX_COMMANDS.stream().filter(c -> !c.equals("zadd")).forEach(c -> rules.add("+" + c));
        b.command(rules.toArray(String[]::new));
        runtime = RedisTransactionRuntime.create(
                RuntimeOptions.builder()
                        .participant("ok", a.uri())
                        .participant("down", "redis://app:s3cret@127.0.0.1:" + freePort())
                        .participant("narrow", "redis://narrow:s3cret@127.0.0.1:" + b.port())
                        .timeouts(t -> t.connect(Duration.ofSeconds(2)))
                        .build(),
                ProtocolHooks.NONE);

        StepVerifier.create(runtime.verify())
                .expectErrorSatisfies(e -> {
                    System.out.println(e.getMessage());
                    assertThat(e)
                            .isInstanceOfSatisfying(
                                    RedtxConfigurationException.class,
                                    c -> assertThat(c.problems()).containsOnlyKeys("down", "narrow"))
                            .hasMessageStartingWith("2 participants are not usable as configured: 'down':"
                                    + " redis://app:***@127.0.0.1:")
                            .hasMessageContaining("cannot be reached")
                            .hasMessageContaining("'narrow': redis://narrow:***@127.0.0.1:" + b.port()
                                    + ": the Redis user lacks permission for [zadd]")
                            .hasMessageNotContaining("s3cret");
                })
                .verify(Duration.ofSeconds(20));
    }

    @Test
    void verifyRefusesADurabilityBelowWhatIsRequired() {
        runtime(o -> o.connections(c -> c.requireSyncedWrites(true)));

        StepVerifier.create(runtime.verify())
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOfSatisfying(
                                RedtxConfigurationException.class,
                                c -> assertThat(c.problems()).containsOnlyKeys("a", "b", "c"))
                        .hasMessageContaining("requireSyncedWrites needs appendonly yes and appendfsync always"))
                .verify(Duration.ofSeconds(20));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
