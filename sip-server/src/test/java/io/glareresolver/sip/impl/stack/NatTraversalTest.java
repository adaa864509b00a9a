package io.glareresolver.sip.impl.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import javax.sip.message.Response;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.glareresolver.sip.api.Registration;
import io.glareresolver.sip.impl.auth.DigestAlgorithm;
import io.glareresolver.sip.impl.config.ServerSettings;
import io.glareresolver.sip.impl.location.SubscriberStore;
import io.glareresolver.sip.impl.proxy.InterceptorChain;
import io.glareresolver.sip.impl.users.SipUser;

/**
 * NAT traversal on loopback: phones that name in their Via and Contact an address they do not
 * receive on (as a phone behind a NAT does), an edge proxy registering with Path, the server's
 * keep-alives, an advertised address, and outbound's +sip.instance/reg-id. Raw sockets play the
 * phones, so a test sees on which socket a request arrives.
 */
class NatTraversalTest {

    static final String REALM = "glare-resolver";
    static final String SDP = LiveServer.SDP;
    static final long WAIT_MS = 5000;

    @TempDir
    Path dir;
    ServerSettings settings;
    SubscriberStore store;
    SipServer server;
    final List<AutoCloseable> closing = new ArrayList<>();

    void start(ServerSettings.Builder extra) throws Exception {
        Path users = dir.resolve("sip-users.txt");
        Files.write(users, List.of(
                SipUser.withPassword("alice", 1, REALM, "alice-pw".toCharArray()).line(),
                SipUser.withPassword("bob", 2, REALM, "bob-pw".toCharArray()).line(),
                SipUser.withPassword("carol", 3, REALM, "carol-pw".toCharArray()).line()));
        settings = extra.port(TestPhone.freePort()).usersFile(users).build();
        store = new SubscriberStore(settings, Clock.systemUTC());
        server = new SipServer(settings, store, new InterceptorChain());
        server.start();
    }

    void start() throws Exception {
        start(ServerSettings.builder());
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        if (server != null) {
            server.stop();
        }
    }

    RawUa raw(String user, String transport) throws Exception {
        RawUa ua = new RawUa(user, user + "-pw", transport, settings.port());
        closing.add(ua);
        return ua;
    }

    TestPhone alice() throws Exception {
        TestPhone a = new TestPhone("alice", "alice-pw", settings.port(), "udp");
        closing.add(a);
        assertEquals(200, a.register(600, DigestAlgorithm.SHA_256).getStatusCode());
        return a;
    }

    Registration.Binding onlyBinding(String user) {
        Registration r = store.locations().lookup(user + "@127.0.0.1").orElseThrow();
        assertEquals(1, r.bindings().size(), "bindings of " + user + ": " + r.bindings());
        return r.bindings().get(0);
    }

    /**
     * (a) A phone behind a NAT over UDP: Via and Contact name 192.168.1.20:5060 without rport, the
     * packets come from 127.0.0.1:X. The RI marks the Via with received and (ALWAYS_ADD_RPORT)
     * rport, the registrar keeps udp:127.0.0.1:X as the binding's flow, and alice's call reaches the
     * phone on 127.0.0.1:X with its Contact as Request-URI.
     */
    @Test
    void callReachesAPhoneBehindANatOnItsSourceAddressOverUdp() throws Exception {
        start();
        RawUa bob = raw("bob", "udp");
        String ok = bob.register("192.168.1.20:5060", "<sip:bob@192.168.1.20:5060>");
        assertTrue(ok.startsWith("SIP/2.0 200"), ok);
        Registration.Binding b = onlyBinding("bob");
        assertEquals("udp:127.0.0.1:" + bob.localPort(), b.received(), "the REGISTER's source is the flow");
        assertTrue(b.natted());

        TestPhone alice = alice();
        alice.invite("bob", SDP, true);
        String invite = bob.receive("INVITE ", WAIT_MS);
        assertNotNull(invite, "the INVITE reaches the phone at its source address, not at 192.168.1.20");
        assertEquals("sip:bob@192.168.1.20:5060", RawUa.requestUri(invite), "the Request-URI stays its Contact");
        bob.send(RawUa.answer(invite, 486, "Busy Here"));
        assertEquals(486, alice.expectFinal().getStatusCode());
        assertNotNull(bob.receive("ACK ", WAIT_MS), "the hop-by-hop ACK takes the same flow");
    }

