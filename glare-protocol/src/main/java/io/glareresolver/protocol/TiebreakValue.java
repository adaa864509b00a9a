package io.glareresolver.protocol;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The seed's "additional information" (claim 1): the value of {@code Glare-Tiebreak}.
 *
 * <pre>
 * Glare-Tiebreak = "Glare-Tiebreak" HCOLON tiebreak-value *( SEMI tiebreak-param )
 * tiebreak-value = 1*DIGIT            ; 0 .. 2^63-1
 * tiebreak-param = "kind" EQUAL ( "id" / "random" ) / generic-param
 * </pre>
 *
 * Immutable. Unknown parameters are tolerated (RFC 3261 extensibility) but not kept; a repeated
 * parameter, a missing or out-of-range value, a sign, or an unknown {@code kind} is malformed.
 */
public final class TiebreakValue {

    private final long value;
    private final TiebreakKind kind;

    private TiebreakValue(long value, TiebreakKind kind) {
        if (value < 0) {
            throw new IllegalArgumentException("tie-break value must be 0..2^63-1, was " + value);
        }
        this.value = value;
        this.kind = kind;
    }

    /** A device ID (seed S62) or a registrar-assigned value. */
    public static TiebreakValue id(long value) {
        return new TiebreakValue(value, TiebreakKind.ID);
    }

    /** A per-call random number (seed claim 7). */
    public static TiebreakValue random(long value) {
        return new TiebreakValue(value, TiebreakKind.RANDOM);
    }

    /** A value with no {@code kind} parameter. */
    public static TiebreakValue of(long value) {
        return new TiebreakValue(value, null);
    }

    /** @param kind may be null (no {@code kind} parameter) */
    public static TiebreakValue of(long value, TiebreakKind kind) {
        return new TiebreakValue(value, kind);
    }

    /** @return the value, 0 .. 2^63-1 */
    public long value() {
        return value;
    }

    /** @return the {@code kind} parameter, if present */
    public Optional<TiebreakKind> kind() {
        return Optional.ofNullable(kind);
    }

    /**
     * Parses a {@code Glare-Tiebreak} header value (the part after the colon).
     *
     * @param headerValue the raw value; null or blank is malformed ("empty value")
     * @return the value, or the reason it is malformed; never a silent 0
     */
    public static ParseResult<TiebreakValue> parse(String headerValue) {
        if (headerValue == null) {
            return ParseResult.malformed("empty value");
        }
        try {
            HeaderValueReader r = new HeaderValueReader(headerValue);
            r.skipSws();
            if (r.atEnd()) {
                return ParseResult.malformed("empty value");
            }
            long value = readValue(r);
            Map<String, String> params = r.readParams();
            TiebreakKind kind = null;
            if (params.containsKey(GlareHeaders.PARAM_KIND)) {
                String k = params.get(GlareHeaders.PARAM_KIND);
                if (k == null) {
                    return ParseResult.malformed("kind without value");
                }
                kind = TiebreakKind.fromToken(k)
                        .orElseThrow(() -> new MalformedHeaderException("unknown kind"));
            }
            return ParseResult.valid(new TiebreakValue(value, kind));
        } catch (MalformedHeaderException e) {
            return ParseResult.malformed(e.getMessage());
        }
    }

    private static long readValue(HeaderValueReader r) {
        char first = r.peek();
        if (first == '-') {
            throw new MalformedHeaderException("negative value");
        }
        if (first == '+') {
            throw new MalformedHeaderException("signed value");
        }
        StringBuilder digits = new StringBuilder();
        while (!r.atEnd() && Character.isDigit(r.peek())) {
            char c = r.peek();
            if (c < '0' || c > '9') {
                throw new MalformedHeaderException("non-ASCII digit in value");
            }
            digits.append(c);
            r.readDigit();
        }
        if (digits.length() == 0) {
            throw new MalformedHeaderException("value is not a number");
        }
        if (!r.atEnd() && HeaderValueReader.isTokenChar(r.peek())) {
            throw new MalformedHeaderException("value is not a number");
        }
        // strip leading zeros so the length check below measures magnitude
        int i = 0;
        while (i < digits.length() - 1 && digits.charAt(i) == '0') {
            i++;
        }
        String d = digits.substring(i);
        if (d.length() > 19 || (d.length() == 19 && d.compareTo("9223372036854775807") > 0)) {
            throw new MalformedHeaderException("value out of range");
        }
        return Long.parseLong(d);
    }

    /** @return the header value, e.g. {@code 1001;kind=id} */
    public String format() {
        return kind == null ? Long.toString(value)
                : value + ";" + GlareHeaders.PARAM_KIND + "=" + kind.token();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TiebreakValue t && t.value == value && t.kind == kind;
    }

    @Override
    public int hashCode() {
        return Objects.hash(value, kind);
    }

    @Override
    public String toString() {
        return format();
    }
}
