package io.redtx.api;

import java.time.Duration;

/** Shared argument checks of the option builders; messages name the field and the bad value. */
final class Options {

    private Options() {}

    static Duration positive(String field, Duration value) {
        if (value == null) {
            throw new IllegalArgumentException(field + " must not be null");
        }
        if (value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException(field + " must be positive, was " + Durations.text(value));
        }
        return value;
    }

    static Duration nonNegative(String field, Duration value) {
        if (value == null) {
            throw new IllegalArgumentException(field + " must not be null");
        }
        if (value.isNegative()) {
            throw new IllegalArgumentException(field + " must not be negative, was " + Durations.text(value));
        }
        return value;
    }

    static int atLeast(String field, int min, int value) {
        if (value < min) {
            throw new IllegalArgumentException(field + " must be >= " + min + ", was " + value);
        }
        return value;
    }

    /** {@code value} if within [min, max]; the messages are those of {@link #atLeast} and "must be <= max". */
    static int between(String field, int min, int max, int value) {
        atLeast(field, min, value);
        if (value > max) {
            throw new IllegalArgumentException(field + " must be <= " + max + ", was " + value);
        }
        return value;
    }
}
