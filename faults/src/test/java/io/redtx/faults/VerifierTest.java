package io.redtx.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.InstanceOfAssertFactories.STRING;

import io.redtx.api.KeyCommands;
import io.redtx.api.KeyLayout;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The suite's checks find what they must: a state written by hand, right or wrong, straight into the servers. */
@RedisTest
class VerifierTest {

    static final List<String> NAMES = FaultSuite.PARTICIPANTS;
    static final int ACCOUNTS = Transfers.GROUP_SIZE;
    static final long INITIAL = 100;

    /** acct:0 (on a) pays 5 to acct:1 (on b) and to acct:2 (on c). */
    static final Transfers.Transfer T = new Transfers.Transfer("t1", 0, List.of(1, 2), 5);

    List<RedisServer> servers;

    @BeforeEach
    void seed(RedisServer a, RedisServer b, RedisServer c) {
        servers = List.of(a, b, c);
        for (int i = 0; i < ACCOUNTS; i++) {
            set(i, INITIAL);
        }
    }

    private void set(int account, long balance) {
        servers.get(account % 3).command("SET", Transfers.key(account), Long.toString(balance));
    }

    private void applyT(List<String> markersOn) {
        set(0, INITIAL - 10);
        set(1, INITIAL + 5);
        set(2, INITIAL + 5);
        for (String p : markersOn) {
            servers.get(NAMES.indexOf(p)).command("SET", Transfers.MARKER_PREFIX + T.id(), T.encode());
        }
        if (!markersOn.isEmpty()) {
            publish("a", T, "tx-1");
        }
    }

    /** Appends {@code t}'s message as committing transaction {@code txId} would (null: without the field). */
    private void publish(String participant, Transfers.Transfer t, String txId) {
        List<String> xadd = new ArrayList<>(List.of("XADD", Transfers.EVENTS_STREAM, "*"));
        if (txId != null) {
            xadd.addAll(List.of(KeyCommands.TRANSACTION_FIELD, txId));
        }
        t.message().forEach((f, v) -> xadd.addAll(List.of(f, v)));
        servers.get(NAMES.indexOf(participant)).command(xadd.toArray(String[]::new));
    }

    private Verifier.Result verify(Map<String, Outcomes.Claimed> claims) {
        return new Verifier(servers, NAMES, ACCOUNTS, INITIAL).verify(claims, "redtx:");
    }

    private static Map<String, Outcomes.Claimed> claim(Outcomes.Claim claim) {
        return Map.of(T.id(), new Outcomes.Claimed(T, claim, claim.name(), ""));
    }

    @Test
    void aCompleteAcknowledgedTransferPasses() {
        applyT(NAMES);

        Verifier.Result r = verify(claim(Outcomes.Claim.COMMITTED));
        assertThat(r.details()).isEmpty();
        assertThat(r.committedTransfers()).isEqualTo(1);
        assertThat(r.total()).isEqualTo(ACCOUNTS * INITIAL);
        assertThat(r.messages()).isEqualTo(1);
        assertThat(r.messageViolations()).isZero();
    }

    @Test
    void aTransferPresentOnSomeOfItsParticipantsIsPartial() {
        applyT(List.of("a", "b"));

        assertThat(verify(claim(Outcomes.Claim.EITHER)).details())
                .singleElement(STRING)
                .startsWith("partial transfer t1");
    }

    @Test
    void anAcknowledgedTransferThatIsMissingIsAViolation() {
        assertThat(verify(claim(Outcomes.Claim.COMMITTED)).details())
                .singleElement(STRING)
                .startsWith("acknowledged transfer t1");
    }

    @Test
    void aFailedTransferThatIsPresentIsAViolation() {
        applyT(NAMES);

        assertThat(verify(claim(Outcomes.Claim.NO_EFFECT)).details())
                .singleElement(STRING)
                .startsWith("transfer t1 answered");
    }

    @Test
    void aBalanceThatDoesNotMatchItsTransfersIsAViolation() {
        applyT(NAMES);
        set(1, INITIAL); // the credit of acct:1 is lost: its balance and the total are both wrong

        assertThat(verify(claim(Outcomes.Claim.COMMITTED)).details())
                .containsExactly(
                        "acct:1 holds 100, initial plus its transfers' markers make 105",
                        "total balance 2995, expected 3000");
    }

    @Test
    void anIntentLeftBehindIsAViolation() {
        servers.get(1).command("HSET", KeyLayout.DEFAULT.lockPrefix() + "{acct:4}", "some-tx", "w");

        assertThat(verify(Map.of()).details())
                .singleElement(STRING)
                .startsWith("unsettled after recovery: IntentCount[locks=1");
    }

    @Test
    void aMessageForATransferWithoutMarkersIsAViolation() {
        Transfers.Transfer uncommitted = new Transfers.Transfer("t2", 3, List.of(4), 7);
        publish("a", uncommitted, "tx-2");

        Verifier.Result r = verify(Map.of());
        assertThat(r.details())
                .singleElement(STRING)
                .startsWith("message ")
                .endsWith(" on a for transfer t2 (3>4:7), which has no markers: not committed");
        assertThat(r.messages()).isEqualTo(1);
        assertThat(r.messageViolations()).isEqualTo(1);
    }

    @Test
    void aCommittedTransferWithASecondMessageIsAViolation() {
        applyT(NAMES);
        publish("a", T, "tx-1"); // appended twice, e.g. by a roll-forward that was not idempotent

        Verifier.Result r = verify(claim(Outcomes.Claim.COMMITTED));
        assertThat(r.details()).containsExactly("committed transfer t1 (0>1,2:5) has 2 messages, on [a, a]");
        assertThat(r.messages()).isEqualTo(2);
        assertThat(r.messageViolations()).isEqualTo(1);
    }

    @Test
    void aCommittedTransferWithoutAMessageIsAViolation() {
        applyT(NAMES);
        servers.get(0).command("DEL", Transfers.EVENTS_STREAM);

        assertThat(verify(claim(Outcomes.Claim.COMMITTED)).details())
                .containsExactly("committed transfer t1 (0>1,2:5) has no message");
    }

    @Test
    void aMessageWithoutTheTransactionIdIsAViolation() {
        applyT(NAMES);
        servers.get(0).command("DEL", Transfers.EVENTS_STREAM);
        publish("a", T, null);

        assertThat(verify(claim(Outcomes.Claim.COMMITTED)).details())
                .singleElement(STRING)
                .contains(" on a carries no " + KeyCommands.TRANSACTION_FIELD + " field");
    }

    @Test
    void aMessageOnAnotherParticipantThanItsSourceIsAViolation() {
        applyT(NAMES);
        servers.get(0).command("DEL", Transfers.EVENTS_STREAM);
        publish("b", T, "tx-1");

        assertThat(verify(claim(Outcomes.Claim.COMMITTED)).details())
                .singleElement(STRING)
                .endsWith(" on b for transfer t1 is not on its source's participant a");
    }

    @Test
    void everyMessageOfAStreamLongerThanOneReadIsChecked() {
        int n = 2 * Verifier.PAGE + 1;
        for (int i = 0; i < n; i++) {
            publish("c", new Transfers.Transfer("u" + i, 2, List.of(5), 1), "tx-u" + i);
        }

        Verifier.Result r = verify(Map.of());
        assertThat(r.messages()).isEqualTo(n);
        assertThat(r.messageViolations()).isEqualTo(n);
        assertThat(r.violations()).isEqualTo(n);
    }
}