    /**
     * The whole call with the phone behind a NAT as callee: its 200 OK names the NATed Contact as
     * remote target, so the caller's ACK and BYE carry it as Request-URI; the proxy sends them
     * down the phone's flow too (Kamailio handle_ruri_alias), or the call would lose its ACK.
     */
    @Test
    void ackAndByeOfACallToAPhoneBehindANatTakeItsFlow() throws Exception {
        start();
        RawUa bob = raw("bob", "udp");
        bob.register("192.168.1.20:5060", "<sip:bob@192.168.1.20:5060>");
        TestPhone alice = alice();
        TestPhone.Call call = alice.invite("bob", SDP, true);
        String invite = bob.receive("INVITE ", WAIT_MS);
        assertNotNull(invite);
        bob.send(RawUa.answer(invite, 200, "OK", "Contact: <sip:bob@192.168.1.20:5060>"));
        Response ok = alice.expectStatus(200);
        call.ack(ok);
        String ack = bob.receive("ACK ", WAIT_MS);
        assertNotNull(ack, "the ACK of the 2xx reaches the phone at its source address");
        assertEquals("sip:bob@192.168.1.20:5060", RawUa.requestUri(ack));
        call.bye();
        String bye = bob.receive("BYE ", WAIT_MS);
        assertNotNull(bye, "the BYE too");
        assertEquals("sip:bob@192.168.1.20:5060", RawUa.requestUri(bye));
        bob.send(RawUa.answer(bye, 200, "OK"));
        assertEquals(200, alice.expectResponse(r -> r.getStatusCode() >= 200).getStatusCode(), "BYE answered");
    }

    /**
     * (b) A phone over TCP names its listening port in Via and Contact (nothing listens there); the
     * INVITE arrives on the very connection it registered over (RFC 5626 §5.3). The RI caches the
     * accepted connection under its remote address and port, which is the flow's.
     */
    @Test
    void callArrivesOnThePhonesOwnTcpConnection() throws Exception {
        start();
        RawUa bob = raw("bob", "tcp");
        int unreachable = TestPhone.freePort();
        String ok = bob.register("127.0.0.1:" + unreachable,
                "<sip:bob@127.0.0.1:" + unreachable + ";transport=tcp>");
        assertTrue(ok.startsWith("SIP/2.0 200"), ok);
        assertEquals("tcp:127.0.0.1:" + bob.localPort(), onlyBinding("bob").received(),
                "the connection's source port (rport) is the flow");

        TestPhone alice = alice();
        alice.invite("bob", SDP, true);
        String invite = bob.receive("INVITE ", WAIT_MS);
        assertNotNull(invite, "the INVITE comes down the registration's connection");
        assertEquals("sip:bob@127.0.0.1:" + unreachable + ";transport=tcp", RawUa.requestUri(invite));
        assertTrue(RawUa.headers(invite, "Via").get(0).startsWith("SIP/2.0/TCP"), invite);
        bob.send(RawUa.answer(invite, 486, "Busy Here"));
        assertEquals(486, alice.expectFinal().getStatusCode());
    }

