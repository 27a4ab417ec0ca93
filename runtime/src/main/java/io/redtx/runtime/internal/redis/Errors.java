package io.redtx.runtime.internal.redis;

import io.lettuce.core.RedisBusyException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisLoadingException;
import io.lettuce.core.RedisReadOnlyException;
import io.redtx.api.ParticipantErrorException;
import io.redtx.api.ParticipantUnavailableException;
import io.redtx.api.RedtxException;
import io.redtx.api.TransactionPhase;
import io.redtx.api.TransactionTimeoutException;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLHandshakeException;
import reactor.core.Exceptions;

/** Maps what Lettuce and Reactor signal to redtx's exceptions (in the spirit of Lettuce's ExceptionFactory). */
public final class Errors {

    /** What Redis answers a script's command while the cluster is down (also "... a write command while ..."). */
    private static final String CLUSTER_DOWN_IN_SCRIPT = "command while the cluster is down";

    /** What Redis answers a script's command for a key that the node does not hold (or must not create) now. */
    private static final String NON_LOCAL_KEY = "Script attempted to access a non local key";

    private Errors() {}

    /**
     * For a failure whose effect is known not to matter: before the commit point, or on a read. A timeout becomes
     * {@link TransactionTimeoutException} naming the phase and configured value; an error reply becomes
     * {@link ParticipantErrorException}, unless it says the server is {@link #notYet not ready yet}; anything else (connection refused, closed, reset) becomes
     * {@link ParticipantUnavailableException}.
     */
    public static Throwable map(
            Throwable e, String txId, String participant, TransactionPhase phase, Duration configuredTimeout) {
        if (e instanceof Error) {
            return e; // a JVM or test-tool error (BlockHound's, say) is nobody's participant failure
        }
        if (e instanceof TimeoutException) {
            return new TransactionTimeoutException(txId, phase, configuredTimeout, participant);
        }
        if (e instanceof TransactionTimeoutException t && t.transactionId() == null) {
            return new TransactionTimeoutException(txId, t.phase(), t.timeout(), participant);
        }
        if (e instanceof RedisCommandExecutionException) {
            return notYet(e)
                    ? new ParticipantUnavailableException(txId, participant, e)
                    : new ParticipantErrorException(txId, participant, e.getMessage(), e);
        }
        if (e instanceof ParticipantUnavailableException u) {
            return u.transactionId() == null ? new ParticipantUnavailableException(txId, participant, u.getCause()) : u;
        }
        if (e instanceof ParticipantErrorException p && p.transactionId() == null) {
            return new ParticipantErrorException(txId, participant, p.reply(), p.getCause());
        }
        if (e instanceof RedtxException r) {
            return r;
        }
        return new ParticipantUnavailableException(txId, participant, e);
    }

    /**
     * True for an error reply saying the server cannot run commands yet: it is loading its data after a restart
     * ({@code LOADING}), a script is running past its time limit ({@code BUSY}), it is a replica now ({@code
     * READONLY}: a Sentinel master demoted by a failover, until the connection follows the new master), its primary
     * or cluster is down ({@code MASTERDOWN}, {@code CLUSTERDOWN}, or a script told so), or a Cluster slot is being
     * resharded ({@link #slotMoving}). Nothing was written (a replica refuses a writing script before it runs), and a
     * later attempt may succeed.
     */
    public static boolean notYet(Throwable e) {
        if (e instanceof RedisLoadingException
                || e instanceof RedisBusyException
                || e instanceof RedisReadOnlyException) {
            return true;
        }
        // Replies Lettuce has no type for.
        String m = e.getMessage();
        return m != null
                && (m.startsWith("MASTERDOWN")
                        || m.startsWith("CLUSTERDOWN")
                        || m.contains(CLUSTER_DOWN_IN_SCRIPT)
                        || slotMoving(e));
    }

