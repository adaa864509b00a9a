package io.glareresolver.cluster.internal;

import io.glareresolver.sip.api.Registration;
import io.glareresolver.sip.api.Registration.Binding;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RegistrationTextTest {

    static final Instant EXPIRY = Instant.ofEpochMilli(1_900_000_000_123L);

    /** Every separator, the escape and null marker characters, a newline: in every text field. */
    static final String NASTY = "\"Al|ce, 100%\" <sip:al~ce@[::1]:5070;transport=tcp;x=%41>\n\r,|%~";

    @Test
    void everyFieldSurvivesAnyCharacter() {
        Registration r = new Registration("alice@example.com", 42, List.of(
                new Binding(NASTY, EXPIRY, Set.of("glare", "path,x", "~"), NASTY, 7, 0.5f,
                        "udp:[2001:db8::1]:5060", "<urn:uuid:0|1>", 3, List.of("<sip:p1;lr>", NASTY, "")),
                new Binding("sip:bob@h", EXPIRY.plusSeconds(1), Set.of(), "c2", 1L << 40, Binding.NO_Q,
                        null, null, Binding.NO_REG_ID, List.of()),
                new Binding("~", EXPIRY, Set.of(""), "", 0, 1f, "", "", 1, List.of(""))));
        assertEquals(r, RegistrationText.decode("alice@example.com", RegistrationText.encode(r)));
    }

    @Test
    void expiryKeepsItsNanoseconds() {
        for (Instant at : List.of(EXPIRY, Instant.parse("2026-12-07T09:19:02.560577181Z"),
                Instant.parse("1969-12-31T23:59:59.999999999Z"), Instant.ofEpochSecond(1_900_000_000L))) {
            assertEquals(at, RegistrationText.expiry(RegistrationText.expiry(at)), at.toString());
        }
        assertEquals("1900000000123", RegistrationText.expiry(EXPIRY));
    }

    @Test
    void nullAndEmptyStayApart() {
        assertEquals("~", FieldText.escape(null));
        assertEquals("%7E", FieldText.escape("~"));
        assertEquals(null, FieldText.unescape("~"));
        assertEquals("", FieldText.unescape(""));
        assertEquals(List.of(), FieldText.unlist(FieldText.list(List.of())));
        assertEquals(List.of(""), FieldText.unlist(FieldText.list(List.of(""))));
    }

    @Test
    void aRecordOfAnotherFormatIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> RegistrationText.decode("a@b", "2\n1"));
        assertThrows(IllegalArgumentException.class, () -> RegistrationText.decode("a@b", "1\n1\nsip:a|1"));
        assertThrows(IllegalArgumentException.class, () -> FieldText.unescape("ab%4"));
    }

    @Test
    void pairKeyIsUnorderedAndClaimsRoundTrip() {
        assertEquals(PairClaim.key("Alice@Example.com", "bob@example.com"), PairClaim.key("bob@example.com", "alice@example.com"));
        PairClaim claim = PairClaim.of("node|1", "a,b@c").with("x%y");
        assertEquals(claim, PairClaim.decode(claim.encode()));
        assertEquals(Set.of("x%y"), claim.without("a,b@c").callIds());
    }

    @Test
    void nodeAddressOfAnnouncedUris() {
        assertEquals(new NodeAddress("127.0.0.2", 5060), NodeAddress.of("sip:127.0.0.2;transport=udp").orElseThrow());
        assertEquals(new NodeAddress("::1", 5070), NodeAddress.of("<sip:[::1]:5070>").orElseThrow());
        assertEquals(new NodeAddress("h.example", 5061), NodeAddress.of("sips:u@H.example").orElseThrow());
        NodeAddress a = NodeAddress.of("sip:127.0.0.2:5080").orElseThrow();
        assertEquals(true, a.sent("127.0.0.2", 41000, false));
        assertEquals(false, a.sent("127.0.0.2", 41000, true));
        assertEquals(true, a.sent("127.0.0.2", 5080, true));
    }
}