    /**
     * (c) An edge proxy registers bob with a Path naming itself (RFC 3327): the 200 OK echoes the
     * Path (Supported: path), and the INVITE to bob goes to the edge proxy with a Route naming it
     * and bob's Contact as Request-URI.
     */
    @Test
    void pathFromAnEdgeProxyIsTheRouteOfRequestsToTheBinding() throws Exception {
        start();
        RawUa edge = raw("bob", "udp");
        String path = "<sip:127.0.0.1:" + edge.localPort() + ";lr>";
        String ok = edge.register("127.0.0.1:" + edge.localPort(), "<sip:bob@127.0.0.98:5070>",
                "Path: " + path, "Supported: path");
        assertTrue(ok.startsWith("SIP/2.0 200"), ok);
        assertEquals(List.of(path), RawUa.headers(ok, "Path"), "RFC 3327 §5.3: the Path echoed");
        Registration.Binding b = onlyBinding("bob");
        assertEquals(List.of(path), b.path());
        assertNull(b.received(), "behind an edge proxy the flow is the edge's business");

        TestPhone alice = alice();
        alice.invite("bob", SDP, true);
        String invite = edge.receive("INVITE ", WAIT_MS);
        assertNotNull(invite, "the INVITE goes to the edge proxy");
        assertEquals("sip:bob@127.0.0.98:5070", RawUa.requestUri(invite));
        assertEquals(List.of(path), RawUa.headers(invite, "Route"), "the Path is the pre-loaded route set");
        edge.send(RawUa.answer(invite, 486, "Busy Here"));
        assertEquals(486, alice.expectFinal().getStatusCode());
    }

    /** A REGISTER without Supported: path keeps the Path for routing but does not echo it. */
    @Test
    void pathIsNotEchoedWithoutSupportedPath() throws Exception {
        start();
        RawUa edge = raw("bob", "udp");
        String path = "<sip:127.0.0.1:" + edge.localPort() + ";lr>";
        String ok = edge.register("127.0.0.1:" + edge.localPort(), "<sip:bob@127.0.0.98:5070>", "Path: " + path);
        assertTrue(RawUa.headers(ok, "Path").isEmpty(), ok);
        assertEquals(List.of(path), onlyBinding("bob").path());
    }

    /**
     * (d) Keep-alives: with a 1 s interval the phone behind a NAT (UDP) gets an OPTIONS to its
     * Contact down its flow, the TCP one a double CRLF on its connection, and the phone that is
     * reachable at its Contact gets nothing.
     */
    @Test
    void natedBindingsGetKeepAlivesAndOthersDoNot() throws Exception {
        start(ServerSettings.builder().natKeepaliveInterval(Duration.ofSeconds(1)));
        RawUa natted = raw("bob", "udp");
        natted.register("192.168.1.20:5060", "<sip:bob@192.168.1.20:5060>");
        RawUa direct = raw("carol", "udp");
        direct.register("127.0.0.1:" + direct.localPort(), "<sip:carol@127.0.0.1:" + direct.localPort() + ">");
        assertNull(onlyBinding("carol").received(), "carol is reachable at her Contact");
        RawUa tcp = raw("alice", "tcp");
        int unreachable = TestPhone.freePort();
        tcp.register("127.0.0.1:" + unreachable, "<sip:alice@127.0.0.1:" + unreachable + ";transport=tcp>");

        String options = natted.receive("OPTIONS ", WAIT_MS);
        assertNotNull(options, "an OPTIONS keeps bob's NAT mapping open");
        assertEquals("sip:bob@192.168.1.20:5060", RawUa.requestUri(options));
        natted.send(RawUa.answer(options, 200, "OK"));
        long end = System.nanoTime() + WAIT_MS * 1_000_000L;
        while (tcp.crlfKeepAlives == 0 && System.nanoTime() < end) {
            tcp.receive("never", 200);
        }
        assertTrue(tcp.crlfKeepAlives > 0, "a CRLF keep-alive on alice's TCP connection");
        // several intervals: nothing for carol
        assertNull(direct.receive("OPTIONS ", 2500), "no keep-alive to a binding that is not behind a NAT");
    }

