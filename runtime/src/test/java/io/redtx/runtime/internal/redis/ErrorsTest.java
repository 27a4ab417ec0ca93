package io.redtx.runtime.internal.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisBusyException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisLoadingException;
import io.lettuce.core.RedisReadOnlyException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.redtx.api.ParticipantErrorException;
import io.redtx.api.ParticipantUnavailableException;
import io.redtx.api.TransactionPhase;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import javax.net.ssl.SSLHandshakeException;
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
        assertThat(map(new RedisBusyException(
                        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.")))
                .isInstanceOf(ParticipantUnavailableException.class);
        // A Sentinel master demoted to a replica by a failover, until the connection follows the new master.
        assertThat(map(new RedisReadOnlyException("READONLY You can't write against a read only replica.")))
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
        // A script's own command refused (Redis 7.0.15's exact words): a key on the other
        // master of a slot being resharded, or a cluster that went down.
        assertThat(map(new RedisCommandExecutionException("ERR Script attempted to access a non local key in a cluster"
                        + " node script: 6846d15f787c19acf8929f915a860cc407212dd4, on @user_script:2.")))
                .isInstanceOf(ParticipantUnavailableException.class);
        assertThat(map(new RedisCommandExecutionException(
                        "ERR Script attempted to execute a write command while the cluster is down and readonly")))
                .isInstanceOf(ParticipantUnavailableException.class);
    }

    @Test
    void onlyAMovingSlotIsWorthWaitingFor() {
        assertThat(Errors.slotMoving(new RedisCommandExecutionException(
                        "TRYAGAIN Multiple keys request during" + " rehashing of slot")))
                .isTrue();
        assertThat(Errors.slotMoving(new RedisCommandExecutionException("ASK 3999 127.0.0.1:6381")))
                .isTrue();
        assertThat(Errors.slotMoving(new RedisCommandExecutionException("ERR Script attempted to access a non local"
                        + " key in a cluster node script: 6846d15f, on @user_script:2.")))
                .isTrue();
        assertThat(Errors.slotMoving(new RedisCommandExecutionException("CLUSTERDOWN The cluster is down")))
                .as("a master is down: no migration will end it")
                .isFalse();
        assertThat(Errors.slotMoving(new IllegalStateException("TRYAGAIN"))).isFalse();
    }

    @Test
    void otherErrorRepliesAreTheParticipantsAnswer() {
        assertThat(map(new RedisCommandExecutionException("NOPERM this user has no permissions")))
                .isInstanceOf(ParticipantErrorException.class);
        assertThat(map(new RedisCommandExecutionException("BUSYKEY Target key name already exists.")))
                .isInstanceOf(ParticipantErrorException.class);
    }

    /** A refused handshake cannot be fixed by retrying; one cut short (a server restarting, a timeout) may be. */
    @Test
    void onlyARefusedTlsHandshakeIsARefusal() {
        SSLHandshakeException alert = new SSLHandshakeException("Received fatal alert: certificate_required");
        assertThat(Errors.tlsRefusal(new RedisConnectionException("Unable to connect", new DecoderException(alert))))
                .isEqualTo("Received fatal alert: certificate_required");
        SSLHandshakeException untrusted = new SSLHandshakeException("PKIX path building failed");
        untrusted.initCause(new CertificateException("unable to find valid certification path"));
        assertThat(Errors.tlsRefusal(new CompletionException(untrusted))).isEqualTo("PKIX path building failed");

        assertThat(Errors.tlsRefusal(new SSLHandshakeException("Remote host terminated the handshake")))
                .isNull();
        assertThat(Errors.tlsRefusal(new SslHandshakeTimeoutException("handshake timed out after 10000ms")))
                .isNull();
        assertThat(Errors.tlsRefusal(new RedisConnectionException("Connection refused")))
                .isNull();
    }

    @Test
    void aRedirectionNamesWhereTheSlotIsServed() {
        assertThat(Errors.redirection(new RedisCommandExecutionException("MOVED 3999 127.0.0.1:6381")))
                .isEqualTo(new Errors.Redirection(false, "127.0.0.1", 6381));
        assertThat(Errors.redirection(new RedisCommandExecutionException("ASK 3999 ::1:7000")))
                .isEqualTo(new Errors.Redirection(true, "::1", 7000));
        assertThat(Errors.redirection(new RedisCommandExecutionException("MOVED 3999 127.0.0.1")))
                .isNull();
        assertThat(Errors.redirection(new RedisCommandExecutionException("MOVED 3999 host:port")))
                .isNull();
        assertThat(Errors.redirection(new RedisCommandExecutionException("TRYAGAIN Multiple keys request")))
                .isNull();
        assertThat(Errors.redirection(new IllegalStateException("MOVED 3999 127.0.0.1:6381")))
                .isNull();
    }
}
