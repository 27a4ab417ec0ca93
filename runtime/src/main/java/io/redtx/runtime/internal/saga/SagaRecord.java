package io.redtx.runtime.internal.saga;

import io.redtx.api.saga.SagaDefinition;
import io.redtx.api.saga.SagaOutcome;
import io.redtx.api.saga.SagaStep;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The state of one saga as its record in Redis holds it: one string, so that a transaction that reads it validates the
 * whole record at commit, and every change is a compare-and-set of the whole. Immutable; every change makes a new
 * record.
 *
 * <p>Each step has a status letter: {@code P} pending, {@code S} started (an external step's call may be under way),
 * {@code D} done, {@code F} failed, {@code X} compensation started after done, {@code Y} compensation started after a
 * failure, {@code C} compensated after done, {@code K} compensated after a failure. {@link #next} is the step to run
 * (RUNNING) or to compensate (COMPENSATING).
 */
final class SagaRecord {

    enum State {
        RUNNING,
        COMPENSATING,
        COMPLETED,
        COMPENSATED;

        boolean terminal() {
            return this == COMPLETED || this == COMPENSATED;
        }
    }

    final String name;
    final State state;
    final int next;
    final String steps;
    final String owner;
    /** The step that failed for good, or whose compensation did; -1 for none. */
    final int failedStep;
    /** What failed (type and message), or null. */
    final String cause;
    /** Whether the last runner gave up (a compensation, or a forward step, failed for good). */
    final boolean failing;

    final Map<String, String> input;
    private final String encoded;

    private SagaRecord(
            String name,
            State state,
            int next,
            String steps,
            String owner,
            int failedStep,
            String cause,
            boolean failing,
            Map<String, String> input) {
        this.name = name;
        this.state = state;
        this.next = next;
        this.steps = steps;
        this.owner = owner;
        this.failedStep = failedStep;
        this.cause = cause;
        this.failing = failing;
        this.input = input;
        this.encoded = encode();
    }

    static SagaRecord created(SagaDefinition def, Map<String, String> input, String owner) {
        return new SagaRecord(
                def.name(),
                State.RUNNING,
                0,
                "P".repeat(def.steps().size()),
                owner,
                -1,
                null,
                false,
                Collections.unmodifiableMap(new LinkedHashMap<>(input)));
    }

    char status(int step) {
        return steps.charAt(step);
    }

    private SagaRecord with(
            State state, int next, String steps, String owner, int failedStep, String cause, boolean failing) {
        return new SagaRecord(name, state, next, steps, owner, failedStep, cause, failing, input);
    }

    private String withStatus(int step, char status) {
        char[] s = steps.toCharArray();
        s[step] = status;
        return new String(s);
    }

    SagaRecord ownedBy(String newOwner) {
        return with(state, next, steps, newOwner, failedStep, cause, false);
    }

    /** External step {@code i}'s call is about to be made. */
    SagaRecord started(int i) {
        return with(state, next, withStatus(i, 'S'), owner, failedStep, cause, failing);
    }

    /** Step {@code i} took effect: the next one runs, or the saga is complete. */
    SagaRecord done(int i, int stepCount) {
        String s = withStatus(i, 'D');
        return i + 1 >= stepCount
                ? with(State.COMPLETED, stepCount, s, owner, -1, null, false)
                : with(State.RUNNING, i + 1, s, owner, failedStep, cause, false);
    }

    /** Step {@code i} failed for good, backward: compensate from it down (it too, if it may have taken effect). */
    SagaRecord compensating(SagaDefinition def, int i, String why) {
        char st = status(i);
        String s = st == 'D' ? steps : withStatus(i, 'F');
        return new SagaRecord(name, State.COMPENSATING, i, s, owner, i, why, false, input).nextCompensation(def, i);
    }

    /** Step {@code i} failed for good, forward: the saga stays there, reported failing, for recovery to retry. */
    SagaRecord failingAt(int i, String why) {
        return with(state, next, steps, owner, i, why, true);
    }

    /** The compensation of step {@code j} failed for good: reported failing, for recovery to retry. */
    SagaRecord compensationFailing(int j, String why) {
        return with(state, next, steps, owner, j, why, true);
    }

    /** External step {@code j}'s compensating call is about to be made. */
    SagaRecord compensationStarted(int j) {
        char st = status(j);
        return with(state, next, withStatus(j, st == 'D' ? 'X' : 'Y'), owner, failedStep, cause, failing);
    }

    /** Step {@code j} was compensated: the next step down that needs it, or the saga is compensated. */
    SagaRecord compensated(SagaDefinition def, int j) {
        char st = status(j);
        char after = st == 'D' || st == 'X' ? 'C' : 'K';
        return with(state, j, withStatus(j, after), owner, failedStep, cause, false)
                .nextCompensation(def, j - 1);
    }

    /** Moves {@link #next} to the highest step at or below {@code from} that needs compensating; none: compensated. */
    private SagaRecord nextCompensation(SagaDefinition def, int from) {
        for (int j = from; j >= 0; j--) {
            if (needsCompensation(def.steps().get(j), status(j))) {
                return with(State.COMPENSATING, j, steps, owner, failedStep, cause, failing);
            }
        }
        return with(State.COMPENSATED, -1, steps, owner, failedStep, cause, false);
    }

    /**
     * A step needs compensating when it has a compensation and may have taken effect: done, or for an external step
     * also started or failed (a failed call may still have taken effect); a transaction step that failed did not.
     */
    private static boolean needsCompensation(SagaStep step, char status) {
        if (!step.hasCompensation()) {
            return false;
        }
        return switch (status) {
            case 'D', 'X' -> true;
            case 'S', 'F', 'Y' -> !step.isTransactional();
            default -> false;
        };
    }

    SagaOutcome outcome(String sagaId, SagaDefinition def, Throwable error) {
        List<String> completed = new ArrayList<>();
        List<String> compensated = new ArrayList<>();
        for (int i = 0; i < steps.length(); i++) {
            char st = status(i);
            if (st == 'D' || st == 'X' || st == 'C') {
                completed.add(def.steps().get(i).name());
            }
        }
        for (int i = steps.length() - 1; i >= 0; i--) {
            char st = status(i);
            if (st == 'C' || st == 'K') {
                compensated.add(def.steps().get(i).name());
            }
        }
        SagaOutcome.Status status = failing
                ? SagaOutcome.Status.FAILED
                : state == State.COMPLETED ? SagaOutcome.Status.COMPLETED : SagaOutcome.Status.COMPENSATED;
        String failed = failedStep < 0 ? null : def.steps().get(failedStep).name();
        return new SagaOutcome(sagaId, name, status, completed, compensated, failed, cause, error);
    }

    String encoded() {
        return encoded;
    }

    private String encode() {
        StringBuilder b = new StringBuilder(128);
        field(b, "v", "1");
        field(b, "name", name);
        field(b, "state", state.name());
        field(b, "next", Integer.toString(next));
        field(b, "steps", steps);
        field(b, "owner", owner);
        field(b, "failed", Integer.toString(failedStep));
        if (cause != null) {
            field(b, "cause", cause);
        }
        field(b, "failing", failing ? "1" : "0");
        input.forEach((k, v) -> field(b, "i." + k, v));
        return b.toString();
    }

    private static void field(StringBuilder b, String key, String value) {
        if (b.length() > 0) {
            b.append('&');
        }
        b.append(URLEncoder.encode(key, StandardCharsets.UTF_8))
                .append('=')
                .append(URLEncoder.encode(value, StandardCharsets.UTF_8));
    }

    /** @throws IllegalStateException for a value that is not a record of this version */
    static SagaRecord decode(String value) {
        Map<String, String> f = new LinkedHashMap<>();
        Map<String, String> input = new LinkedHashMap<>();
        for (String pair : value.split("&")) {
            int eq = pair.indexOf('=');
            if (eq < 0) {
                throw new IllegalStateException("not a saga record: " + value);
            }
            String k = URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            if (k.startsWith("i.")) {
                input.put(k.substring(2), v);
            } else {
                f.put(k, v);
            }
        }
        if (!"1".equals(f.get("v"))) {
            throw new IllegalStateException("not a saga record of version 1: " + value);
        }
        return new SagaRecord(
                f.get("name"),
                State.valueOf(f.get("state")),
                Integer.parseInt(f.get("next")),
                f.get("steps"),
                f.get("owner"),
                Integer.parseInt(f.get("failed")),
                f.get("cause"),
                "1".equals(f.get("failing")),
                Collections.unmodifiableMap(input));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SagaRecord r && encoded.equals(r.encoded);
    }

    @Override
    public int hashCode() {
        return encoded.hashCode();
    }

    @Override
    public String toString() {
        return "SagaRecord{" + name + ", " + state + ", next=" + next + ", steps=" + steps + ", owner=" + owner
                + (failing ? ", failing" : "") + (cause == null ? "" : ", cause=" + cause) + "}";
    }
}
