package io.glareresolver.sip.impl.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class SipHostTest {

    @Test
    void everySpellingOfAnIpv6LiteralIsOneBracketedHost() {
        // what the RI reports for a listening point on ::1, its Via, a parsed URI, an administrator's setting
        for (String spelling : List.of("::1", "[::1]", "0:0:0:0:0:0:0:1", "[0:0:0:0:0:0:0:1]", "[0000::0001]")) {
            assertEquals("[::1]", SipHost.canonical(spelling), spelling);
            assertEquals("::1", SipHost.bare(spelling), spelling);
            assertEquals("[::1]:5060", SipHost.hostPort(spelling, 5060), spelling);
            assertTrue(SipHost.isIpv6(spelling), spelling);
        }
    }

    @Test
    void rfc5952TextForm() {
        assertEquals("[2001:db8::1:0:0:1]", SipHost.canonical("2001:DB8:0:0:1:0:0:1"), "the longest run of zeros");
        assertEquals("[2001:db8::1:1:0:0]", SipHost.canonical("2001:db8:0:0:1:1:0:0"), "the first of equal runs");
        assertEquals("[2001:db8:0:1:1:1:1:1]", SipHost.canonical("2001:db8:0:1:1:1:1:1"), "one zero field stays");
        assertEquals("[2001:db8::1]", SipHost.canonical("2001:0db8:0000:0000:0000:0000:0000:0001"), "leading zeros");
        assertEquals("[::]", SipHost.canonical("0:0:0:0:0:0:0:0"));
        assertEquals("[fe80::]", SipHost.canonical("[FE80:0:0:0:0:0:0:0]"));
        assertEquals("[1::8]", SipHost.canonical("1:0:0:0:0:0:0:8"));
    }

    @Test
    void ipv4AndNamesOnlyLowerCased() {
        assertEquals("127.0.0.1", SipHost.canonical("127.0.0.1"));
        assertEquals("127.0.0.1:5070", SipHost.hostPort("127.0.0.1", 5070));
        assertEquals("127.0.0.1", SipHost.bare("127.0.0.1"));
        assertEquals("example.org", SipHost.canonical("Example.ORG"));
        assertFalse(SipHost.isIpv6("127.0.0.1"));
        assertFalse(SipHost.isIpv6("example.org"));
        assertEquals("127.0.0.1", SipHost.canonical("[::ffff:127.0.0.1]"), "an IPv4-mapped literal is the IPv4 address");
    }

    @Test
    void garbageIsNoLiteralAndNeverLookedUp() {
        for (String bad : List.of("1::2::3", "[zz::1]", "zz::1", "[::1", "::1]", "[127.0.0.1]", "999.1.1.1",
                "fe80::1%lo", "[::1]:5060", "", "[]")) {
            assertTrue(SipHost.literal(bad).isEmpty(), bad);
            assertFalse(SipHost.isIpv6(bad), bad);
        }
        assertEquals("[zz::1]", SipHost.canonical("[ZZ::1]"), "unparsable: only lower-cased, so it never equals ours");
        assertTrue(SipHost.literal("10.1.2.3").isPresent());
    }
}
