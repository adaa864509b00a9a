package io.glareresolver.sip.impl.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.sip.RequestEvent;
import javax.sip.ServerTransaction;
import javax.sip.address.SipURI;
import javax.sip.header.CSeqHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.glareresolver.sip.api.Registration;
import io.glareresolver.sip.impl.auth.DigestAlgorithm;
import io.glareresolver.sip.impl.config.ServerSettings;
import io.glareresolver.sip.impl.config.SettingsReader;
import io.glareresolver.sip.impl.config.SipHost;
import io.glareresolver.sip.impl.location.SubscriberStore;
import io.glareresolver.sip.impl.proxy.HopGuard;
import io.glareresolver.sip.impl.proxy.InterceptorChain;
import io.glareresolver.sip.impl.users.SipUser;

/**
 * A server listening on the IPv6 loopback {@code ::1} (UDP and TCP), set up as an administrator
 * writes it ({@code address = ::1} or {@code [::1]}), with phones on {@code [::1]} through the real
 * stacks; {@code 127.0.0.1} runs the same scenarios as the IPv4 control. Skipped (JUnit
 * assumption) where {@code ::1} cannot be bound.
 */
class Ipv6ListeningTest {

    static final String REALM = "glare-resolver";
    static final String SDP = "v=0\r\no=a 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n";

    @TempDir
    Path dir;
    ServerSettings settings;
    SubscriberStore store;
    SipServer server;
    /** The server's host as URIs and Vias carry it: {@code [::1]} or {@code 127.0.0.1}. */
    String host;
    String address;
    final List<TestPhone> phones = new ArrayList<>();

    /** The administrator's {@code address} and {@code domain} both {@code given}, read through {@link SettingsReader}. */
    void start(String given) throws Exception {
        InetAddress at = SipHost.literal(given).orElseThrow();
        try (DatagramSocket probe = new DatagramSocket(0, at)) {
            // bound: the address family is available
        } catch (IOException e) {
            Assumptions.abort(given + " cannot be bound on this machine (" + e.getMessage()
                    + "): no IPv6 loopback, the IPv6 listening scenarios are skipped");
        }
        Path users = dir.resolve("sip-users.txt");
        Files.write(users, List.of(
                SipUser.withPassword("alice", 1, REALM, "alice-pw".toCharArray()).line(),
                SipUser.withPassword("bob", 2, REALM, "bob-pw".toCharArray()).line()));
        SettingsReader reader = new SettingsReader();
        settings = reader.read(Map.of("address", given, "domain", given, "port", TestPhone.freePort(given),
                "users.file", users.toString(), "digest.algorithms", "SHA-256,MD5"), ServerSettings.defaults());
        assertEquals(List.of(), reader.refusals(), "the address is accepted as written");
        address = settings.address();
        host = SipHost.canonical(given);
        store = new SubscriberStore(settings, Clock.systemUTC());
        server = new SipServer(settings, store, new InterceptorChain(), 5000, Clock.systemUTC());
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        List<Thread> stoppers = new ArrayList<>();
        for (TestPhone p : phones) {
            stoppers.add(new Thread(p::close));
        }
        if (server != null) {
            stoppers.add(new Thread(server::stop));
        }
        stoppers.forEach(Thread::start);
        for (Thread t : stoppers) {
            t.join(10_000);
        }
    }

    TestPhone registered(String user, String transport) throws Exception {
        TestPhone p = new TestPhone(user, user + "-pw", settings.port(), transport, address);
        phones.add(p);
        assertEquals(200, p.register(600, DigestAlgorithm.SHA_256).getStatusCode(), user + " registers over " + transport);
        return p;
    }

    @ParameterizedTest
    @ValueSource(strings = {"::1", "[::1]", "127.0.0.1"})
    void twoPhonesRegisterAndCallThroughTheRecordRoute(String given) throws Exception {
        start(given);
        int port = settings.port();
        assertEquals(Set.of("udp " + host + ":" + port, "tcp " + host + ":" + port), Set.copyOf(server.listening()));
        TestPhone alice = registered("alice", "udp");
        TestPhone bob = registered("bob", "tcp");
        Registration reg = store.locations().lookup("bob@" + host).orElseThrow();
        assertEquals(List.of(bob.contact()), reg.bindings().stream().map(Registration.Binding::contact).toList());

        TestPhone.Call call = alice.invite("bob", SDP, true);
        RequestEvent inv = bob.expectRequest(Request.INVITE);
        Request in = inv.getRequest();
        assertEquals(bob.contact(), in.getRequestURI().toString());
        String rr = TestPhone.header(in, "Record-Route");
        // the first entry names the transport towards bob (RFC 5658 double Record-Route when it changes)
        assertTrue(rr.startsWith("<sip:" + host + ":" + port + ";") && rr.contains(";lr") && rr.contains(";dlg="),
                "§25.1: an IPv6 host in a SIP URI is bracketed (and the dialog stamp follows): " + rr);
        ViaHeader ours = (ViaHeader) in.getHeader(ViaHeader.NAME);
        assertEquals(host + ":" + port, ours.getHost() + ":" + ours.getPort(), "our Via's sent-by");

        ServerTransaction st = bob.serverTransaction(inv);
        bob.respond(st, 180, null);
        alice.expectStatus(180);
        bob.respond(st, 200, SDP);
        Response ok = alice.expectStatus(200);
        call.ack(ok);
        RequestEvent ack = bob.expectRequest(Request.ACK);
        assertEquals(TestPhone.callId(in), TestPhone.callId(ack.getRequest()));

        call.bye();
        RequestEvent bye = bob.expectRequest(Request.BYE);
        bob.respond(bob.serverTransaction(bye), 200, null);
        Response byeOk = alice.expectResponse(r -> r.getStatusCode() >= 200
                && Request.BYE.equals(((CSeqHeader) r.getHeader(CSeqHeader.NAME)).getMethod()));
        assertEquals(200, byeOk.getStatusCode(), "BYE through the Record-Route answered");
    }

