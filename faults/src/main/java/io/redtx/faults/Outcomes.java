package io.redtx.faults;

import io.redtx.api.TransactionOutcomeUnknownException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** What each transfer's caller was told, and counts by kind. Thread-safe. */
final class Outcomes {

    /** What the caller's answer promises about a transfer's effect. */
    enum Claim {
        /** Acknowledged: present on all its participants. */
        COMMITTED,
        /** Failed, or nothing to write: present on none. */
        NO_EFFECT,
        /** Outcome unknown (or its coordinator died): present on all or on none. */
        EITHER
    }

    /**
     * @param transfer the transfer
     * @param claim what its answer promises
     * @param kind the answer, for counting
     * @param detail the error's message, or empty
     */
    record Claimed(Transfers.Transfer transfer, Claim claim, String kind, String detail) {}

    private final Map<String, Claimed> claims = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> byKind = new ConcurrentHashMap<>();
    private final Map<String, String> firstDetails = new ConcurrentHashMap<>();

    /** @return what a transfer that committed promises */
    static Claimed of(Transfers.Transfer t, Transfers.Status status) {
        return status == Transfers.Status.TRANSFERRED
                ? new Claimed(t, Claim.COMMITTED, "committed", "")
                : new Claimed(t, Claim.NO_EFFECT, "insufficient-funds", "");
    }

    /** @return what a transfer that failed with {@code error} promises */
    static Claimed of(Transfers.Transfer t, Throwable error) {
        String detail = String.valueOf(error.getMessage()).replace('\n', ' ');
        if (CoordinatorCrashes.isCrash(error)) {
            return new Claimed(t, Claim.EITHER, "coordinator-crashed", detail);
        }
        if (error instanceof TransactionOutcomeUnknownException) {
            return new Claimed(t, Claim.EITHER, "outcome-unknown", detail);
        }
        return new Claimed(t, Claim.NO_EFFECT, "failed " + error.getClass().getSimpleName(), detail);
    }

    void record(Claimed c) {
        Claimed previous = claims.putIfAbsent(c.transfer().id(), c);
        if (previous != null) {
            throw new IllegalStateException(
                    "transfer " + c.transfer().id() + " answered twice: " + previous + ", " + c);
        }
        count(c.kind(), 1);
        if (!c.detail().isEmpty()) {
            firstDetails.putIfAbsent(c.kind(), c.detail());
        }
    }

    /** @return the message of the first answer of each failed kind */
    Map<String, String> firstDetails() {
        return new TreeMap<>(firstDetails);
    }

    /** Counts something that is not a per-transfer answer (transfers left unanswered by a killed process). */
    void count(String kind, long n) {
        byKind.computeIfAbsent(kind, k -> new LongAdder()).add(n);
    }

    Map<String, Claimed> claims() {
        return claims;
    }

    long total() {
        return claims.size();
    }

    /** @return counts by kind, sorted */
    Map<String, Long> byKind() {
        Map<String, Long> sorted = new TreeMap<>();
        byKind.forEach((k, v) -> sorted.put(k, v.sum()));
        return sorted;
    }
}
