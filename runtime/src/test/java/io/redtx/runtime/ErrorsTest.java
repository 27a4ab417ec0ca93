package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisLoadingException;
import io.redtx.api.ParticipantErrorException;
import io.redtx.api.ParticipantUnavailableException;
import io.redtx.api.TransactionPhase;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Which error replies are transient (the server is not ready yet) and which are the participant's answer. */
class ErrorsTest {

    private static Throwable map(Throwable e) {
        return Errors.map(e, "tx", "a", TransactionPhase.PREPARE, Duration.ofSeconds(1));
    }

    @Test
    void aServerStillLoadingItsDataIsUnavailableNotAnError() {
        // What a participant restarted with a large AOF answers until it has read it (seen by the fault suite).
        assertThat(map(new RedisLoadingException("LOADING Redis is loading the dataset in memory")))
                .isInstanceOf(ParticipantUnavailableException.class);
        assertThat(map(new RedisCommandExecutionException(
                        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.")))
                .isInstanceOf(ParticipantUnavailableException.class);
        assertThat(map(new RedisCommandExecutionException("MASTERDOWN Link with MASTER is down")))
                .isInstanceOf(ParticipantUnavailableException.class);
    }

    @Test
    void otherErrorRepliesAreTheParticipantsAnswer() {
        assertThat(map(new RedisCommandExecutionException("NOPERM this user has no permissions")))
                .isInstanceOf(ParticipantErrorException.class);
        assertThat(map(new RedisCommandExecutionException("BUSYKEY Target key name already exists.")))
                .isInstanceOf(ParticipantErrorException.class);
    }
}