    /**
     * §13.3.1.4: the callee retransmits its 2xx until the ACK; the proxy's client transaction
     * ended with the first, so the copy arrives without one and §16.7 step 9 still forwards it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"::1", "127.0.0.1"})
    void aRetransmitted2xxIsRelayedToTheCaller(String given) throws Exception {
        start(given);
        TestPhone alice = registered("alice", "udp");
        TestPhone bob = registered("bob", "udp");
        TestPhone.Call call = alice.invite("bob", SDP, true);
        RequestEvent inv = bob.expectRequest(Request.INVITE);
        Response sent = bob.respond(bob.serverTransaction(inv), 200, SDP);
        Response first = alice.expectStatus(200);

        bob.provider.sendResponse((Response) sent.clone()); // the retransmission, no ACK yet
        Response again = alice.expectStatus(200);
        assertEquals(TestPhone.callId(first), TestPhone.callId(again));
        assertEquals(TestPhone.cseq(first), TestPhone.cseq(again));
        assertEquals(1, count(again, ViaHeader.NAME), "our Via taken off the relayed copy");
        call.ack(again);
        bob.expectRequest(Request.ACK);
    }

    /**
     * A 2xx retransmission that finds no client transaction (it outlived the one the first 2xx
     * ended) still goes on when its top Via is ours (§16.7 step 9): our Via is taken off and the
     * response goes to the next one. Our Via written as {@code [::1]} and as the RI writes its own
     * ({@code [0:0:0:0:0:0:0:1]}); a 2xx whose top Via is not ours is dropped.
     */
    @ParameterizedTest
    @ValueSource(strings = {"::1", "127.0.0.1"})
    void a2xxWithoutItsTransactionIsRelayedByOurVia(String given) throws Exception {
        start(given);
        int port = settings.port();
        InetAddress at = SipHost.literal(address).orElseThrow();
        List<String> ourSpellings = SipHost.isIpv6(host) ? List.of("[::1]", "[0:0:0:0:0:0:0:1]") : List.of("127.0.0.1");
        for (String ours : ourSpellings) {
            String callId = "stray-" + TestPhone.tag();
            List<String> got = RawPeer.udpExchange(p -> ok(ours + ":" + port, host + ":" + p, callId), at, port, 3000);
            assertEquals(1, got.size(), "relayed with our Via as " + ours);
            assertTrue(got.get(0).startsWith("SIP/2.0 200 OK\r\n"), got.get(0));
            assertTrue(got.get(0).contains(callId), got.get(0));
            assertEquals(1, got.get(0).split("(?im)^Via:", -1).length - 1, "our Via taken off: " + got.get(0));
        }
        String callId = "foreign-" + TestPhone.tag();
        assertEquals(List.of(), RawPeer.udpExchange(p -> ok("192.0.2.7:5060", host + ":" + p, callId), at, port, 1000),
                "a 2xx whose top Via is someone else's is dropped");
    }

    private static String ok(String topSentBy, String callerSentBy, String callId) {
        return "SIP/2.0 200 OK\r\n"
                + "Via: SIP/2.0/UDP " + topSentBy + ";branch=z9hG4bK" + TestPhone.tag() + "\r\n"
                + "Via: SIP/2.0/UDP " + callerSentBy + ";branch=z9hG4bKcaller;rport\r\n"
                + "From: <sip:alice@example.invalid>;tag=a1\r\n"
                + "To: <sip:bob@example.invalid>;tag=b1\r\n"
                + "Call-ID: " + callId + "\r\n"
                + "CSeq: 1 INVITE\r\n"
                + "Contact: <sip:bob@192.0.2.8:5060>\r\n"
                + "Content-Length: 0\r\n\r\n";
    }

