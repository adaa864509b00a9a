package io.glareresolver.sip.impl.auth;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** RFC 2617 §3.2.2.5: the digest uri must name the Request-URI's resource (compared as RFC 3261 §19.1.4). */
class DigestUriTest {

    @Test
    void theSameResourceWrittenDifferently() {
        assertTrue(DigestUri.sameResource("sip:bob@127.0.0.1", "sip:bob@127.0.0.1"));
        assertTrue(DigestUri.sameResource("sip:bob@127.0.0.1:5060", "sip:bob@127.0.0.1"), "5060 is sip's default port");
        assertTrue(DigestUri.sameResource("SIP:bob@EXAMPLE.org", "sip:bob@example.org"), "scheme and host ignore case");
        assertTrue(DigestUri.sameResource("sip:bob@127.0.0.1;transport=udp", "sip:bob@127.0.0.1"),
                "a URI parameter names no other user");
        assertTrue(DigestUri.sameResource("sip:127.0.0.1", "sip:127.0.0.1"), "REGISTER's domain URI");
        assertTrue(DigestUri.sameResource("sip:bob@[::1]:5062", "sip:bob@[::1]:5062"));
    }

    @Test
    void anotherResource() {
        assertFalse(DigestUri.sameResource("sip:carol@127.0.0.1", "sip:bob@127.0.0.1"), "another user");
        assertFalse(DigestUri.sameResource("sip:Bob@127.0.0.1", "sip:bob@127.0.0.1"), "the user part is case-sensitive");
        assertFalse(DigestUri.sameResource("sip:bob@127.0.0.2", "sip:bob@127.0.0.1"), "another host");
        assertFalse(DigestUri.sameResource("sip:bob@127.0.0.1:5070", "sip:bob@127.0.0.1"), "another port");
        assertFalse(DigestUri.sameResource("sips:bob@127.0.0.1", "sip:bob@127.0.0.1"), "another scheme");
        assertFalse(DigestUri.sameResource("garbage", "sip:bob@127.0.0.1"));
        assertFalse(DigestUri.sameResource(null, "sip:bob@127.0.0.1"));
        assertFalse(DigestUri.sameResource("sip:bob@127.0.0.1:x", "sip:bob@127.0.0.1"));
    }
}
