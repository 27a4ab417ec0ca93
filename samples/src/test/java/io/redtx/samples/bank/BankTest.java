package io.redtx.samples.bank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.redtx.api.CommitProtocol;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionRuntime;
import io.redtx.runtime.RedisTransactionRuntime;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/** The bank's operations one at a time, on two real servers ("a" holds even accounts, "b" odd ones). */
@RedisTest
class BankTest {

    static final Duration WAIT = Duration.ofSeconds(30);

    static RedisServer a;
    static RedisServer b;

    TransactionRuntime runtime;
    Bank bank;

    @BeforeAll
    static void startServers(RedisServer first, RedisServer second) {
        a = first;
        b = second;
    }

    @BeforeEach
    void flushAndCreateBank() {
        a.flushAll();
        b.flushAll();
        runtime = RedisTransactionRuntime.create(RuntimeOptions.builder()
                .participant("a", a.uri())
                .participant("b", b.uri())
                .build());
        bank = new Bank(runtime, List.of("a", "b"), 200, 1_000);
    }

    @AfterEach
    void closeRuntime() {
        runtime.closeGracefully().block(WAIT);
    }

    @Test
    void seedWritesTheInitialBalanceIntoEveryAccountOnItsParticipant() {
        bank.seed().as(StepVerifier::create).expectComplete().verify(WAIT);

        assertThat(a.command("GET", "acct:0")).isEqualTo("1000");
        assertThat(b.command("GET", "acct:1")).isEqualTo("1000");
        assertThat(a.command("GET", "acct:1")).isNull();
        assertThat((List<?>) a.command("KEYS", "acct:*")).hasSize(100);
        bank.checkInvariant()
                .as(StepVerifier::create)
                .assertNext(invariant -> {
                    assertThat(invariant.total()).isEqualTo(200_000L);
                    assertThat(invariant.groups()).isEqualTo(2);
                    assertThat(invariant.holds()).isTrue();
                })
                .verifyComplete();
    }

    @Test
    void transferBetweenParticipantsMovesTheAmountInTwoPhases() {
        bank.seed().block(WAIT);

        bank.transfer(0, 1, 30)
                .as(StepVerifier::create)
                .assertNext(t -> {
                    assertThat(t.status()).isEqualTo(Bank.Status.TRANSFERRED);
                    assertThat(t.commit().protocol()).isEqualTo(CommitProtocol.TWO_PHASE);
                })
                .verifyComplete();

        assertThat(a.command("GET", "acct:0")).isEqualTo("970");
        assertThat(b.command("GET", "acct:1")).isEqualTo("1030");
    }

    @Test
    void transferOnOneParticipantCommitsInOnePhase() {
        bank.seed().block(WAIT);

        bank.transfer(0, 2, 10)
                .as(StepVerifier::create)
                .assertNext(t -> assertThat(t.commit().protocol()).isEqualTo(CommitProtocol.ONE_PHASE))
                .verifyComplete();

        assertThat(a.command("GET", "acct:0")).isEqualTo("990");
        assertThat(a.command("GET", "acct:2")).isEqualTo("1010");
    }

    @Test
    void transferAboveTheSourceBalanceWritesNothing() {
        bank.seed().block(WAIT);

        bank.transfer(0, 1, 1_001)
                .as(StepVerifier::create)
                .assertNext(t -> assertThat(t.status()).isEqualTo(Bank.Status.INSUFFICIENT_FUNDS))
                .verifyComplete();

        assertThat(a.command("GET", "acct:0")).isEqualTo("1000");
        assertThat(b.command("GET", "acct:1")).isEqualTo("1000");
    }

    @Test
    void transferFromAnAccountThatWasNeverSeededFails() {
        bank.transfer(0, 1, 1)
                .as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(IllegalStateException.class)
                        // Both balances are read at once: either may be the one reported.
                        .hasMessageMatching(
                                "account 'acct:(0' does not exist on participant 'a|1' does not exist on participant 'b)"
                                        + "': seed the bank first"))
                .verify(WAIT);
        assertThat(b.command("GET", "acct:1")).isNull();
    }

    @Test
    void auditSeesTheGroupTotalAfterTransfers() {
        bank.seed().block(WAIT);
        bank.transfer(100, 199, 50).then(bank.transfer(101, 150, 7)).block(WAIT);

        bank.audit(1)
                .as(StepVerifier::create)
                .assertNext(audit -> {
                    assertThat(audit.sum()).isEqualTo(100_000L);
                    assertThat(audit.consistent()).isTrue();
                })
                .verifyComplete();
        assertThat(a.command("GET", "acct:100")).isEqualTo("950");
    }

    @Test
    void auditReportsAWrongGroupTotal() {
        bank.seed().block(WAIT);
        a.command("SET", "acct:0", "999"); // a writer bypassing redtx breaks the invariant

        bank.audit(0)
                .as(StepVerifier::create)
                .assertNext(audit -> {
                    assertThat(audit.sum()).isEqualTo(99_999L);
                    assertThat(audit.consistent()).isFalse();
                })
                .verifyComplete();
        assertThat(bank.checkInvariant().block(WAIT).holds()).isFalse();
    }

    @Test
    void randomTransfersStayInsideOneGroupAndCrossParticipantsWhenAsked() {
        bank.seed().block(WAIT);
        Random random = new Random(42);

        List<Bank.Transfer> transfers = Flux.range(0, 200)
                .concatMap(i -> bank.transfer(random, true))
                .collectList()
                .block(WAIT);

        assertThat(transfers).allSatisfy(t -> {
            assertThat(t.from() / Bank.GROUP_SIZE).isEqualTo(t.to() / Bank.GROUP_SIZE);
            assertThat(bank.participantOf(t.from())).isNotEqualTo(bank.participantOf(t.to()));
            assertThat(t.amount()).isBetween(1L, (long) Bank.MAX_AMOUNT);
        });
        assertThat(bank.checkInvariant().block(WAIT).holds()).isTrue();
    }

    @Test
    void badArgumentsAreRejectedNamingTheArgument() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new Bank(runtime, List.of("a"), 150, 1))
                .withMessage("accounts must be a positive multiple of 100, was 150");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new Bank(runtime, List.of("a", "a"), 100, 1))
                .withMessageContaining("distinct");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> bank.transfer(3, 3, 1))
                .withMessage("from and to must differ, both were 3");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> bank.transfer(0, 1, 0))
                .withMessage("amount must be positive, was 0");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> bank.transfer(0, 200, 1))
                .withMessage("to must be in [0, 200), was 200");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> bank.audit(2))
                .withMessage("group must be in [0, 2), was 2");
    }
}
