package io.glareresolver.protocol;

import java.util.Objects;
import java.util.Optional;

/**
 * Outcome of parsing one header value: either the value, or the reason it is malformed.
 * The reason is short, printable ASCII, fit for a SIP reason phrase (e.g. {@code 400 Bad
 * Glare-Tiebreak: value out of range}). A malformed value is never read as a default.
 *
 * @param <T> the parsed type
 */
public final class ParseResult<T> {

    private final T value;
    private final String reason;

    private ParseResult(T value, String reason) {
        this.value = value;
        this.reason = reason;
    }

    static <T> ParseResult<T> valid(T value) {
        return new ParseResult<>(Objects.requireNonNull(value), null);
    }

    static <T> ParseResult<T> malformed(String reason) {
        return new ParseResult<>(null, Objects.requireNonNull(reason));
    }

    /** @return true when the header value was well formed */
    public boolean isValid() {
        return reason == null;
    }

    /** @return the parsed value; throws {@link MalformedHeaderException} when malformed */
    public T value() {
        if (reason != null) {
            throw new MalformedHeaderException(reason);
        }
        return value;
    }

    /** @return why the value is malformed; empty when valid */
    public Optional<String> reason() {
        return Optional.ofNullable(reason);
    }

    /** @return the value, or empty when malformed */
    public Optional<T> toOptional() {
        return Optional.ofNullable(value);
    }

    @Override
    public String toString() {
        return reason == null ? "valid(" + value + ")" : "malformed(" + reason + ")";
    }
}
