package io.glareresolver.sip.impl.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalLong;

import org.junit.jupiter.api.Test;

/** How a trusted peer is written in the settings, and what it answers for. */
class TrustedPeerTest {

    @Test
    void anAsteriskOnATrunk() {
        TrustedPeer p = TrustedPeer.parse(" asterisk@192.0.2.20:5080;numbers=2|31;tiebreak=900 ");
        assertEquals("asterisk", p.name());
        assertEquals("192.0.2.20", p.host());
        assertEquals(5080, p.port());
        assertEquals(List.of("2", "31"), p.numbers());
        assertEquals(OptionalLong.of(900), p.tiebreak());
        assertTrue(p.hasNumber("2001") && p.hasNumber("3100"));
        assertFalse(p.hasNumber("3200") || p.hasNumber("alice") || p.hasNumber(null));
        assertEquals("sip:2001@192.0.2.20:5080", p.target("2001"));
        assertEquals("asterisk@192.0.2.20:5080;numbers=2|31;tiebreak=900", p.format());
    }

    @Test
    void itsSourceIsItsAddressAndOverUdpItsPort() {
        TrustedPeer p = TrustedPeer.parse("pbx@127.0.0.50;numbers=2");
        assertEquals(5060, p.port(), "the default SIP port");
        assertTrue(p.isSource("127.0.0.50", 5060, true));
        assertFalse(p.isSource("127.0.0.50", 40000, true), "over UDP another port is another sender");
        assertTrue(p.isSource("127.0.0.50", 40000, false), "over TCP the source port is the connection's");
        assertFalse(p.isSource("127.0.0.51", 5060, true));
        TrustedPeer v6 = TrustedPeer.parse("pbx6@[::1]:5070;numbers=9");
        assertTrue(v6.isSource("0:0:0:0:0:0:0:1", 5070, true));
        assertEquals("sip:900@[::1]:5070", v6.target("900"));
    }

    @Test
    void whatCannotBeUsedIsRefusedWithItsReason() {
        assertThrows(IllegalArgumentException.class, () -> TrustedPeer.parse("pbx@pbx.example.org;numbers=2"),
                "an address, not a name (a name would need DNS: no look-ups here)");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TrustedPeer.parse("pbx@127.0.0.50"))
                .getMessage().contains("numbers"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TrustedPeer.parse("pbx@127.0.0.50;numbers=2x"))
                .getMessage().contains("2x"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> TrustedPeer.parse("pbx@127.0.0.50;numbers=2;tiebreak=-1")).getMessage().contains("tiebreak"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> TrustedPeer.parse("pbx@127.0.0.50:70000;numbers=2")).getMessage().contains("70000"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> TrustedPeer.parse("pbx@127.0.0.50;numbers=2;password=x")).getMessage().contains("password"));
    }
}
