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

    /** What a Redis Cluster answers while a master is down or a slot moves (RedisClusterTest saw each reply). */
    @Test
    void aClusterInFluxIsUnavailableNotAnError() {
        assertThat(map(new RedisCommandExecutionException("CLUSTERDOWN The cluster is down")))
                .isInstanceOf(ParticipantUnavailableException.class);
        assertThat(map(new RedisCommandExecutionException("TRYAGAIN Multiple keys request during rehashing of slot")))
                .isInstanceOf(ParticipantUnavailableException.class);
        // Lettuce follows redirections; one still signalled means it gave up after maxRedirects while slots moved.
        assertThat(map(new RedisCommandExecutionException("MOVED 3999 127.0.0.1:6381")))
                .isInstanceOf(ParticipantUnavailableException.class);
        assertThat(map(new RedisCommandExecutionException("ASK 3999 127.0.0.1:6381")))
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
