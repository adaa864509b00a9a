package io.glareresolver.protocol;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * One side of a crossing: its AOR (the {@code From} URI's {@code user@host}) and the tie-break
 * value its INVITE carried, if any. Immutable.
 */
public final class Contender {

    private final String aor;
    private final TiebreakValue tiebreak;

    private Contender(String aor, TiebreakValue tiebreak) {
        this.aor = normalize(Objects.requireNonNull(aor, "aor"));
        this.tiebreak = tiebreak;
    }

    /** A side whose INVITE carried {@code tiebreak}. */
    public static Contender of(String aor, TiebreakValue tiebreak) {
        return new Contender(aor, Objects.requireNonNull(tiebreak, "tiebreak"));
    }

    /** A side whose INVITE carried {@code value} (kind not relevant to the ordering). */
    public static Contender of(String aor, long value) {
        return new Contender(aor, TiebreakValue.of(value));
    }

    /** A side whose INVITE carried no (or no valid) tie-break: seed claim 8. */
    public static Contender without(String aor) {
        return new Contender(aor, null);
    }

    /**
     * {@code user@host} with the scheme and any port/parameters removed and the host lower-cased
     * (RFC 3261 §19.1.4: the host compares case-insensitively, the user part case-sensitively).
     */
    static String normalize(String aor) {
        String a = aor.trim();
        if (a.startsWith("<") && a.endsWith(">")) {
            a = a.substring(1, a.length() - 1);
        }
        String lower = a.toLowerCase(Locale.ROOT);
        if (lower.startsWith("sips:")) {
            a = a.substring(5);
        } else if (lower.startsWith("sip:")) {
            a = a.substring(4);
        }
        int semi = a.indexOf(';');
        if (semi >= 0) {
            a = a.substring(0, semi);
        }
        int at = a.lastIndexOf('@');
        String user = at >= 0 ? a.substring(0, at + 1) : "";
        String host = at >= 0 ? a.substring(at + 1) : a;
        if (!host.startsWith("[")) {
            int colon = host.indexOf(':');
            if (colon >= 0) {
                host = host.substring(0, colon);
            }
        }
        return user + host.toLowerCase(Locale.ROOT);
    }

    /** @return {@code user@host} */
    public String aor() {
        return aor;
    }

    public Optional<TiebreakValue> tiebreak() {
        return Optional.ofNullable(tiebreak);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Contender c && c.aor.equals(aor) && Objects.equals(c.tiebreak, tiebreak);
    }

    @Override
    public int hashCode() {
        return Objects.hash(aor, tiebreak);
    }

    @Override
    public String toString() {
        return aor + (tiebreak == null ? " (no tie-break)" : " " + tiebreak.value());
    }
}
