package io.glareresolver.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class HeaderParsingTest {

    static Stream<Arguments> validTiebreaks() {
        return Stream.of(
                Arguments.of("1001", 1001L, null),
                Arguments.of("0", 0L, null),
                Arguments.of("9223372036854775807", Long.MAX_VALUE, null),
                Arguments.of("0009223372036854775807", Long.MAX_VALUE, null),
                Arguments.of("1001;kind=id", 1001L, TiebreakKind.ID),
                Arguments.of("42;kind=random", 42L, TiebreakKind.RANDOM),
                Arguments.of("42;KIND=Random", 42L, TiebreakKind.RANDOM),
                Arguments.of("  42 ; kind = id  ", 42L, TiebreakKind.ID),
                Arguments.of("\t42\t;\tkind\t=\tid", 42L, TiebreakKind.ID),
                Arguments.of("42\r\n ;kind=id", 42L, TiebreakKind.ID),
                Arguments.of("42;\r\n\tkind=random", 42L, TiebreakKind.RANDOM),
                Arguments.of("42;kind=\"id\"", 42L, TiebreakKind.ID),
                Arguments.of("42;kind=id;x-vendor=1", 42L, TiebreakKind.ID),
                Arguments.of("42;flag", 42L, null));
    }

    @ParameterizedTest(name = "[{0}]")
    @MethodSource("validTiebreaks")
    void parsesValidTiebreak(String raw, long value, TiebreakKind kind) {
        ParseResult<TiebreakValue> r = TiebreakValue.parse(raw);
        assertTrue(r.isValid(), () -> r.toString());
        assertEquals(value, r.value().value());
        assertEquals(kind, r.value().kind().orElse(null));
    }

    static Stream<Arguments> malformedTiebreaks() {
        return Stream.of(
                Arguments.of(null, "empty value"),
                Arguments.of("", "empty value"),
                Arguments.of("   ", "empty value"),
                Arguments.of("-1", "negative value"),
                Arguments.of("-0", "negative value"),
                Arguments.of("+5", "signed value"),
                Arguments.of("9223372036854775808", "value out of range"),
                Arguments.of("18446744073709551616", "value out of range"),
                Arguments.of("99999999999999999999999999", "value out of range"),
                Arguments.of("abc", "value is not a number"),
                Arguments.of("12abc", "value is not a number"),
                Arguments.of("0x1F", "value is not a number"),
                Arguments.of("1.5", "value is not a number"),
                Arguments.of("1 2", "unexpected character after value"),
                Arguments.of("١٢", "non-ASCII digit in value"),
                Arguments.of(";kind=id", "value is not a number"),
                Arguments.of("42;kind=serial", "unknown kind"),
                Arguments.of("42;kind", "kind without value"),
                Arguments.of("42;kind=", "missing value of parameter kind"),
                Arguments.of("42;kind=id;kind=random", "duplicate parameter kind"),
                Arguments.of("42;kind=id;KIND=id", "duplicate parameter kind"),
                Arguments.of("42;", "missing parameter name"),
                Arguments.of("42;;kind=id", "invalid character in parameter name"),
                Arguments.of("42;kind=\"id", "unterminated quoted parameter kind"),
                Arguments.of("42\r\n;kind=id", "line break without continuation"),
                Arguments.of("42,43", "unexpected character after value"));
    }

    @ParameterizedTest(name = "[{0}] -> {1}")
    @MethodSource("malformedTiebreaks")
    void rejectsMalformedTiebreak(String raw, String reason) {
        ParseResult<TiebreakValue> r = TiebreakValue.parse(raw);
        assertFalse(r.isValid(), () -> "accepted " + r);
        assertEquals(reason, r.reason().orElseThrow());
        assertTrue(r.toOptional().isEmpty());
        MalformedHeaderException e = assertThrows(MalformedHeaderException.class, r::value);
        assertEquals(reason, e.getMessage());
        // usable as a SIP reason phrase: printable ASCII on one line
        assertTrue(reason.chars().allMatch(c -> c >= 0x20 && c < 0x7f), reason);
    }

    @Test
    void formatsAndRoundTripsTiebreak() {
        assertEquals("1001;kind=id", TiebreakValue.id(1001).format());
        assertEquals("7;kind=random", TiebreakValue.random(7).format());
        assertEquals("7", TiebreakValue.of(7).format());
        for (TiebreakValue t : new TiebreakValue[] {TiebreakValue.id(0), TiebreakValue.random(Long.MAX_VALUE), TiebreakValue.of(12)}) {
            assertEquals(t, TiebreakValue.parse(t.format()).value());
        }
        assertThrows(IllegalArgumentException.class, () -> TiebreakValue.id(-1));
    }

    static Stream<Arguments> validResolutions() {
        return Stream.of(
                Arguments.of("accept", GlareResolution.accept()),
                Arguments.of("ACCEPT", GlareResolution.accept()),
                Arguments.of(" reject ", GlareResolution.reject()),
                Arguments.of("accept-peer;call-id=\"a84b4c76e66710@pc33.example.com\"",
                        GlareResolution.acceptPeer("a84b4c76e66710@pc33.example.com")),
                Arguments.of("accept-peer ;\r\n call-id = \"x\\\"y\"", GlareResolution.acceptPeer("x\"y")),
                Arguments.of("accept-peer;call-id=abc123", GlareResolution.acceptPeer("abc123")),
                Arguments.of("reject;x-reason=glare", GlareResolution.reject()));
    }

    @ParameterizedTest(name = "[{0}]")
    @MethodSource("validResolutions")
    void parsesValidResolution(String raw, GlareResolution expected) {
        assertEquals(expected, GlareResolution.parse(raw).value());
    }

    static Stream<Arguments> malformedResolutions() {
        return Stream.of(
                Arguments.of(null, "empty value"),
                Arguments.of("", "empty value"),
                Arguments.of("accepted", "unknown instruction"),
                Arguments.of("yes", "unknown instruction"),
                Arguments.of("\"accept\"", "invalid character in instruction"),
                Arguments.of("accept-peer", "accept-peer without call-id"),
                Arguments.of("accept-peer;call-id", "accept-peer without call-id"),
                Arguments.of("accept-peer;call-id=\"\"", "accept-peer without call-id"),
                Arguments.of("accept-peer;call-id=\"a\";call-id=\"b\"", "duplicate parameter call-id"),
                Arguments.of("accept-peer;call-id=\"abc", "unterminated quoted parameter call-id"),
                Arguments.of("accept;call-id=\"abc\"", "call-id only allowed with accept-peer"),
                Arguments.of("accept reject", "unexpected character after value"));
    }

    @ParameterizedTest(name = "[{0}] -> {1}")
    @MethodSource("malformedResolutions")
    void rejectsMalformedResolution(String raw, String reason) {
        ParseResult<GlareResolution> r = GlareResolution.parse(raw);
        assertFalse(r.isValid(), () -> "accepted " + r);
        assertEquals(reason, r.reason().orElseThrow());
    }

    @Test
    void formatsResolution() {
        assertEquals("accept", GlareResolution.accept().format());
        assertEquals("reject", GlareResolution.reject().format());
        GlareResolution p = GlareResolution.acceptPeer("q\"uote\\d@h");
        assertEquals("accept-peer;call-id=\"q\\\"uote\\\\d@h\"", p.format());
        assertEquals(p, GlareResolution.parse(p.format()).value());
        assertEquals("q\"uote\\d@h", p.callId().orElseThrow());
        assertThrows(IllegalArgumentException.class, () -> GlareResolution.acceptPeer(" "));
    }

    @Test
    void headerNamesMatchCaseInsensitively() {
        assertTrue(GlareHeaders.isTiebreak("Glare-tiebreak"));
        assertTrue(GlareHeaders.isTiebreak("GLARE-TIEBREAK "));
        assertTrue(GlareHeaders.isResolution("glare-resolution"));
        assertFalse(GlareHeaders.isTiebreak("Glare-Tie-break"));
        assertFalse(GlareHeaders.isResolution(null));
    }
}
