package io.glareresolver.sip.impl.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;

import org.junit.jupiter.api.Test;

class FlowTest {

    @Test
    void sourceComesFromReceivedAndRportElseTheSentBy() {
        assertEquals(new Flow("udp", "203.0.113.7", 40312), Flow.ofVia("UDP", "192.168.1.20", 5060, "203.0.113.7", 40312));
        assertEquals(new Flow("udp", "192.168.1.20", 5070), Flow.ofVia("UDP", "192.168.1.20", 5070, null, -1),
                "neither received nor rport: the sent-by is where it came from");
        assertEquals(new Flow("tcp", "10.0.0.1", 5060), Flow.ofVia("TCP", "10.0.0.1", -1, "", 0), "no port: 5060");
        assertEquals(new Flow("udp", "::1", 5060), Flow.ofVia("udp", "[::1]", 5060, null, -1), "IPv6 without brackets");
    }

    @Test
    void textRoundTripsAndBadTextIsRefused() {
        Flow v4 = new Flow("udp", "127.0.0.1", 5099);
        assertEquals("udp:127.0.0.1:5099", v4.text());
        assertEquals(Optional.of(v4), Flow.parse(v4.text()));
        Flow v6 = new Flow("tcp", "2001:db8::1", 5060);
        assertEquals("tcp:2001:db8::1:5060", v6.text());
        assertEquals(Optional.of(v6), Flow.parse(v6.text()));
        assertEquals(Optional.empty(), Flow.parse(null));
        assertEquals(Optional.empty(), Flow.parse("udp:127.0.0.1"));
        assertEquals(Optional.empty(), Flow.parse("udp:127.0.0.1:99999"));
        assertEquals(Optional.empty(), Flow.parse("127.0.0.1:x"));
    }

    @Test
    void routeIsLooseSoTheRequestUriStaysTheContact() {
        assertEquals("sip:127.0.0.1:5099;transport=udp;lr", new Flow("udp", "127.0.0.1", 5099).routeUri());
        assertEquals("sip:[2001:db8::1]:5060;transport=tcp;lr", new Flow("tcp", "2001:db8::1", 5060).routeUri());
    }

    @Test
    void aContactNotAtTheSourceIsBehindANat() {
        Flow source = new Flow("udp", "203.0.113.7", 40312);
        assertTrue(source.differsFrom("192.168.1.20", 5060), "private address");
        assertTrue(source.differsFrom("203.0.113.7", 5060), "same address, the NAT mapped another port");
        assertFalse(source.differsFrom("203.0.113.7", 40312));
        assertFalse(new Flow("udp", "10.0.0.1", 5060).differsFrom("10.0.0.1", -1), "no port means 5060");
        assertFalse(new Flow("udp", "::1", 5060).differsFrom("[::1]", 5060));
        assertTrue(source.differsFrom(null, 5060));
    }
}