    /**
     * True for an error reply saying that a Redis Cluster slot the command needs is being resharded: {@code TRYAGAIN}
     * (its keys are split between the two masters), a {@code MOVED} or {@code ASK} left after Lettuce's redirections,
     * or a script refused because a key it reads is not on the node that runs it (every redtx script reads such keys
     * before its first write, so it did nothing). The same command succeeds once the keys are together again.
     */
    public static boolean slotMoving(Throwable e) {
        if (!(e instanceof RedisCommandExecutionException)) {
            return false;
        }
        String m = e.getMessage();
        return m != null
                && (m.startsWith("TRYAGAIN")
                        || m.startsWith("MOVED ")
                        || m.startsWith("ASK ")
                        || m.contains(NON_LOCAL_KEY));
    }

    /** Where a Cluster node's {@code MOVED} or {@code ASK} reply points. */
    record Redirection(boolean ask, String host, int port) {}

    /**
     * Where a {@code MOVED <slot> <host>:<port>} or {@code ASK <slot> <host>:<port>} error reply points (the host may
     * be an IPv6 address, so the port is after its last ':'); null for any other error.
     */
    static Redirection redirection(Throwable e) {
        if (!(e instanceof RedisCommandExecutionException) || e.getMessage() == null) {
            return null;
        }
        String[] parts = e.getMessage().split(" ");
        boolean ask = parts[0].equals("ASK");
        if (parts.length != 3 || !(ask || parts[0].equals("MOVED"))) {
            return null;
        }
        int colon = parts[2].lastIndexOf(':');
        try {
            return colon <= 0
                    ? null
                    : new Redirection(
                            ask, parts[2].substring(0, colon), Integer.parseInt(parts[2].substring(colon + 1)));
        } catch (NumberFormatException notAPort) {
            return null;
        }
    }

    /**
     * Why a TLS handshake was refused, when a connection failed for that: the server refused this client (its alert,
     * such as {@code Received fatal alert: certificate_required}, or no protocol or cipher in common), or this client
     * refused the server's certificate (an untrusted chain, {@code PKIX path building failed}; another host name; an
     * expired certificate). Retrying cannot fix those. A handshake cut short (a server restarting, a handshake
     * timeout) is not a refusal. Null for any other failure.
     */
    static String tlsRefusal(Throwable e) {
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof SSLHandshakeException handshake) {
                String message = String.valueOf(handshake.getMessage());
                for (Throwable c = handshake; c != null && c.getCause() != c; c = c.getCause()) {
                    if (c instanceof CertificateException) {
                        return message;
                    }
                }
                return message.startsWith("Received fatal alert") ? message : null;
            }
        }
        return null;
    }

    /**
     * True when the command certainly never reached the server: the connection could not be made (or was refused,
     * for example NOPERM on SCRIPT LOAD), or Lettuce
     * rejected the command while disconnected. Then its effect is known to be nil.
     */
    public static boolean notSent(Throwable e) {
        // All three are raised while connecting, before any command of the transaction was written.
        if (e instanceof ParticipantUnavailableException
                || e instanceof ParticipantErrorException
                || (e instanceof TransactionTimeoutException t && t.phase() == TransactionPhase.CONNECT)) {
            return true;
        }
        String message = e.getMessage();
        return message != null && message.contains("Currently not connected");
    }

    /**
     * The one error to report when concurrent legs failed together (Reactor then signals a composite): the first redtx
     * error, so a conflict stays retryable, else the first.
     */
    public static Throwable first(Throwable e) {
        if (!Exceptions.isMultiple(e)) {
            return e;
        }
        List<Throwable> all = Exceptions.unwrapMultiple(e);
        for (Throwable t : all) {
            if (t instanceof RedtxException) {
                return t;
            }
        }
        return all.get(0);
    }

    /** True for an error reply of the server: the script did not run (NOSCRIPT, NOPERM, OOM) or failed as a whole. */
    public static boolean serverRefused(Throwable e) {
        return e instanceof RedisCommandExecutionException;
    }
}
