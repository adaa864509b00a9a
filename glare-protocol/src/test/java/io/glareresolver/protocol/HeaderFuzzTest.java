package io.glareresolver.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;

/**
 * Property-based fuzzing of the glare header parsers (jqwik, fixed seeds so a failure reproduces):
 * arbitrary text never makes them throw — the only answer to garbage is a {@link ParseResult}
 * naming the reason, and that reason is fit for a SIP reason phrase — and every valid value
 * survives format → parse unchanged.
 */
class HeaderFuzzTest {

    /** RFC 3261 §25.1: Reason-Phrase = *(reserved / unreserved / escaped / UTF8-NONASCII / UTF8-CONT / SP / HTAB); ours are printable ASCII. */
    static void assertReasonPhrase(ParseResult<?> r, String input) {
        if (r.isValid()) {
            return;
        }
        String reason = r.reason().orElseThrow();
        assertTrue(!reason.isBlank() && reason.length() <= 80 && reason.chars().allMatch(c -> c >= 0x20 && c < 0x7f),
                () -> "reason phrase unfit for SIP: [" + reason + "] for input [" + input + "]");
    }

    /** Text that looks like header values: digits, separators, quotes, folds, control and non-ASCII characters. */
    @Provide
    Arbitrary<String> headerish() {
        Arbitrary<String> pieces = Arbitraries.oneOf(
                Arbitraries.strings().withChars("0123456789").ofMinLength(1).ofMaxLength(25),
                Arbitraries.of(";", "=", "\"", "\\", " ", "\t", "\r\n ", "\r\n", "\r", "\n", ",", ":", "-", "+", "kind",
                        "call-id", "accept", "reject", "accept-peer", "id", "random", "ID", "\u0663", "\u00e9", "\u0000",
                        "9223372036854775807", "9223372036854775808", "00000000000000000000001"),
                Arbitraries.strings().ofMaxLength(12));
        return pieces.list().ofMaxSize(12).map(l -> String.join("", l));
    }

    @Property(tries = 3000, seed = "4475")
    void tiebreakParseNeverThrows(@ForAll("headerish") String value) {
        ParseResult<TiebreakValue> r = TiebreakValue.parse(value);
        assertReasonPhrase(r, value);
        if (r.isValid()) {
            // whatever was accepted formats to something that parses back to the same value
            assertEquals(r.value(), TiebreakValue.parse(r.value().format()).value());
        }
    }

    @Property(tries = 1000, seed = "4475")
    void tiebreakParseNeverThrowsOnArbitraryUnicode(@ForAll String value) {
        assertReasonPhrase(TiebreakValue.parse(value), value);
    }

    @Property(tries = 3000, seed = "4475")
    void resolutionParseNeverThrows(@ForAll("headerish") String value) {
        ParseResult<GlareResolution> r = GlareResolution.parse(value);
        assertReasonPhrase(r, value);
        if (r.isValid()) {
            assertEquals(r.value(), GlareResolution.parse(r.value().format()).value());
        }
    }

    @Property(tries = 1000, seed = "4475")
    void resolutionParseNeverThrowsOnArbitraryUnicode(@ForAll String value) {
        assertReasonPhrase(GlareResolution.parse(value), value);
    }

    @Provide
    Arbitrary<TiebreakValue> tiebreaks() {
        Arbitrary<Long> values = Arbitraries.oneOf(Arbitraries.longs().between(0, Long.MAX_VALUE),
                Arbitraries.of(0L, 1L, Long.MAX_VALUE, Long.MAX_VALUE - 1));
        Arbitrary<TiebreakKind> kinds = Arbitraries.of(TiebreakKind.class).injectNull(0.3);
        return Combinators.combine(values, kinds).as(TiebreakValue::of);
    }

    @Property(tries = 2000, seed = "4475")
    void validTiebreaksRoundTrip(@ForAll("tiebreaks") TiebreakValue t) {
        assertEquals(t, TiebreakValue.parse(t.format()).value());
        // with folding whitespace and an unknown parameter around it, too (RFC 3261 extensibility)
        assertEquals(t, TiebreakValue.parse(" \t" + t.format() + " ;\r\n x-new=1").value());
    }

    @Property(tries = 500, seed = "4475")
    void outOfRangeTiebreaksAreMalformed(@ForAll @LongRange(min = 1, max = Long.MAX_VALUE) long above) {
        String tooBig = new java.math.BigInteger(Long.toString(Long.MAX_VALUE)).add(java.math.BigInteger.valueOf(above)).toString();
        ParseResult<TiebreakValue> r = TiebreakValue.parse(tooBig);
        assertEquals("value out of range", r.reason().orElseThrow());
        assertEquals("negative value", TiebreakValue.parse("-" + above).reason().orElseThrow());
    }

    @Provide
    Arbitrary<String> callIds() {
        // RFC 3261 callid = word [ "@" word ], plus quotes and backslashes that the quoted form must escape
        return Arbitraries.strings().withChars("abcXYZ0123456789-.!%*_+`'~()<>:\\\"/[]?{}@").ofMinLength(1).ofMaxLength(60)
                .filter(s -> !s.isBlank());
    }

    @Property(tries = 2000, seed = "4475")
    void validResolutionsRoundTrip(@ForAll("callIds") String callId) {
        for (GlareResolution g : new GlareResolution[] {GlareResolution.accept(), GlareResolution.reject(),
                GlareResolution.acceptPeer(callId)}) {
            assertEquals(g, GlareResolution.parse(g.format()).value());
            // the instruction token is case-insensitive like every SIP token (the Call-ID is not)
            String token = g.instruction().token();
            assertEquals(g, GlareResolution.parse(token.toUpperCase() + g.format().substring(token.length())).value());
        }
    }

    @Property(tries = 500, seed = "4475")
    void headerNamesMatchInAnyCase(@ForAll("caseFlips") String name) {
        assertTrue(GlareHeaders.isTiebreak(name) || GlareHeaders.isResolution(name));
    }

    @Provide
    Arbitrary<String> caseFlips() {
        return Arbitraries.of(GlareHeaders.TIEBREAK, GlareHeaders.RESOLUTION).flatMap(n ->
                Arbitraries.integers().between(0, Integer.MAX_VALUE).map(mask -> {
                    StringBuilder b = new StringBuilder();
                    for (int i = 0; i < n.length(); i++) {
                        char c = n.charAt(i);
                        b.append(((mask >> (i % 31)) & 1) == 1 ? Character.toUpperCase(c) : Character.toLowerCase(c));
                    }
                    return " " + b + "\t";
                }));
    }
}