    /**
     * (e) The advertised address (Kamailio advertise): our Via and Record-Route carry it, and a
     * request naming it in Route or Request-URI is for us.
     */
    @Test
    void advertisedAddressIsInViaAndRecordRouteAndCountsAsOurs() throws Exception {
        start(ServerSettings.builder().advertisedAddress("127.0.0.77"));
        int port = settings.port();
        RawUa bob = raw("bob", "udp");
        bob.register("127.0.0.1:" + bob.localPort(), "<sip:bob@127.0.0.1:" + bob.localPort() + ">");
        TestPhone alice = alice();
        alice.invite("bob", SDP, true);
        String invite = bob.receive("INVITE ", WAIT_MS);
        assertNotNull(invite);
        assertTrue(RawUa.headers(invite, "Via").get(0).startsWith("SIP/2.0/UDP 127.0.0.77:" + port + ";"), invite);
        assertTrue(RawUa.headers(invite, "Record-Route").get(0).startsWith("<sip:127.0.0.77:" + port + ";lr"), invite);
        bob.send(RawUa.answer(invite, 486, "Busy Here")); // a 1:1 NAT would deliver it to our real address
        assertEquals(486, alice.expectFinal().getStatusCode());

        assertEquals("SIP/2.0 200", statusOf(bob, "sip:127.0.0.77:" + port, null), "Request-URI naming it: for us");
        assertEquals("SIP/2.0 200", statusOf(bob, "sip:127.0.0.1:" + port, "<sip:127.0.0.77:" + port + ";lr>"),
                "a Route naming it is ours and popped");
        assertEquals("SIP/2.0 403", statusOf(bob, "sip:127.0.0.78:" + port, null), "another address is not ours");
    }

    /** The status line of the answer to an OPTIONS from {@code ua}. */
    private static String statusOf(RawUa ua, String ruri, String route) throws Exception {
        String branch = "z9hG4bK" + TestPhone.tag();
        ua.send("OPTIONS " + ruri + " SIP/2.0\r\n"
                + "Via: SIP/2.0/UDP 127.0.0.1:" + ua.localPort() + ";branch=" + branch + "\r\n"
                + (route == null ? "" : "Route: " + route + "\r\n")
                + "Max-Forwards: 70\r\nFrom: <sip:bob@127.0.0.1>;tag=" + TestPhone.tag() + "\r\n"
                + "To: <" + ruri + ">\r\nCall-ID: opt-" + TestPhone.tag() + "\r\nCSeq: 1 OPTIONS\r\n"
                + "Content-Length: 0\r\n\r\n");
        String answer = ua.receive("SIP/2.0 ", WAIT_MS);
        assertNotNull(answer, "OPTIONS to " + ruri + " unanswered");
        return answer.substring(0, 11);
    }

    /**
     * (f) RFC 5626 §6: a REGISTER from a new Contact with the same +sip.instance and reg-id
     * replaces the binding (a phone that moved), and the 200 OK echoes both parameters.
     */
    @Test
    void sameInstanceAndRegIdReplaceTheBindingFromANewContact() throws Exception {
        start();
        String instance = "+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000a95a0e128>\"";
        RawUa first = raw("bob", "udp");
        first.register("127.0.0.1:" + first.localPort(),
                "<sip:bob@127.0.0.1:" + first.localPort() + ">;" + instance + ";reg-id=1");
        RawUa moved = raw("bob", "udp");
        String ok = moved.register("127.0.0.1:" + moved.localPort(),
                "<sip:bob@127.0.0.1:" + moved.localPort() + ">;" + instance + ";reg-id=1");
        Registration.Binding b = onlyBinding("bob");
        assertEquals("sip:bob@127.0.0.1:" + moved.localPort(), b.contact(), "the new Contact replaced the old");
        assertEquals("<urn:uuid:00000000-0000-1000-8000-000a95a0e128>", b.instance());
        assertEquals(1, b.regId());
        String contact = RawUa.headers(ok, "Contact").get(0);
        assertTrue(contact.contains(instance) && contact.contains("reg-id=1"), contact);

        RawUa other = raw("bob", "udp");
        other.register("127.0.0.1:" + other.localPort(),
                "<sip:bob@127.0.0.1:" + other.localPort() + ">;" + instance + ";reg-id=2");
        assertEquals(2, store.locations().lookup("bob@127.0.0.1").orElseThrow().bindings().size(),
                "another reg-id is another flow of the same phone");
        assertFalse(b.natted());
    }
}
