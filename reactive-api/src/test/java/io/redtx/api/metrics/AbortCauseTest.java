package io.redtx.api.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import io.redtx.api.ParticipantErrorException;
import io.redtx.api.ParticipantUnavailableException;
import io.redtx.api.RedtxArgumentException;
import io.redtx.api.RedtxTransientException;
import io.redtx.api.TransactionConflictException;
import io.redtx.api.TransactionOutcomeUnknownException;
import io.redtx.api.TransactionPhase;
import io.redtx.api.TransactionRejectedException;
import io.redtx.api.TransactionStateException;
import io.redtx.api.TransactionTimeoutException;
import io.redtx.api.external.ExternalParticipantException;
import io.redtx.api.lock.LockLostException;
import io.redtx.api.lock.StaleTokenException;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AbortCauseTest {

    static Stream<Arguments> redtxErrors() {
        return Stream.of(
                Arguments.of(
                        new TransactionConflictException(
                                "tx-1", "orders", "k", TransactionConflictException.Reason.READ_CHANGED, null),
                        AbortCause.CONFLICT),
                Arguments.of(
                        new TransactionTimeoutException(
                                "tx-1", TransactionPhase.PREPARE, Duration.ofSeconds(2), "orders"),
                        AbortCause.TIMEOUT),
                Arguments.of(
                        new ParticipantUnavailableException("tx-1", "orders", new ConnectException("refused")),
                        AbortCause.PARTICIPANT_UNAVAILABLE),
                Arguments.of(
                        new ParticipantErrorException("tx-1", "orders", "WRONGTYPE on 'k'", null),
                        AbortCause.PARTICIPANT_ERROR),
                Arguments.of(
                        new ExternalParticipantException("tx-1", "pay", "external participant 'pay' refused", null),
                        AbortCause.PARTICIPANT_ERROR),
                Arguments.of(new RedtxArgumentException("tx-1", "key must not be empty"), AbortCause.INVALID),
                Arguments.of(new LockLostException("tx-1", "l", "orders", 7, "taken"), AbortCause.FENCED),
                Arguments.of(new StaleTokenException("tx-1", "ledger", 4, 5), AbortCause.FENCED),
                Arguments.of(new TransactionStateException("tx-1", "handle used after commit"), AbortCause.INVALID),
                Arguments.of(
                        new TransactionOutcomeUnknownException("tx-1", "commit point reply lost", null),
                        AbortCause.OUTCOME_UNKNOWN),
                Arguments.of(
                        new TransactionRejectedException(
                                TransactionRejectedException.Reason.LIMIT_REACHED, 8, "8 in flight"),
                        AbortCause.REJECTED));
    }

    @ParameterizedTest
    @MethodSource("redtxErrors")
    void eachRedtxErrorMapsToItsCause(Throwable error, AbortCause expected) {
        assertThat(AbortCause.of(error)).isEqualTo(expected);
    }

    @Test
    void anErrorThatIsNotRedtxsIsAUserError() {
        assertThat(AbortCause.of(new IllegalStateException("boom"))).isEqualTo(AbortCause.USER_ERROR);
        assertThat(AbortCause.of(new IOException("checked"))).isEqualTo(AbortCause.USER_ERROR);
        assertThat(AbortCause.of(new AssertionError("an Error"))).isEqualTo(AbortCause.USER_ERROR);
    }

    @Test
    void aRedtxErrorWrappedByUserCodeIsAUserError() {
        RuntimeException wrapped = new RuntimeException(new TransactionConflictException(
                "tx-1", "orders", "k", TransactionConflictException.Reason.FOREIGN_INTENT, null));

        assertThat(AbortCause.of(wrapped)).isEqualTo(AbortCause.USER_ERROR);
    }

    @Test
    void aRedtxSubclassDefinedOutsideRedtxIsAUserError() {
        class UserDefined extends RedtxTransientException {
            private static final long serialVersionUID = 1L;

            UserDefined() {
                super("user's own", null, null);
            }
        }

        assertThat(AbortCause.of(new UserDefined())).isEqualTo(AbortCause.USER_ERROR);
    }

    @Test
    void everyCauseButCancelledIsDerivedFromSomeError() {
        Set<AbortCause> derived = redtxErrors()
                .map(args -> AbortCause.of((Throwable) args.get()[0]))
                .collect(Collectors.toCollection(() -> EnumSet.noneOf(AbortCause.class)));
        derived.add(AbortCause.of(new IllegalStateException()));

        assertThat(EnumSet.complementOf(EnumSet.copyOf(derived)))
                .containsExactlyInAnyOrder(AbortCause.CANCELLED, AbortCause.ROLLED_BACK);
    }

    @Test
    void nullIsRefused() {
        assertThatNullPointerException().isThrownBy(() -> AbortCause.of(null)).withMessage("error");
    }
}
