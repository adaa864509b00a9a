package io.glareresolver.sip.impl.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import javax.sip.RequestEvent;
import javax.sip.ServerTransaction;
import javax.sip.message.Request;
import javax.sip.message.Response;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.glareresolver.sip.impl.auth.DigestAlgorithm;
import io.glareresolver.sip.impl.config.ServerSettings;
import io.glareresolver.sip.impl.config.SettingsReader;

/**
 * A PBX on a trunk, trusted by its address (127.0.0.50): it calls users by extension without
 * digest, users call its numbers; the same INVITE from another address is challenged, and a peer
 * cannot reach another peer's numbers through us.
 */
class TrustedPeerCallsTest {

    static final String SDP = LiveServer.SDP;

    @TempDir
    Path dir;
    LiveServer live;
    TestPhone pbx;
    TestPhone alice;
    final List<TestPhone> phones = new java.util.ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        live = new LiveServer(dir);
        // the PBX's extension 2001 sends from its SIP port on 127.0.0.50
        pbx = phone(new TestPhone("2001", "-", live.port(), "udp", "127.0.0.50"));
        pbx.serverHost = "127.0.0.1";
        ServerSettings trusted = new SettingsReader().read(Map.of("port", live.port(), "users.file",
                live.settings.usersFile().toString(), "digest.algorithms", "SHA-256,MD5",
                "peers", "pbx@127.0.0.50:" + pbx.port + ";numbers=2;tiebreak=900"), live.settings);
        assertEquals(1, trusted.peers().size(), trusted.toString());
        assertTrue(live.server.reconfigure(trusted));
        alice = phone(new TestPhone("alice", "alice-pw", live.port(), "udp"));
        assertEquals(200, alice.register(600, DigestAlgorithm.SHA_256).getStatusCode());
    }

    private TestPhone phone(TestPhone p) {
        phones.add(p);
        return p;
    }

    @AfterEach
    void stop() throws Exception {
        for (TestPhone p : phones) {
            p.close();
        }
        live.close();
    }

    @Test
    void thePbxCallsAUserByExtensionWithoutDigest() throws Exception {
        pbx.invite("alice", SDP, false);
        RequestEvent inv = alice.expectRequest(Request.INVITE);
        assertTrue(TestPhone.header(inv.getRequest(), "From").contains("2001@"), TestPhone.header(inv.getRequest(), "From"));
        ServerTransaction st = alice.serverTransaction(inv);
        alice.respond(st, 180, null);
        assertEquals(180, pbx.expectResponse(r -> r.getStatusCode() > 100).getStatusCode());
        alice.respond(st, 200, SDP);
        assertEquals(200, pbx.expectFinal().getStatusCode());
    }

    @Test
    void aUserCallsOneOfThePbxsNumbers() throws Exception {
        alice.invite("2001", SDP, true);
        RequestEvent inv = pbx.expectRequest(Request.INVITE);
        assertEquals("sip:2001@127.0.0.50:" + pbx.port, inv.getRequest().getRequestURI().toString());
        ServerTransaction st = pbx.serverTransaction(inv);
        pbx.respond(st, 486, null);
        assertEquals(486, alice.expectFinal().getStatusCode());
    }

    @Test
    void theSameInviteFromAnotherAddressIsChallengedAndReachesNobody() throws Exception {
        TestPhone impostor = phone(new TestPhone("2001", "-", live.port(), "udp", "127.0.0.51"));
        impostor.serverHost = "127.0.0.1";
        impostor.invite("alice", SDP, false);
        assertEquals(Response.PROXY_AUTHENTICATION_REQUIRED, impostor.expectFinal().getStatusCode());
        assertTrue(alice.noRequest(Request.INVITE, 500));
        // from the PBX's address but another UDP port: not the PBX either
        TestPhone samePlace = phone(new TestPhone("2001", "-", live.port(), "udp", "127.0.0.50"));
        samePlace.serverHost = "127.0.0.1";
        samePlace.invite("alice", SDP, false);
        assertEquals(Response.PROXY_AUTHENTICATION_REQUIRED, samePlace.expectFinal().getStatusCode());
    }

    @Test
    void thePbxCannotReachItsOwnOrAnotherPeersNumbersThroughUs() throws Exception {
        pbx.invite("2002", SDP, false);
        Response r = pbx.expectFinal();
        assertEquals(Response.FORBIDDEN, r.getStatusCode());
        assertEquals("No transit between peers", r.getReasonPhrase());
    }

    @Test
    void anUnregisteredUserCallingThePbxIsChallengedFirst() throws Exception {
        TestPhone bob = phone(new TestPhone("bob", "bob-pw", live.port(), "udp"));
        bob.invite("2001", SDP, false);
        assertEquals(Response.PROXY_AUTHENTICATION_REQUIRED, bob.expectFinal().getStatusCode());
        assertTrue(pbx.noRequest(Request.INVITE, 500));
    }
}