    /**
     * §16.3 step 4: a request that carries our own Via with the branch we would compute for it
     * has looped: 482. Our Via is written the two ways a stack writes {@code ::1}
     * ({@code [::1]}, and {@code [0:0:0:0:0:0:0:1]} as the RI writes its own); a Via of ours with
     * another branch is a spiral and goes on (to the 407 every request to a user gets first).
     */
    @ParameterizedTest
    @ValueSource(strings = {"::1", "127.0.0.1"})
    void aLoopedRequestGets482OverUdpAndTcp(String given) throws Exception {
        start(given);
        int port = settings.port();
        String ruri = "sip:bob@" + host;
        List<String> ourSpellings = SipHost.isIpv6(host)
                ? List.of("[::1]", "[0:0:0:0:0:0:0:1]", "[0000::0001]") : List.of("127.0.0.1");
        Map<String, byte[]> messages = new LinkedHashMap<>();
        for (int i = 0; i < ourSpellings.size(); i++) {
            String callId = "loop-" + i + "-" + TestPhone.tag();
            String branch = HopGuard.branchPrefix(HopGuard.loopHash(ruri, "lf1", null, callId, 1)) + "7";
            messages.put("looped" + i, options(ruri, ourSpellings.get(i) + ":" + port, branch, callId));
        }
        String callId = "spiral-" + TestPhone.tag();
        String otherHash = HopGuard.branchPrefix(HopGuard.loopHash("sip:carol@" + host, "lf1", null, callId, 1)) + "7";
        messages.put("spiral", options(ruri, host + ":" + port, otherHash, callId));

        InetAddress at = SipHost.literal(address).orElseThrow();
        for (Map<String, RawPeer.Answer> answers : List.of(RawPeer.udp(messages, at, port, 3000),
                RawPeer.tcp(messages, at, port, 3000))) {
            for (int i = 0; i < ourSpellings.size(); i++) {
                RawPeer.Answer a = answers.get("looped" + i); // the name goes into the branch: no spaces
                assertEquals(482, a.finalStatus(), "looped, our Via as " + ourSpellings.get(i) + ": " + a.finalLine());
            }
            assertEquals(407, answers.get("spiral").finalStatus(), "a spiral is not a loop");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"::1", "127.0.0.1"})
    void optionsToTheServerItselfIsAnsweredOverUdpAndTcp(String given) throws Exception {
        start(given);
        for (String transport : List.of("udp", "tcp")) {
            TestPhone phone = registered(transport.equals("udp") ? "alice" : "bob", transport);
            SipURI us = phone.af.createSipURI(null, host);
            us.setPort(settings.port());
            Request options = phone.request(Request.OPTIONS, us, phone.user, null, "opt-" + TestPhone.tag(), 1);
            phone.routeViaProxy(options);
            phone.send(options);
            Response ok = phone.expectFinal();
            assertEquals(200, ok.getStatusCode(), "OPTIONS " + us + " over " + transport);
            assertTrue(TestPhone.header(ok, "Allow").contains("INVITE"), ok.toString());
        }
    }

    /**
     * A change of transports on {@code ::1}: the listening point that stays keeps serving, the one
     * dropped and added back on the same port serves again (the RI files a point on {@code ::1}
     * under two spellings: given {@code ::1}, the deleted TCP point stayed filed and came back
     * dead), and the points are reported as {@code [::1]:port}.
     */
    @ParameterizedTest
    @ValueSource(strings = {"::1", "127.0.0.1"})
    void aTransportChangeKeepsTheListeningPointThatStays(String given) throws Exception {
        start(given);
        int port = settings.port();
        ServerSettings udpOnly = settings.toBuilder().transports(java.util.EnumSet.of(
                io.glareresolver.sip.impl.config.Transport.UDP)).build();
        assertTrue(server.reconfigure(udpOnly), "tcp dropped, udp kept");
        assertEquals(List.of("udp " + host + ":" + port), server.listening());
        TestPhone alice = registered("alice", "udp");
        assertTrue(server.reconfigure(settings), "tcp added, udp kept");
        assertEquals(Set.of("udp " + host + ":" + port, "tcp " + host + ":" + port), Set.copyOf(server.listening()));
        registered("bob", "tcp");
        assertEquals(200, alice.register(600, DigestAlgorithm.SHA_256).getStatusCode(), "the kept udp point serves");
    }

    private static byte[] options(String ruri, String ourSentBy, String ourBranch, String callId) {
        String from = ruri.replace("bob@", "alice@");
        String m = "OPTIONS " + ruri + " SIP/2.0\r\n"
                + "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKpeer\r\n" // pointed at the sending socket
                + "Via: SIP/2.0/UDP " + ourSentBy + ";branch=" + ourBranch + "\r\n"
                + "Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKcaller1\r\n"
                + "Max-Forwards: 68\r\n"
                + "From: <" + from + ">;tag=lf1\r\n"
                + "To: <" + ruri + ">\r\n"
                + "Call-ID: " + callId + "\r\n"
                + "CSeq: 1 OPTIONS\r\n"
                + "Content-Length: 0\r\n\r\n";
        return m.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static int count(javax.sip.message.Message m, String header) {
        int n = 0;
        for (var it = m.getHeaders(header); it.hasNext(); it.next()) {
            n++;
        }
        return n;
    }
}
