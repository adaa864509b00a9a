package io.glareresolver.sip.impl.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import javax.sip.RequestEvent;
import javax.sip.ServerTransaction;
import javax.sip.header.ContactHeader;
import javax.sip.header.MaxForwardsHeader;
import javax.sip.header.RecordRouteHeader;
import javax.sip.header.WWWAuthenticateHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.glareresolver.sip.api.BranchResponse;
import io.glareresolver.sip.api.HeaderEdits;
import io.glareresolver.sip.api.InitialInvite;
import io.glareresolver.sip.api.InviteAction;
import io.glareresolver.sip.api.InviteEnd;
import io.glareresolver.sip.api.InviteInterceptor;
import io.glareresolver.sip.api.Registration;
import io.glareresolver.sip.api.ResponseAction;
import io.glareresolver.sip.impl.auth.DigestAlgorithm;
import io.glareresolver.sip.impl.config.ServerSettings;
import io.glareresolver.sip.impl.config.Transport;
import io.glareresolver.sip.impl.location.SubscriberStore;
import io.glareresolver.sip.impl.proxy.InterceptorChain;
import io.glareresolver.sip.impl.users.SipUser;

/** The whole server over loopback, driven by real JAIN-SIP user agents. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SipServerFunctionalTest {

    static final String REALM = "glare-resolver";
    static final String SDP_A = "v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n";
    static final String SDP_B = "v=0\r\no=bob 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40002 RTP/AVP 0\r\n";

    @TempDir
    Path dir;
    ServerSettings settings;
    SubscriberStore store;
    InterceptorChain chain;
    SipServer server;
    final List<TestPhone> phones = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        Path users = dir.resolve("sip-users.txt");
        Files.write(users, List.of("# test users",
                SipUser.withPassword("alice", 1, REALM, "alice-pw".toCharArray()).line(),
                SipUser.withPassword("bob", 2, REALM, "bob-pw".toCharArray()).line(),
                SipUser.withPassword("carol", 3, REALM, "carol-pw".toCharArray()).line()));
        settings = ServerSettings.builder().port(TestPhone.freePort()).usersFile(users)
                // both challenged, SHA-256 first: the SHA-256 paths; the shipped MD5-only default has its own test
                .digestAlgorithms(List.of(DigestAlgorithm.SHA_256, DigestAlgorithm.MD5)).build();
        store = new SubscriberStore(settings, Clock.systemUTC());
        chain = new InterceptorChain();
        server = new SipServer(settings, store, chain, 5000, Clock.systemUTC());
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        // JAIN-SIP's SipStack.stop() takes about a second: stop them all at once
        List<Thread> stoppers = new ArrayList<>();
        for (TestPhone p : phones) {
            stoppers.add(new Thread(p::close));
        }
        stoppers.add(new Thread(server::stop));
        stoppers.forEach(Thread::start);
        for (Thread t : stoppers) {
            t.join(10_000);
        }
    }

    TestPhone phone(String user, String password, String transport) throws Exception {
        TestPhone p = new TestPhone(user, password, settings.port(), transport);
        phones.add(p);
        return p;
    }

    TestPhone registered(String user, String transport) throws Exception {
        TestPhone p = phone(user, user + "-pw", transport);
        assertEquals(200, p.register(600, DigestAlgorithm.SHA_256).getStatusCode());
        return p;
    }

    // ------------------------------------------------------------------ registrar

    @Test
    void registersWithMd5() throws Exception {
        TestPhone alice = phone("alice", "alice-pw", "udp");
        Response ok = alice.register(600, DigestAlgorithm.MD5, "alice-pw", "glare");
        assertEquals(200, ok.getStatusCode());
        ContactHeader c = (ContactHeader) ok.getHeader(ContactHeader.NAME);
        assertEquals(alice.contact(), c.getAddress().getURI().toString());
        assertTrue(c.getExpires() > 590 && c.getExpires() <= 600, "expires " + c.getExpires());
        Registration reg = store.locations().lookup("alice@127.0.0.1").orElseThrow();
        assertEquals(1, reg.endpointId());
        assertTrue(reg.supports("glare"));
        assertEquals(TestPhone.callId(ok), reg.bindings().get(0).callId());
    }

    @Test
    void registrationInterceptorAddsHeadersToThe200Ok() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        chain.addRegistrationInterceptor((reg, supported) -> {
            seen.add(reg.aor() + " " + reg.endpointId() + " " + new java.util.TreeSet<>(supported));
            return supported.contains("glare")
                    ? HeaderEdits.builder().set("Glare-Tiebreak", reg.endpointId() + ";kind=id").build()
                    : HeaderEdits.none();
        }, 0);
        // a failing interceptor, and one that tries to write a header the registrar manages: both skipped
        chain.addRegistrationInterceptor((reg, supported) -> {
            throw new IllegalStateException("broken plugin");
        }, -1);
        chain.addRegistrationInterceptor((reg, supported) -> HeaderEdits.builder().set("Contact", "<sip:evil@10.0.0.1>").build(), -2);

        TestPhone alice = phone("alice", "alice-pw", "udp");
        Response aware = alice.register(600, DigestAlgorithm.MD5, "alice-pw", "glare", "100rel");
        assertEquals(200, aware.getStatusCode());
        assertEquals("1;kind=id", TestPhone.header(aware, "Glare-Tiebreak"));
        assertEquals(alice.contact(), ((ContactHeader) aware.getHeader(ContactHeader.NAME)).getAddress().getURI().toString());

        TestPhone bob = phone("bob", "bob-pw", "udp");
        Response plain = bob.register(600, DigestAlgorithm.MD5, "bob-pw");
        assertEquals(200, plain.getStatusCode());
        assertNull(TestPhone.header(plain, "Glare-Tiebreak"));
        assertEquals(List.of("alice@127.0.0.1 1 [100rel, glare]", "bob@127.0.0.1 2 []"), seen);

        // an unregister (no binding left) is not a registration: interceptors are not asked
        Response gone = alice.register(0, DigestAlgorithm.MD5, "alice-pw", "glare");
        assertEquals(200, gone.getStatusCode());
        assertNull(TestPhone.header(gone, "Glare-Tiebreak"));
        assertEquals(2, seen.size());
        assertTrue(store.locations().lookup("bob@127.0.0.1").isPresent());
    }

    @Test
    void registersWithSha256AndOffersBothChallenges() throws Exception {
        TestPhone bob = phone("bob", "bob-pw", "tcp");
        bob.send(bob.registerRequest(600));
        Response challenge = bob.expectFinal();
        assertEquals(401, challenge.getStatusCode());
        List<String> algs = new ArrayList<>();
        for (Iterator<?> it = challenge.getHeaders(WWWAuthenticateHeader.NAME); it.hasNext(); ) {
            WWWAuthenticateHeader h = (WWWAuthenticateHeader) it.next();
            algs.add(h.getAlgorithm());
            assertEquals(REALM, h.getRealm());
            assertTrue(h.toString().contains("qop=\"auth\""), h.toString());
        }
        assertEquals(List.of("SHA-256", "MD5"), algs);
        assertEquals(200, bob.register(600, DigestAlgorithm.SHA_256).getStatusCode());
        assertEquals(2, store.locations().lookup("bob@127.0.0.1").orElseThrow().endpointId());
    }

    @Test
    void theShippedDefaultChallengesMd5AloneAndStillAcceptsASha256Answer() throws Exception {
        ServerSettings shipped = ServerSettings.defaults();
        assertTrue(server.reconfigure(settings.toBuilder().digestAlgorithms(shipped.digestAlgorithms())
                .acceptedDigestAlgorithms(shipped.acceptedDigestAlgorithms()).build()));
        TestPhone bob = phone("bob", "bob-pw", "udp");
        bob.send(bob.registerRequest(600));
        Response challenge = bob.expectFinal();
        List<String> algs = new ArrayList<>();
        challenge.getHeaders(WWWAuthenticateHeader.NAME).forEachRemaining(h -> algs.add(((WWWAuthenticateHeader) h).getAlgorithm()));
        assertEquals(List.of("MD5"), algs, "baresip 1.0 cannot register once SHA-256 is offered");
        assertEquals(200, bob.register(600, DigestAlgorithm.MD5).getStatusCode());
        // a UA configured for SHA-256 answers the MD5 challenge's nonce with SHA-256: accepted
        TestPhone alice = phone("alice", "alice-pw", "udp");
        assertEquals(200, alice.register(600, DigestAlgorithm.SHA_256).getStatusCode());
        // with digest.accepted = MD5 the same answer is challenged afresh, never accepted
        assertTrue(server.reconfigure(settings.toBuilder().digestAlgorithms(List.of(DigestAlgorithm.MD5))
                .acceptedDigestAlgorithms(List.of(DigestAlgorithm.MD5)).build()));
        TestPhone carol = phone("alice", "alice-pw", "tcp");
        assertEquals(401, carol.register(600, DigestAlgorithm.SHA_256).getStatusCode());
    }

    @Test
    void challengeAlgorithmsFollowTheSettings() throws Exception {
        assertTrue(server.reconfigure(settings.toBuilder().digestAlgorithms(List.of(DigestAlgorithm.MD5)).build()));
        TestPhone bob = phone("bob", "bob-pw", "udp");
        bob.send(bob.registerRequest(600));
        Response challenge = bob.expectFinal();
        List<String> algs = new ArrayList<>();
        challenge.getHeaders(WWWAuthenticateHeader.NAME).forEachRemaining(h -> algs.add(((WWWAuthenticateHeader) h).getAlgorithm()));
        assertEquals(List.of("MD5"), algs);
        assertEquals(200, bob.register(600, DigestAlgorithm.MD5).getStatusCode());
    }

    @Test
    void wrongPasswordNeverRegisters() throws Exception {
        TestPhone alice = phone("alice", "alice-pw", "udp");
        int status = alice.register(600, DigestAlgorithm.MD5, "not-the-password").getStatusCode();
        assertTrue(status == 403 || status == 401, "status " + status);
        assertTrue(store.locations().lookup("alice@127.0.0.1").isEmpty());
        TestPhone mallory = phone("mallory", "x", "udp");
        assertEquals(403, mallory.register(600, DigestAlgorithm.SHA_256).getStatusCode());
    }

    @Test
    void unregisterWildcardAndIntervalTooBrief() throws Exception {
        TestPhone alice = registered("alice", "udp");
        Response brief = alice.register(10, DigestAlgorithm.MD5);
        assertEquals(423, brief.getStatusCode());
        assertEquals("60", TestPhone.header(brief, "Min-Expires"));
        assertTrue(store.locations().lookup("alice@127.0.0.1").isPresent(), "a refused REGISTER keeps the binding");

        assertEquals(200, alice.register(0, DigestAlgorithm.MD5).getStatusCode());
        assertTrue(store.locations().lookup("alice@127.0.0.1").isEmpty());

        assertEquals(200, alice.register(600, DigestAlgorithm.MD5).getStatusCode());
        // wildcard with a non-zero Expires: 400
        Request bad = alice.registerRequest(600);
        bad.setHeader(alice.hf.createContactHeader());
        alice.send(bad);
        Response r = alice.expectFinal();
        assertEquals(401, r.getStatusCode());
        Request bad2 = alice.registerRequest(600);
        bad2.setHeader(alice.hf.createContactHeader());
        bad2.addHeader(alice.authorization(r, DigestAlgorithm.MD5, "REGISTER", bad2.getRequestURI().toString(), "alice-pw", false));
        alice.send(bad2);
        assertEquals(400, alice.expectFinal().getStatusCode());
        // wildcard with Expires 0 removes all
        Request star = alice.registerRequest(0);
        star.setHeader(alice.hf.createContactHeader());
        alice.send(star);
        Response r2 = alice.expectFinal();
        Request star2 = alice.registerRequest(0);
        star2.setHeader(alice.hf.createContactHeader());
        star2.addHeader(alice.authorization(r2, DigestAlgorithm.MD5, "REGISTER", star2.getRequestURI().toString(), "alice-pw", false));
        alice.send(star2);
        assertEquals(200, alice.expectFinal().getStatusCode());
        assertTrue(store.locations().lookup("alice@127.0.0.1").isEmpty());
    }

    // ------------------------------------------------------------------ proxy

    @Test
    void callThroughTheProxy() throws Exception {
        TestPhone alice = registered("alice", "udp");
        TestPhone bob = registered("bob", "tcp");
        TestPhone.Call call = alice.invite("bob", SDP_A, true);
        assertEquals(100, alice.expectResponse(r -> r.getStatusCode() < 200).getStatusCode());

        RequestEvent inv = bob.expectRequest(Request.INVITE);
        Request in = inv.getRequest();
        assertEquals(SDP_A, new String(in.getRawContent(), StandardCharsets.UTF_8));
        assertEquals(69, ((MaxForwardsHeader) in.getHeader(MaxForwardsHeader.NAME)).getMaxForwards());
        RecordRouteHeader rr = (RecordRouteHeader) in.getHeader(RecordRouteHeader.NAME);
        assertNotNull(rr);
        assertTrue(rr.getAddress().getURI().toString().contains(":" + settings.port()), rr.toString());
        assertNull(in.getHeader("Proxy-Authorization"), "the proxy consumes its own credentials");
        assertEquals(bob.contact(), in.getRequestURI().toString());

        ServerTransaction st = bob.serverTransaction(inv);
        bob.respond(st, 180, null);
        alice.expectStatus(180);
        bob.respond(st, 200, SDP_B);
        Response ok = alice.expectStatus(200);
        assertEquals(SDP_B, new String(ok.getRawContent(), StandardCharsets.UTF_8));
        assertNotNull(ok.getHeader(RecordRouteHeader.NAME));

        call.ack(ok);
        RequestEvent ack = bob.expectRequest(Request.ACK);
        assertEquals(TestPhone.callId(in), TestPhone.callId(ack.getRequest()));

        call.bye();
        RequestEvent bye = bob.expectRequest(Request.BYE);
        bob.respond(bob.serverTransaction(bye), 200, null);
        Response byeOk = alice.expectResponse(r -> r.getStatusCode() == 200 && "BYE".equals(
                ((javax.sip.header.CSeqHeader) r.getHeader("CSeq")).getMethod()));
        assertEquals(200, byeOk.getStatusCode());
    }

    @Test
    void cancelEndsWith487() throws Exception {
        TestPhone alice = registered("alice", "udp");
        TestPhone bob = registered("bob", "udp");
        TestPhone.Call call = alice.invite("bob", SDP_A, true);
        RequestEvent inv = bob.expectRequest(Request.INVITE);
        ServerTransaction st = bob.serverTransaction(inv);
        bob.respond(st, 180, null);
        alice.expectStatus(180);
        call.cancel();
        RequestEvent cancel = bob.expectRequest(Request.CANCEL);
        bob.respond(bob.serverTransaction(cancel), 200, null);
        bob.respond(st, 487, null);
        assertEquals(487, alice.expectResponse(r -> r.getStatusCode() >= 300).getStatusCode());
    }

    /** Net::SIP's callee answers the INVITE with a 487 built from the CANCEL: only the proxy's Via in it. */
    @Test
    void cancelEndsWith487WhenTheCalleeBuildsItFromTheCancel() throws Exception {
        TestPhone alice = registered("alice", "udp");
        TestPhone bob = registered("bob", "udp");
        TestPhone.Call call = alice.invite("bob", SDP_A, true);
        RequestEvent inv = bob.expectRequest(Request.INVITE);
        ServerTransaction st = bob.serverTransaction(inv);
        bob.respond(st, 180, null);
        alice.expectStatus(180);
        call.cancel();
        RequestEvent cancel = bob.expectRequest(Request.CANCEL);
        bob.respond(bob.serverTransaction(cancel), 200, null);
        Response fromCancel = bob.mf.createResponse(487, cancel.getRequest());
        ((javax.sip.header.CSeqHeader) fromCancel.getHeader("CSeq")).setMethod(Request.INVITE);
        ((javax.sip.header.ToHeader) fromCancel.getHeader("To")).setTag(bob.localTag);
        bob.provider.sendResponse(fromCancel);
        assertEquals(487, alice.expectResponse(r -> r.getStatusCode() >= 300).getStatusCode());
    }

    @Test
    void unauthenticatedInviteIsChallenged() throws Exception {
        TestPhone alice = registered("alice", "udp");
        registered("bob", "udp");
        alice.invite("bob", SDP_A, false);
        Response r = alice.expectFinal();
        assertEquals(407, r.getStatusCode());
        List<String> algs = new ArrayList<>();
        r.getHeaders("Proxy-Authenticate").forEachRemaining(h -> algs.add(((WWWAuthenticateHeader) h).getAlgorithm()));
        assertEquals(List.of("SHA-256", "MD5"), algs);
    }

    @Test
    void unknownUser404AndUnregistered480() throws Exception {
        TestPhone alice = registered("alice", "udp");
        alice.invite("nobody", SDP_A, true);
        assertEquals(404, alice.expectFinal().getStatusCode());
        alice.invite("carol", SDP_A, true);
        assertEquals(480, alice.expectFinal().getStatusCode());
    }

    @Test
    void maxForwardsZeroGets483AndOptionsToServer200() throws Exception {
        TestPhone alice = registered("alice", "udp");
        registered("bob", "udp");
        Request invite = alice.request(Request.INVITE, alice.aor("bob"), "bob", null, "mf0-" + TestPhone.tag(), 7);
        alice.routeViaProxy(invite);
        invite.setHeader(alice.hf.createMaxForwardsHeader(0));
        alice.send(invite);
        Response r = alice.expectFinal();
        assertEquals(483, r.getStatusCode());

        Request options = alice.request(Request.OPTIONS, alice.af.createSipURI(null, "127.0.0.1"), "alice", null,
                "opt-" + TestPhone.tag(), 1);
        alice.routeViaProxy(options);
        alice.send(options);
        Response ok = alice.expectFinal();
        assertEquals(200, ok.getStatusCode());
        assertNotNull(ok.getHeader("Allow"));
    }

    /** An out-of-dialog MESSAGE to bob, sent by {@code phone} as {@code fromUser}, through the proxy. */
    private static Request message(TestPhone phone, String callId, long seq) throws Exception {
        Request m = phone.request(Request.MESSAGE, phone.aor("bob"), "bob", null, callId, seq);
        phone.routeViaProxy(m);
        m.setContent("hello".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                phone.hf.createContentTypeHeader("text", "plain"));
        return m;
    }

    @Test
    void anOutOfDialogMessageIsRelayedOnlyFromTheAuthenticatedSender() throws Exception {
        TestPhone alice = registered("alice", "udp");
        TestPhone bob = registered("bob", "udp");
        // no credentials: 407, nothing reaches bob (it was relayed as "from alice" before)
        String callId = "msg-" + TestPhone.tag();
        alice.send(message(alice, callId, 1));
        Response challenge = alice.expectFinal();
        assertEquals(407, challenge.getStatusCode());
        assertTrue(bob.noRequest(Request.MESSAGE, 500), "an unauthenticated MESSAGE reached bob");

        // alice's own credentials: relayed, without the Proxy-Authorization the proxy consumed (§22.3)
        Request signed = message(alice, callId, 2);
        signed.addHeader(alice.authorization(challenge, DigestAlgorithm.MD5, Request.MESSAGE,
                signed.getRequestURI().toString(), "alice-pw", true));
        alice.send(signed);
        RequestEvent got = bob.expectRequest(Request.MESSAGE);
        assertNull(got.getRequest().getHeader("Proxy-Authorization"), "our realm's credentials passed on");
        bob.respond(bob.serverTransaction(got), 200, null);
        assertEquals(200, alice.expectFinal().getStatusCode());
    }

    /**
     * Credentials for a proxy further on, in the realm {@code upstream.example}: RFC 3261 §22.3, "a
     * Proxy-Authorization header field value MUST NOT be consumed by any proxy whose realm does not
     * match the "realm" parameter specified in that value".
     */
    static final String UPSTREAM_CREDENTIALS = "Digest username=\"alice\", realm=\"upstream.example\", "
            + "nonce=\"up-1\", uri=\"sip:bob@127.0.0.1\", response=\"00112233445566778899aabbccddeeff\"";

    /** The realms of the Proxy-Authorization values of {@code m}, in order. */
    static List<String> credentialRealms(javax.sip.message.Message m) {
        List<String> out = new ArrayList<>();
        m.getHeaders(javax.sip.header.ProxyAuthorizationHeader.NAME).forEachRemaining(h ->
                out.add(((javax.sip.header.ProxyAuthorizationHeader) h).getRealm()));
        return out;
    }

    @Test
    void anOutOfDialogMessageIsRelayedWithoutOurCredentialsButWithAnotherRealmsAndItsRetransmissionAnsweredAgain()
            throws Exception {
        TestPhone alice = registered("alice", "udp");
        TestPhone bob = registered("bob", "udp");
        String callId = "msg-" + TestPhone.tag();
        Request first = message(alice, callId, 1);
        first.addHeader(alice.hf.createHeader("Proxy-Authorization", UPSTREAM_CREDENTIALS));
        alice.send(first);
        Response challenge = alice.expectFinal();
        assertEquals(407, challenge.getStatusCode(), "another realm's credentials are not ours: challenged");

        Request signed = message(alice, callId, 2);
        signed.addHeader(alice.hf.createHeader("Proxy-Authorization", UPSTREAM_CREDENTIALS));
        signed.addHeader(alice.authorization(challenge, DigestAlgorithm.MD5, Request.MESSAGE,
                signed.getRequestURI().toString(), "alice-pw", true));
        long sent = System.nanoTime();
        alice.provider.sendRequest(signed); // without a client transaction: this test retransmits by hand
        RequestEvent got = bob.expectRequest(Request.MESSAGE);
        assertEquals(List.of("upstream.example"), credentialRealms(got.getRequest()),
                "ours consumed (§22.3), the upstream proxy's forwarded");
        assertEquals(69, ((MaxForwardsHeader) got.getRequest().getHeader(MaxForwardsHeader.NAME)).getMaxForwards());
        bob.respond(bob.serverTransaction(got), 200, null);
        assertEquals(200, alice.expectFinal().getStatusCode());

        // as if that 200 had been lost: §17.2.2, the proxy's server transaction, "Completed", answers again
        InDialogRoutingTest.retransmitAtT1(alice, signed, sent);
        assertEquals(200, alice.expectFinal().getStatusCode(), "the retransmitted MESSAGE answered again");
        assertTrue(bob.noRequest(Request.MESSAGE, 500), "a retransmitted MESSAGE reached bob as a new one");
    }

    @Test
    void aMessageFromSomeoneElsesAddressIsRefusedEvenWithGoodCredentials() throws Exception {
        TestPhone mallory = phone("alice", "alice-pw", "udp"); // alice's own credentials, carol's address in From
        TestPhone bob = registered("bob", "udp");
        String callId = "msg-" + TestPhone.tag();
        Request m = message(mallory, callId, 1);
        mallory.send(m);
        Response challenge = mallory.expectFinal();
        assertEquals(407, challenge.getStatusCode());
        Request forged = message(mallory, callId, 2);
        forged.setHeader(mallory.hf.createFromHeader(mallory.af.createAddress(mallory.aor("carol")), TestPhone.tag()));
        forged.addHeader(mallory.authorization(challenge, DigestAlgorithm.MD5, Request.MESSAGE,
                forged.getRequestURI().toString(), "alice-pw", true));
        mallory.send(forged);
        Response r = mallory.expectFinal();
        assertEquals(403, r.getStatusCode(), r.toString());
        assertTrue(bob.noRequest(Request.MESSAGE, 500), "a MESSAGE from a forged address reached bob");
    }

    @Test
    void aRegisterWhoseDigestAnswersAnotherResourceGets400AndRegistersNothing() throws Exception {
        TestPhone alice = phone("alice", "alice-pw", "udp");
        alice.send(alice.registerRequest(600));
        Response challenge = alice.expectFinal();
        assertEquals(401, challenge.getStatusCode());
        Request again = alice.registerRequest(600);
        // a good answer, but computed for another registrar (RFC 2617 §3.2.2.5)
        again.addHeader(alice.authorization(challenge, DigestAlgorithm.SHA_256, Request.REGISTER, "sip:127.0.0.99",
                "alice-pw", false));
        alice.send(again);
        Response r = alice.expectFinal();
        assertEquals(400, r.getStatusCode(), r.toString());
        assertTrue(store.locations().lookup("alice@127.0.0.1").isEmpty(), "registered on an answer for another resource");
        assertEquals(200, alice.register(600, DigestAlgorithm.SHA_256).getStatusCode(), "the right answer still registers");
    }

    @Test
    void digestAnswerForAnotherRequestUriGets400() throws Exception {
        TestPhone alice = registered("alice", "udp");
        TestPhone bob = registered("bob", "udp");
        String callId = "uri-" + TestPhone.tag();
        alice.send(message(alice, callId, 1));
        Response challenge = alice.expectFinal();
        assertEquals(407, challenge.getStatusCode());
        Request again = message(alice, callId, 2);
        // a good answer, computed for another resource than the Request-URI (RFC 2617 §3.2.2.5)
        again.addHeader(alice.authorization(challenge, DigestAlgorithm.MD5, Request.MESSAGE, "sip:carol@127.0.0.1",
                "alice-pw", true));
        alice.send(again);
        Response r = alice.expectFinal();
        assertEquals(400, r.getStatusCode(), r.toString());
        assertTrue(bob.noRequest(Request.MESSAGE, 300), "relayed although the answer was for another resource");
    }

    @Test
    void malformedRequestGets400() throws Exception {
        String msg = "INVITE sip:bob@127.0.0.1 SIP/2.0\r\n"
                + "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-bad1\r\n"
                + "From: <sip:alice@127.0.0.1>;tag=1\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: bad-1\r\n"
                + "CSeq: x INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
            s.setSoTimeout(5000);
            byte[] out = String.format(msg, s.getLocalPort()).getBytes(StandardCharsets.US_ASCII);
            s.send(new DatagramPacket(out, out.length, InetAddress.getByName("127.0.0.1"), settings.port()));
            byte[] buf = new byte[4096];
            String reply;
            do {
                DatagramPacket in = new DatagramPacket(buf, buf.length);
                s.receive(in);
                reply = new String(buf, 0, in.getLength(), StandardCharsets.US_ASCII);
            } while (reply.startsWith("SIP/2.0 1"));
            assertTrue(reply.startsWith("SIP/2.0 400 "), reply);
            assertFalse(reply.contains("Exception"), reply);
        }
    }

    // ------------------------------------------------------------------ interceptors

    /** Records callbacks; its INVITE action is chosen per test. */
    static final class Recorder implements InviteInterceptor {
        final BlockingQueue<InitialInvite> invites = new LinkedBlockingQueue<>();
        final BlockingQueue<BranchResponse> finals = new LinkedBlockingQueue<>();
        final BlockingQueue<InviteEnd> ends = new LinkedBlockingQueue<>();
        final ConcurrentHashMap<String, Integer> endCounts = new ConcurrentHashMap<>();
        final List<String> cancels = new CopyOnWriteArrayList<>();
        final BlockingQueue<Integer> provisionals = new LinkedBlockingQueue<>();
        final BlockingQueue<String> acks = new LinkedBlockingQueue<>();
        volatile InviteAction action = InviteAction.forward();
        volatile ResponseAction responseAction = ResponseAction.relay();

        @Override
        public InviteAction onInitialInvite(InitialInvite invite) {
            InviteAction a = action; // read before signalling the test thread, which may change it
            invites.add(invite);
            return a;
        }

        @Override
        public ResponseAction onFinalResponse(InitialInvite invite, BranchResponse response) {
            ResponseAction a = responseAction;
            finals.add(response);
            return a;
        }

        @Override
        public void onProvisionalResponse(InitialInvite invite, BranchResponse response) {
            provisionals.add(response.status());
        }

        @Override
        public void onAck(InitialInvite invite) {
            acks.add(invite.callId());
        }

        @Override
        public void onCancel(InitialInvite invite) {
            cancels.add(invite.id());
        }

        @Override
        public void onEnd(InitialInvite invite, InviteEnd end) {
            endCounts.merge(invite.id(), 1, Integer::sum);
            ends.add(end);
        }
    }

    @Test
    void interceptorAddsAHeaderAndSeesTheCall() throws Exception {
        TestPhone alice = registered("alice", "udp");
        TestPhone bob = registered("bob", "udp");
        Recorder rec = new Recorder();
        rec.action = InviteAction.forward(HeaderEdits.builder().set("Glare-Resolution", "accept").build());
        InviteInterceptor failing = invite -> {
            throw new IllegalStateException("plugin bug");
        };
        chain.add(rec, 10);
        chain.add(failing, 5); // runs after, throws: the call goes on
        TestPhone.Call call = alice.invite("bob", SDP_A, true);
        InitialInvite seen = rec.invites.poll(5, TimeUnit.SECONDS);
        assertNotNull(seen);
        assertEquals("alice@127.0.0.1", seen.fromAor());
        assertEquals("bob@127.0.0.1", seen.toAor());
        assertEquals(2, seen.callee().orElseThrow().endpointId());
        assertEquals(1, seen.caller().orElseThrow().endpointId());
        assertEquals(SDP_A, seen.body().orElseThrow());

        RequestEvent inv = bob.expectRequest(Request.INVITE);
        assertEquals("accept", TestPhone.header(inv.getRequest(), "Glare-Resolution"));
        ServerTransaction st = bob.serverTransaction(inv);
        bob.respond(st, 200, SDP_B);
        Response ok = alice.expectStatus(200);
        call.ack(ok);
        assertEquals(200, rec.finals.poll(5, TimeUnit.SECONDS).status());
        assertEquals(InviteEnd.ANSWERED, rec.ends.poll(5, TimeUnit.SECONDS));
        assertEquals(1, rec.endCounts.get(seen.id()));
    }

    @Test
    void theForwardedInviteKeepsAnotherRealmsCredentialsOnlyAndNoInterceptorReadsOurs() throws Exception {
        TestPhone alice = registered("alice", "udp");
        TestPhone bob = registered("bob", "udp");
        // the first interceptor reads the INVITE as received and edits it; the second reads the edited one
        List<List<String>> read = new CopyOnWriteArrayList<>();
        chain.add(invite -> {
            read.add(invite.headers("Proxy-Authorization"));
            return InviteAction.forward(HeaderEdits.builder().add("X-Edited", "yes").build());
        }, 10);
        chain.add(invite -> {
            read.add(invite.headers("Proxy-Authorization"));
            read.add(invite.headers("X-Edited"));
            return InviteAction.forward();
        }, 5);
        TestPhone.Call call = alice.invite("bob", SDP_A, true, "Proxy-Authorization: " + UPSTREAM_CREDENTIALS);
        assertEquals(List.of("upstream.example", REALM), credentialRealms(call.invite), "the caller sent both");

        RequestEvent inv = bob.expectRequest(Request.INVITE);
        Request in = inv.getRequest();
        assertEquals(List.of("upstream.example"), credentialRealms(in), "ours consumed (§22.3), the upstream proxy's forwarded");
        assertEquals("yes", TestPhone.header(in, "X-Edited"), "the interceptor's edit is in the branch");
        assertEquals(69, ((MaxForwardsHeader) in.getHeader(MaxForwardsHeader.NAME)).getMaxForwards());
        assertNotNull(in.getHeader(RecordRouteHeader.NAME));
        assertEquals(3, read.size(), read.toString());
        for (List<String> credentials : List.of(read.get(0), read.get(1))) {
            assertEquals(1, credentials.size(), "an interceptor read " + credentials);
            assertTrue(credentials.get(0).contains("upstream.example"), credentials.get(0));
            assertFalse(credentials.get(0).contains(REALM), credentials.get(0));
        }
        assertEquals(List.of("yes"), read.get(2), "the second interceptor reads the first one's edit");

        bob.respond(bob.serverTransaction(inv), 200, SDP_B);
        call.ack(alice.expectStatus(200));
        bob.expectRequest(Request.ACK);
    }

    /**
     * RFC 3261 §17.2.1: "If a request retransmission is received while in the "Proceeding" state,
     * the most recent provisional response that was received from the TU MUST be passed to the
     * transport layer for retransmission." The caller's retransmitted INVITE is absorbed by the
     * proxy's server transaction (answered with the callee's 180 again) and never becomes a second
     * branch; the callee sees one INVITE, with Max-Forwards decremented once.
     */
    @Test
    void aRetransmittedInviteIsAnsweredWithTheLatestProvisionalAndNeverForwardedAgain() throws Exception {
        TestPhone alice = registered("alice", "udp");
        TestPhone bob = registered("bob", "udp");
        Recorder rec = new Recorder();
        rec.action = InviteAction.forward(HeaderEdits.builder().add("X-Edited", "yes").build());
        chain.add(rec, 0);
        TestPhone.Call call = alice.invite("bob", SDP_A, false);
        Response challenge = alice.expectFinal();
        assertEquals(407, challenge.getStatusCode());
        call.inviteCseq = TestPhone.cseq(call.invite) + 1;
        Request signed = alice.request(Request.INVITE, alice.aor("bob"), "bob", null, call.callId, call.inviteCseq);
        alice.routeViaProxy(signed);
        signed.setContent(SDP_A.getBytes(StandardCharsets.UTF_8), alice.hf.createContentTypeHeader("application", "sdp"));
        signed.addHeader(alice.authorization(challenge, DigestAlgorithm.SHA_256, Request.INVITE,
                signed.getRequestURI().toString(), "alice-pw", true));
        long sent = System.nanoTime();
        alice.provider.sendRequest(signed); // without a client transaction: this test retransmits by hand
        RequestEvent inv = bob.expectRequest(Request.INVITE);
        assertEquals(69, ((MaxForwardsHeader) inv.getRequest().getHeader(MaxForwardsHeader.NAME)).getMaxForwards());
        assertNull(inv.getRequest().getHeader("Proxy-Authorization"), "the proxy consumes its own credentials");
        ServerTransaction st = bob.serverTransaction(inv);
        bob.respond(st, 180, null);
        alice.expectStatus(180);

        InDialogRoutingTest.retransmitAtT1(alice, signed, sent);
        assertEquals(180, alice.expectStatus(180).getStatusCode(), "the retransmission answered with the 180 again");
        assertTrue(bob.noRequest(Request.INVITE, 500), "the retransmitted INVITE became a second branch");
        assertNotNull(rec.invites.poll(5, TimeUnit.SECONDS));
        assertNull(rec.invites.poll(200, TimeUnit.MILLISECONDS), "the interceptor saw the INVITE twice");

        bob.respond(st, 200, SDP_B);
        Response ok = alice.expectStatus(200);
        call.ack(ok);
        RequestEvent ack = bob.expectRequest(Request.ACK);
        assertEquals(call.inviteCseq, TestPhone.cseq(ack.getRequest()));
        assertEquals(InviteEnd.ANSWERED, rec.ends.poll(5, TimeUnit.SECONDS));
    }

    @Test
    void interceptorSeesRingingAndTheEndToEndAckOfThe2xx() throws Exception {
        TestPhone alice = registered("alice", "udp");
        TestPhone bob = registered("bob", "tcp");
        Recorder rec = new Recorder();
        chain.add(rec, 10);
        TestPhone.Call call = alice.invite("bob", SDP_A, true);
        RequestEvent inv = bob.expectRequest(Request.INVITE);
        ServerTransaction st = bob.serverTransaction(inv);
        bob.respond(st, 180, null);
        assertEquals(180, alice.expectStatus(180).getStatusCode());
        assertEquals(180, rec.provisionals.poll(5, TimeUnit.SECONDS));
        bob.respond(st, 200, SDP_B);
        Response ok = alice.expectStatus(200);
        assertEquals(InviteEnd.ANSWERED, rec.ends.poll(5, TimeUnit.SECONDS));
        assertTrue(rec.acks.isEmpty(), "no ACK reported before the caller sent it");
        call.ack(ok);
        bob.expectRequest(Request.ACK);
        assertEquals(call.callId, rec.acks.poll(5, TimeUnit.SECONDS));
        // a retransmitted ACK reaches the callee again but is not reported twice
        call.ack(ok);
        bob.expectRequest(Request.ACK);
        assertNull(rec.acks.poll(300, TimeUnit.MILLISECONDS));
        assertTrue(rec.provisionals.isEmpty(), "100 Trying is not reported");
    }

    @Test
    void interceptorAnswersLocally() throws Exception {
        TestPhone alice = registered("alice", "udp");
        TestPhone bob = registered("bob", "udp");
        Recorder rec = new Recorder();
        rec.action = InviteAction.answer(491, null,
                HeaderEdits.builder().set("Glare-Resolution", "accept-peer;call-id=\"x\"").build());
        chain.add(rec, 0);
        alice.invite("bob", SDP_A, true);
        Response r = alice.expectFinal();
        assertEquals(491, r.getStatusCode());
        assertEquals("accept-peer;call-id=\"x\"", TestPhone.header(r, "Glare-Resolution"));
        assertEquals(InviteEnd.REJECTED, rec.ends.poll(5, TimeUnit.SECONDS), "ends once the ACK is in");
        assertTrue(bob.noRequest(Request.INVITE, 300), "the callee never saw the INVITE");
    }

    @Test
    void interceptorHoldsThenReleases() throws Exception {
        TestPhone alice = registered("alice", "udp");
        // bob on TCP: his first INVITE server transaction ends with the ACK (Timer I is 0 on a
        // reliable transport); on UDP the re-sent branch could meet RFC 3261 §8.2.2.2 merged-request 482
        TestPhone bob = registered("bob", "tcp");
        Recorder rec = new Recorder();
        rec.action = InviteAction.hold();
        chain.add(rec, 0);
        alice.invite("bob", SDP_A, true);
        InitialInvite held = rec.invites.poll(5, TimeUnit.SECONDS);
        assertNotNull(held);
        assertTrue(bob.noRequest(Request.INVITE, 300), "held: not forwarded yet");
        assertTrue(held.release(InviteAction.forward(HeaderEdits.builder().add("X-Released", "yes").build())));
        RequestEvent inv = bob.expectRequest(Request.INVITE);
        assertEquals("yes", TestPhone.header(inv.getRequest(), "X-Released"));
        assertFalse(held.release(InviteAction.forward()), "a second release is refused");

        // the branch's 486 is held, then the INVITE is re-sent as a new branch and answered
        rec.responseAction = ResponseAction.hold();
        ServerTransaction st = bob.serverTransaction(inv);
        bob.respond(st, 486, null);
        assertEquals(486, rec.finals.poll(5, TimeUnit.SECONDS).status());
        rec.responseAction = ResponseAction.relay();
        assertTrue(held.release(InviteAction.forward()));
        RequestEvent again = bob.expectRequest(Request.INVITE);
        assertEquals(TestPhone.callId(inv.getRequest()), TestPhone.callId(again.getRequest()));
        bob.respond(bob.serverTransaction(again), 200, SDP_B);
        assertEquals(200, alice.expectResponse(x -> x.getStatusCode() >= 200).getStatusCode());
        assertEquals(InviteEnd.ANSWERED, rec.ends.poll(5, TimeUnit.SECONDS));
    }

    @Test
    void interceptorCancelsTheBranchAndRewritesTheAnswer() throws Exception {
        TestPhone alice = registered("alice", "udp");
        TestPhone bob = registered("bob", "udp");
        Recorder rec = new Recorder();
        rec.responseAction = ResponseAction.rewrite(491, null,
                HeaderEdits.builder().set("Glare-Resolution", "accept-peer;call-id=\"c1\"").build());
        chain.add(rec, 0);
        alice.invite("bob", SDP_A, true);
        InitialInvite seen = rec.invites.poll(5, TimeUnit.SECONDS);
        assertNotNull(seen);
        RequestEvent inv = bob.expectRequest(Request.INVITE);
        ServerTransaction st = bob.serverTransaction(inv);
        bob.respond(st, 180, null);
        alice.expectStatus(180);
        assertTrue(seen.cancelBranch());
        RequestEvent cancel = bob.expectRequest(Request.CANCEL);
        bob.respond(bob.serverTransaction(cancel), 200, null);
        bob.respond(st, 487, null);
        assertEquals(487, rec.finals.poll(5, TimeUnit.SECONDS).status());
        Response r = alice.expectResponse(x -> x.getStatusCode() >= 300);
        assertEquals(491, r.getStatusCode());
        assertEquals("accept-peer;call-id=\"c1\"", TestPhone.header(r, "Glare-Resolution"));
        assertEquals(InviteEnd.REJECTED, rec.ends.poll(5, TimeUnit.SECONDS));
        assertFalse(seen.cancelBranch(), "no live branch any more");
    }

    @Test
    void unbindingAHolderReleasesItsInvite() throws Exception {
        TestPhone alice = registered("alice", "udp");
        TestPhone bob = registered("bob", "udp");
        Recorder rec = new Recorder();
        rec.action = InviteAction.hold();
        chain.add(rec, 0);
        alice.invite("bob", SDP_A, true);
        assertNotNull(rec.invites.poll(5, TimeUnit.SECONDS));
        chain.remove(rec);
        assertEquals(InviteEnd.ABORTED, rec.ends.poll(5, TimeUnit.SECONDS));
        bob.expectRequest(Request.INVITE);
    }

    @Test
    void cancelOfAHeldInviteIsAnswered487() throws Exception {
        TestPhone alice = registered("alice", "udp");
        registered("bob", "udp");
        Recorder rec = new Recorder();
        rec.action = InviteAction.hold();
        chain.add(rec, 0);
        TestPhone.Call call = alice.invite("bob", SDP_A, true);
        InitialInvite held = rec.invites.poll(5, TimeUnit.SECONDS);
        assertNotNull(held);
        alice.expectStatus(100);
        call.cancel();
        assertEquals(487, alice.expectResponse(r -> r.getStatusCode() >= 300).getStatusCode());
        assertEquals(InviteEnd.CANCELLED, rec.ends.poll(5, TimeUnit.SECONDS));
        assertEquals(List.of(held.id()), rec.cancels);
        assertFalse(held.release(InviteAction.forward()));
    }

    // ------------------------------------------------------------------ reconfiguration

    @Test
    void registrationsSurviveAPortAndTransportChange() throws Exception {
        TestPhone alice = registered("alice", "udp");
        int newPort = TestPhone.freePort();
        ServerSettings next = settings.toBuilder().port(newPort).transports(EnumSet.of(Transport.UDP)).build();
        assertTrue(server.reconfigure(next));
        store.configure(next);
        assertEquals(List.of("udp 127.0.0.1:" + newPort), server.listening());
        assertTrue(store.locations().lookup("alice@127.0.0.1").isPresent(), "registration kept");

        TestPhone bob = new TestPhone("bob", "bob-pw", newPort, "udp");
        phones.add(bob);
        assertEquals(200, bob.register(600, DigestAlgorithm.MD5).getStatusCode());
        bob.invite("alice", SDP_B, true);
        RequestEvent inv = alice.expectRequest(Request.INVITE);
        alice.respond(alice.serverTransaction(inv), 486, null);
        assertEquals(486, bob.expectResponse(r -> r.getStatusCode() >= 300).getStatusCode());

        // a port already in use is refused and the old listening point kept
        try (DatagramSocket taken = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
            ServerSettings clash = next.toBuilder().port(taken.getLocalPort()).build();
            assertFalse(server.reconfigure(clash));
            assertEquals(List.of("udp 127.0.0.1:" + newPort), server.listening());
        }
        // and back to both transports on the same port
        assertTrue(server.reconfigure(next.toBuilder().transports(EnumSet.allOf(Transport.class)).build()));
        assertEquals(Set.of("udp 127.0.0.1:" + newPort, "tcp 127.0.0.1:" + newPort), Set.copyOf(server.listening()));
        assertTrue(store.locations().lookup("alice@127.0.0.1").isPresent());
    }
}
