package io.redtx.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConnectionOptionsTest {

    @Test
    void defaultsAreTheDocumentedConstants() {
        ConnectionOptions c = ConnectionOptions.builder().build();

        assertThat(c.perParticipant())
                .isEqualTo(ConnectionOptions.DEFAULT_CONNECTIONS_PER_PARTICIPANT)
                .isEqualTo(2);
        assertThat(c.requireSyncedWrites()).isFalse();
        assertThat(c).isEqualTo(ConnectionOptions.defaults()).hasSameHashCodeAs(ConnectionOptions.defaults());
    }

    @Test
    void builderSetsEveryField() {
        ConnectionOptions c = ConnectionOptions.builder()
                .perParticipant(64)
                .requireSyncedWrites(true)
                .build();

        assertThat(c.perParticipant()).isEqualTo(64);
        assertThat(c.requireSyncedWrites()).isTrue();
        assertThat(c).hasToString("ConnectionOptions{perParticipant=64, requireSyncedWrites=true}");
    }

    @Test
    void mutateLeavesTheOriginalAlone() {
        ConnectionOptions original =
                ConnectionOptions.builder().requireSyncedWrites(true).build();

        ConnectionOptions changed = original.mutate().perParticipant(1).build();

        assertThat(original.perParticipant()).isEqualTo(ConnectionOptions.DEFAULT_CONNECTIONS_PER_PARTICIPANT);
        assertThat(changed.perParticipant()).isEqualTo(1);
        assertThat(changed.requireSyncedWrites()).isTrue();
        assertThat(changed).isNotEqualTo(original);
        assertThat(original.mutate().build()).isEqualTo(original).hasSameHashCodeAs(original);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, 65})
    void connectionsOutside1To64AreRefusedNamingTheValue(int connections) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> ConnectionOptions.builder().perParticipant(connections))
                .withMessage(
                        connections < 1
                                ? "connectionsPerParticipant must be >= 1, was " + connections
                                : "connectionsPerParticipant must be <= 64, was " + connections);
    }
}
