package io.glareresolver.protocol;

import java.util.Locale;
import java.util.Optional;

/** The {@code kind} parameter of {@code Glare-Tiebreak}: where the value comes from. */
public enum TiebreakKind {
    /** The device's configured ID (seed S62), or the registrar's value for the endpoint. */
    ID("id"),
    /** A random number drawn per call (seed claim 7). */
    RANDOM("random");

    private final String token;

    TiebreakKind(String token) {
        this.token = token;
    }

    /** @return the wire token, e.g. {@code id} */
    public String token() {
        return token;
    }

    /** Parameter values are tokens, matched case-insensitively like other SIP tokens. */
    public static Optional<TiebreakKind> fromToken(String token) {
        if (token == null) {
            return Optional.empty();
        }
        String t = token.toLowerCase(Locale.ROOT);
        for (TiebreakKind k : values()) {
            if (k.token.equals(t)) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }
}
