package io.redtx.runtime.internal.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.redtx.api.TransactionConflictException.Reason;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Each decoder against the reply its script's header promises (the scripts themselves run against real Redis in the
 * protocol tests); a reply no script gives is an error, not a guess.
 */
class ScriptRepliesTest {

    @Test
    void prepareAndOnePhaseCommitReplies() {
        assertThat(CommitReply.of(List.of("OK"))).isInstanceOf(CommitReply.Ok.class);
        assertThat(CommitReply.of(List.of("SETTLED", "A"))).isEqualTo(new CommitReply.Settled(RecordState.ABORTED));
        assertThat(CommitReply.of(List.of("CONFLICT", 2L, "FOREIGN_INTENT", "tx-9")))
                .isEqualTo(new CommitReply.Conflict(1, Reason.FOREIGN_INTENT, "tx-9"));
        assertThat(CommitReply.of(List.of("CONFLICT", 1L, "READ_CHANGED", "")))
                .isEqualTo(new CommitReply.Conflict(0, Reason.READ_CHANGED, ""));
        assertThat(CommitReply.of(List.of("CONFLICT", 2L, "LOCK_LOST", ""))).isEqualTo(new CommitReply.LockLost(1));
        assertThat(CommitReply.of(List.of("WRONGTYPE", 3L, "list", "")))
                .isEqualTo(new CommitReply.WrongType(2, "list"));
        assertThatThrownBy(() -> CommitReply.of(List.of("MAYBE"))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void recordStatesAndAbortDecisions() {
        assertThat(RecordState.ofCommitReply(List.of("C"))).isEqualTo(RecordState.COMMITTED);
        assertThat(RecordState.ofCommitReply(List.of("A"))).isEqualTo(RecordState.ABORTED);
        assertThat(RecordState.ofCommitReply(List.of("NONE"))).isEqualTo(RecordState.NONE);
        assertThat(RecordState.of("P")).isEqualTo(RecordState.PREPARED);
        assertThatThrownBy(() -> RecordState.of("R")).isInstanceOf(IllegalStateException.class);
        assertThat(AbortReply.of(List.of("A"))).isEqualTo(AbortReply.ABORTED);
        assertThat(AbortReply.of(List.of("C"))).isEqualTo(AbortReply.COMMITTED);
        assertThat(AbortReply.of(List.of("LIVE"))).isEqualTo(AbortReply.LIVE);
        assertThatThrownBy(() -> AbortReply.of(List.of("P"))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void readReplies() {
        var batch = ReadReply.Batch.of(
                List.of(
                        List.of("V", "7"),
                        List.of("N"),
                        List.of("H", List.of("f", "1", "g", "2")),
                        List.of("L", "tx-2"),
                        List.of("WRONGTYPE", "set"),
                        List.of("STALE", "redtx:lk:{a}", "redtx:lk:{b}")),
                5);
        assertThat(batch.entries())
                .containsExactly(
                        new ReadReply.Value("7"),
                        ReadReply.ABSENT,
                        new ReadReply.Hash(java.util.Map.of("f", "1", "g", "2")),
                        new ReadReply.Locked("tx-2"),
                        new ReadReply.WrongType("set"));
        assertThat(batch.staleLocks()).containsExactly("redtx:lk:{a}", "redtx:lk:{b}");
        assertThat(batch.entries().get(0).valueOrNull()).isEqualTo("7");
        assertThat(batch.entries().get(1).valueOrNull()).isNull();
        assertThat(ReadReply.Batch.of(List.of(List.of("N")), 1).staleLocks()).isEmpty();
        assertThatThrownBy(() -> ReadReply.of(List.of("X"))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void inspections() {
        assertThat(Inspection.of(List.of("P", "1", "a", "0", "", "", "")))
                .isEqualTo(new Inspection(RecordState.PREPARED, true, "a", false, "", "", ""));
        assertThat(Inspection.of(List.of("C", "0", "a", "1", "a,b", "pay", "pay,sql")))
                .isEqualTo(new Inspection(RecordState.COMMITTED, false, "a", true, "a,b", "pay", "pay,sql"));
        assertThat(Inspection.of(List.of("NONE", "0", "", "0", "", "", "")).state())
                .isEqualTo(RecordState.NONE);
    }
}
