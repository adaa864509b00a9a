package io.glareresolver.sip.impl.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import javax.sip.RequestEvent;
import javax.sip.ServerTransaction;
import javax.sip.address.Address;
import javax.sip.address.SipURI;
import javax.sip.address.URI;
import javax.sip.header.CSeqHeader;
import javax.sip.header.RecordRouteHeader;
import javax.sip.header.ToHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.glareresolver.sip.impl.auth.DigestAlgorithm;
import io.glareresolver.sip.impl.proxy.DialogStamp;
import io.glareresolver.sip.impl.proxy.InterceptorChain;

/**
 * In-dialog requests are relayed only within dialogs this proxy record-routed: the Record-Route
 * of the initial INVITE carries the dialog's stamp, both phones echo it in their Route, and a
 * request or ACK without a stamp that verifies for its Call-ID and tags reaches nobody (403 / dropped).
 * Alice and bob are registered phones on loopback; mallory is a phone nobody registered.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class InDialogRoutingTest {

    static final String SDP = LiveServer.SDP;
    /** How long a phone is watched for a request that must not arrive (the refusal itself comes first). */
    static final long NOTHING_MS = 500;

    @TempDir
    Path dir;

    /** A call alice placed to bob through the proxy, answered and acknowledged. */
    record Established(TestPhone.Call caller, TestPhone.Answered callee, Address recordRoute) {
    }

    static Established call(TestPhone alice, TestPhone bob) throws Exception {
        assertEquals(200, alice.register(600, DigestAlgorithm.SHA_256).getStatusCode(), "alice registers");
        assertEquals(200, bob.register(600, DigestAlgorithm.SHA_256).getStatusCode(), "bob registers");
        TestPhone.Call call = alice.invite("bob", SDP, true);
        RequestEvent inv = bob.expectRequest(Request.INVITE);
        RecordRouteHeader rr = (RecordRouteHeader) inv.getRequest().getHeader(RecordRouteHeader.NAME);
        assertNotNull(rr, "the proxy record-routes");
        String stamp = ((SipURI) rr.getAddress().getURI()).getParameter(DialogStamp.PARAMETER);
        assertNotNull(stamp, "our Record-Route carries the dialog stamp: " + rr);
        assertTrue(stamp.matches("[A-Za-z0-9_-]{16}"), stamp);
        ServerTransaction st = bob.serverTransaction(inv);
        TestPhone.Answered answered = bob.answered(inv);
        bob.respond(st, 200, SDP);
        Response ok = alice.expectStatus(200);
        call.ack(ok);
        bob.expectRequest(Request.ACK);
        return new Established(call, answered, rr.getAddress());
    }

    static Response finalFor(TestPhone phone, String method) throws Exception {
        return phone.expectResponse(r -> r.getStatusCode() >= 200
                && method.equals(((CSeqHeader) r.getHeader(CSeqHeader.NAME)).getMethod()));
    }

    static void assertNothingArrives(TestPhone phone, String what) throws Exception {
        RequestEvent got = phone.anyRequest(NOTHING_MS);
        assertNull(got, what + " reached " + phone.user + ": " + (got == null ? "" : got.getRequest()));
    }

    @Test
    void bothSidesInDialogRequestsAndAcksOfTheirRecordRoutedCallAreRelayed() throws Exception {
        try (LiveServer live = new LiveServer(dir);
             TestPhone alice = new TestPhone("alice", "alice-pw", live.port(), "udp");
             TestPhone bob = new TestPhone("bob", "bob-pw", live.port(), "udp")) {
            Established c = call(alice, bob);

            // the callee re-INVITEs (its From carries its own tag: the stamp verifies by the To tag)
            Request reinvite = c.callee().inDialog(Request.INVITE);
            reinvite.setContent(SDP.getBytes(StandardCharsets.UTF_8), bob.hf.createContentTypeHeader("application", "sdp"));
            bob.send(reinvite);
            RequestEvent atAlice = alice.expectRequest(Request.INVITE);
            assertEquals(c.caller().callId, TestPhone.callId(atAlice.getRequest()));
            alice.respond(alice.serverTransaction(atAlice), 200, SDP);
            Response reOk = finalFor(bob, Request.INVITE);
            assertEquals(200, reOk.getStatusCode(), "the callee's re-INVITE answered through the proxy");
            c.callee().ack(TestPhone.cseq(reOk));
            assertEquals(TestPhone.cseq(reOk), TestPhone.cseq(alice.expectRequest(Request.ACK).getRequest()),
                    "the callee's ACK of the 2xx relayed");

            // the caller re-INVITEs
            Request again = c.caller().inDialog(Request.INVITE);
            again.setContent(SDP.getBytes(StandardCharsets.UTF_8), alice.hf.createContentTypeHeader("application", "sdp"));
            alice.send(again);
            RequestEvent atBob = bob.expectRequest(Request.INVITE);
            bob.respond(bob.serverTransaction(atBob), 200, SDP);
            Response againOk = finalFor(alice, Request.INVITE);
            assertEquals(200, againOk.getStatusCode(), "the caller's re-INVITE answered through the proxy");
            c.caller().ack(TestPhone.cseq(againOk));
            assertEquals(TestPhone.cseq(againOk), TestPhone.cseq(bob.expectRequest(Request.ACK).getRequest()));

            // the callee hangs up
            bob.send(c.callee().inDialog(Request.BYE));
            RequestEvent bye = alice.expectRequest(Request.BYE);
            alice.respond(alice.serverTransaction(bye), 200, null);
            assertEquals(200, finalFor(bob, Request.BYE).getStatusCode(), "the callee's BYE answered");
        }
    }

    /**
     * RFC 3261 §17.2.2: a retransmission of a BYE whose 200 was lost on the way back is answered
     * again with that 200 ("While in the 'Completed' state, the server transaction MUST pass the
     * final response to the transport layer for retransmission whenever a retransmission of the
     * request is received"). The proxy relays a BYE over UDP statelessly (§16.11), with a branch
     * computed from the request, so the retransmission reaches the callee as its own transaction's
     * retransmission: the callee's transaction answers it, and the callee never sees it as a second
     * BYE for a dialog it has already ended.
     */
    @Test
    void aRetransmittedByeIsAnsweredAgainAndNeverReachesTheCalleeTwice() throws Exception {
        try (LiveServer live = new LiveServer(dir);
             TestPhone alice = new TestPhone("alice", "alice-pw", live.port(), "udp");
             TestPhone bob = new TestPhone("bob", "bob-pw", live.port(), "udp")) {
            Established c = call(alice, bob);
            Request bye = c.caller().inDialog(Request.BYE);
            long sent = System.nanoTime();
            alice.provider.sendRequest(bye); // without a client transaction: this test retransmits by hand
            RequestEvent atBob = bob.expectRequest(Request.BYE);
            bob.respond(bob.serverTransaction(atBob), 200, null);
            assertEquals(200, finalFor(alice, Request.BYE).getStatusCode(), "the BYE answered through the proxy");

            // as if that 200 had been lost
            retransmitAtT1(alice, bye, sent);
            assertEquals(200, finalFor(alice, Request.BYE).getStatusCode(),
                    "the retransmitted BYE answered again, by the callee's server transaction through the proxy");
            assertNothingArrives(bob, "a retransmitted BYE");
        }
    }

    /**
     * A BYE the callee does not answer (as if it were gone): the stateless proxy (§16.11) answers
     * nothing itself and keeps nothing; each retransmission of the caller's reaches the callee with
     * the same branch (§16.11: computed "identically for retransmissions"), so a callee that comes
     * back answers it as one transaction. The caller's own Timer F ends it at 64*T1 with what
     * §8.1.3.1 treats as 408, when a stateful proxy's 408 would have come.
     */
    @Test
    void aByeTheCalleeDoesNotAnswerReachesItWithEachRetransmissionUnderOneBranch() throws Exception {
        try (LiveServer live = new LiveServer(dir);
             TestPhone alice = new TestPhone("alice", "alice-pw", live.port(), "udp");
             TestPhone bob = new TestPhone("bob", "bob-pw", live.port(), "udp")) {
            Established c = call(alice, bob);
            Request bye = c.caller().inDialog(Request.BYE);
            long sent = System.nanoTime();
            alice.provider.sendRequest(bye); // without a client transaction: this test retransmits by hand
            Request first = bob.expectRequest(Request.BYE).getRequest(); // bob never answers
            retransmitAtT1(alice, bye, sent);
            Request again = bob.expectRequest(Request.BYE).getRequest();
            String branch = ((ViaHeader) first.getHeader(ViaHeader.NAME)).getBranch();
            assertEquals(branch, ((ViaHeader) again.getHeader(ViaHeader.NAME)).getBranch(),
                    "the retransmission is the same client transaction at the callee");
            assertEquals(TestPhone.cseq(first), TestPhone.cseq(again));
            Response answer = alice.anyResponse(NOTHING_MS);
            assertNull(answer, "the proxy answers nothing for the callee (no 100, no 408 of its own): " + answer);
        }
    }

    /**
     * RFC 3261 §16.9: "If the proxy is unable to forward the request [...] it SHOULD generate a 503
     * (Service Unavailable)". The stateless relay tops the received BYE itself with our Via before it
     * sends it; when the next hop cannot be reached (a TCP Contact where nothing listens), the caller
     * still gets the 503 for its BYE, and nobody gets the BYE.
     */
    @Test
    void aStatelessByeThatCannotBeSentIsAnswered503ToTheCaller() throws Exception {
        try (LiveServer live = new LiveServer(dir);
             TestPhone alice = new TestPhone("alice", "alice-pw", live.port(), "udp");
             TestPhone bob = new TestPhone("bob", "bob-pw", live.port(), "udp")) {
            Established c = call(alice, bob);
            int nobody;
            try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                nobody = probe.getLocalPort();
            }
            Request bye = c.caller().inDialog(Request.BYE);
            SipURI gone = alice.af.createSipURI("bob", "127.0.0.1");
            gone.setPort(nobody);
            gone.setTransportParam("tcp");
            bye.setRequestURI(gone);
            alice.provider.sendRequest(bye);
            Response answer = finalFor(alice, Request.BYE);
            assertEquals(503, answer.getStatusCode(), "the unreachable next hop answered for: " + answer);
            assertEquals(TestPhone.callId(bye), TestPhone.callId(answer));
            assertNothingArrives(bob, "a BYE to a Contact that is not bob's");
        }
    }

    /**
     * RFC 3261 §13.3.1.4: the callee "MUST" retransmit its 2xx "with an interval that starts at T1
     * seconds and doubles for each retransmission" until the ACK comes, and §16.7 step 10 forwards
     * every 2xx. The proxy's INVITE transactions are destroyed at that first 2xx (§17.1.1.2,
     * §17.2.1; the RI removes them at its next 500 ms tick), so the retransmissions reach the caller
     * without them: the caller sees the 200 again, each time the callee sends it.
     */
    @Test
    void retransmissionsOfTheCalleesTwoHundredReachTheCallerAfterTheProxysInviteTransactionsAreGone() throws Exception {
        try (LiveServer live = new LiveServer(dir);
             TestPhone alice = new TestPhone("alice", "alice-pw", live.port(), "udp");
             TestPhone bob = new TestPhone("bob", "bob-pw", live.port(), "udp")) {
            assertEquals(200, alice.register(600, DigestAlgorithm.SHA_256).getStatusCode(), "alice registers");
            assertEquals(200, bob.register(600, DigestAlgorithm.SHA_256).getStatusCode(), "bob registers");
            alice.invite("bob", SDP, true);
            RequestEvent inv = bob.expectRequest(Request.INVITE);
            Response ok = bob.respond(bob.serverTransaction(inv), 200, SDP);
            long sent = System.nanoTime();
            assertEquals(200, alice.expectStatus(200).getStatusCode(), "the 200 relayed to the caller");
            // no ACK (as if it were lost): the callee's retransmissions at T1 and 3 T1 after its 200 (the
            // interval doubling from T1), sent as they leave its transport, without its transaction;
            // protocol timing the test reproduces, not a wait for an event
            for (long at : new long[] {T1_MS, 3 * T1_MS}) {
                TimeUnit.NANOSECONDS.sleep(Math.max(0, sent + TimeUnit.MILLISECONDS.toNanos(at) - System.nanoTime()));
                bob.provider.sendResponse(ok);
                Response again = alice.expectStatus(200);
                assertEquals(((ToHeader) ok.getHeader(ToHeader.NAME)).getTag(), ((ToHeader) again.getHeader(ToHeader.NAME)).getTag(),
                        "the callee's 200 " + at + " ms after the first reached the caller again");
                assertEquals(1, countVias(again),
                        "with the proxy's Via taken off: " + again);
            }
        }
    }

    private static int countVias(Response r) {
        int n = 0;
        for (java.util.Iterator<?> it = r.getHeaders(ViaHeader.NAME); it.hasNext(); it.next()) {
            n++;
        }
        return n;
    }

    /**
     * Sends {@code request} again as Timer E's first retransmission would, T1 after {@code sentNanos}
     * (§17.1.2.2); protocol timing the test reproduces, not a wait for an event.
     */
    static void retransmitAtT1(TestPhone phone, Request request, long sentNanos) throws Exception {
        TimeUnit.NANOSECONDS.sleep(Math.max(0, sentNanos + TimeUnit.MILLISECONDS.toNanos(T1_MS) - System.nanoTime()));
        phone.provider.sendRequest(request);
    }

    /** RFC 3261 §17.1.1.1: T1, the round-trip estimate, 500 ms. */
    static final long T1_MS = 500;

    @Test
    void aCallersByeIsRelayedAfterTheServerRestartsOnTheSameStore() throws Exception {
        try (LiveServer live = new LiveServer(dir);
             TestPhone alice = new TestPhone("alice", "alice-pw", live.port(), "udp");
             TestPhone bob = new TestPhone("bob", "bob-pw", live.port(), "udp")) {
            Established c = call(alice, bob);
            // the server component restarts (a new stack), the SubscriberStore with its key stays
            live.server.stop();
            SipServer restarted = new SipServer(live.settings, live.store, new InterceptorChain());
            try {
                restarted.start();
                alice.send(c.caller().inDialog(Request.BYE));
                RequestEvent bye = bob.expectRequest(Request.BYE);
                bob.respond(bob.serverTransaction(bye), 200, null);
                assertEquals(200, finalFor(alice, Request.BYE).getStatusCode(), "the BYE of a call set up before");
            } finally {
                restarted.stop();
            }
        }
    }

    @Test
    void aByeWithAMadeUpCallIdAndOurRouteWithoutStampGets403AndReachesNobody() throws Exception {
        try (LiveServer live = new LiveServer(dir);
             TestPhone mallory = new TestPhone("mallory", "none", live.port(), "udp");
             TestPhone bob = new TestPhone("bob", "bob-pw", live.port(), "udp")) {
            assertEquals(200, bob.register(600, DigestAlgorithm.SHA_256).getStatusCode());
            URI bobsPhone = bob.af.createURI(bob.contact());
            Request bye = mallory.request(Request.BYE, bobsPhone, "bob", "made-up-" + TestPhone.tag(),
                    "made-up-" + TestPhone.tag(), 1);
            mallory.routeViaProxy(bye);
            mallory.send(bye);
            Response r = finalFor(mallory, Request.BYE);
            assertEquals(403, r.getStatusCode());
            assertEquals(SipServer.NOT_OUR_DIALOG, r.getReasonPhrase());
            assertNothingArrives(bob, "a forged BYE");
        }
    }

    @Test
    void aStampCopiedFromARealDialogDoesNotCoverAnotherCallId() throws Exception {
        try (LiveServer live = new LiveServer(dir);
             TestPhone alice = new TestPhone("alice", "alice-pw", live.port(), "udp");
             TestPhone bob = new TestPhone("bob", "bob-pw", live.port(), "udp");
             TestPhone mallory = new TestPhone("mallory", "none", live.port(), "udp")) {
            Established c = call(alice, bob);
            URI bobsPhone = bob.af.createURI(bob.contact());
            // the real dialog's tags and stamp, another Call-ID
            Request bye = mallory.request(Request.BYE, bobsPhone, "bob", bob.localTag, "other-" + TestPhone.tag(), 1);
            bye.addHeader(mallory.hf.createRouteHeader(c.recordRoute()));
            mallory.send(bye);
            assertEquals(403, finalFor(mallory, Request.BYE).getStatusCode(), "a stamp is bound to its Call-ID");
            assertNothingArrives(bob, "a BYE with a copied stamp");

            // the real dialog's Call-ID and stamp, made-up tags
            Request bye2 = mallory.request(Request.BYE, bobsPhone, "bob", "made-up-" + TestPhone.tag(), c.caller().callId, 2);
            bye2.addHeader(mallory.hf.createRouteHeader(c.recordRoute()));
            mallory.send(bye2);
            assertEquals(403, finalFor(mallory, Request.BYE).getStatusCode(), "a stamp is bound to the caller's tag");
            assertNothingArrives(bob, "a BYE with a copied stamp and made-up tags");

            // and the real call still ends normally
            alice.send(c.caller().inDialog(Request.BYE));
            RequestEvent real = bob.expectRequest(Request.BYE);
            assertEquals(c.caller().callId, TestPhone.callId(real.getRequest()));
        }
    }

    @Test
    void aForgedInDialogRequestToALocalUserWithoutRouteGets403AndReachesNobody() throws Exception {
        try (LiveServer live = new LiveServer(dir);
             TestPhone alice = new TestPhone("alice", "alice-pw", live.port(), "udp");
             TestPhone bob = new TestPhone("bob", "bob-pw", live.port(), "udp")) {
            // even a registered, authenticated user cannot reach a phone outside a dialog we routed
            assertEquals(200, alice.register(600, DigestAlgorithm.SHA_256).getStatusCode());
            assertEquals(200, bob.register(600, DigestAlgorithm.SHA_256).getStatusCode());
            SipURI bobAtServer = alice.af.createSipURI("bob", "127.0.0.1");
            bobAtServer.setPort(live.port());
            long seq = 1;
            for (String method : new String[] {Request.BYE, Request.INVITE, Request.NOTIFY}) {
                Request forged = alice.request(method, bobAtServer, "bob", "made-up-" + TestPhone.tag(),
                        "made-up-" + TestPhone.tag(), seq++);
                if (Request.NOTIFY.equals(method)) {
                    forged.addHeader(alice.hf.createEventHeader("dialog"));
                    forged.addHeader(alice.hf.createSubscriptionStateHeader("active"));
                }
                alice.send(forged);
                assertEquals(403, finalFor(alice, method).getStatusCode(), "a forged in-dialog " + method);
                assertNothingArrives(bob, "a forged in-dialog " + method);
            }
        }
    }

    @Test
    void forgedAcksReachNobodyAndAreLogged() throws Exception {
        try (LiveServer live = new LiveServer(dir);
             TestPhone alice = new TestPhone("alice", "alice-pw", live.port(), "udp");
             TestPhone bob = new TestPhone("bob", "bob-pw", live.port(), "udp");
             TestPhone mallory = new TestPhone("mallory", "none", live.port(), "udp")) {
            Established c = call(alice, bob);
            URI bobsPhone = bob.af.createURI(bob.contact());
            SipURI bobAtServer = mallory.af.createSipURI("bob", "127.0.0.1");
            bobAtServer.setPort(live.port());

            String noStamp = "ack-no-stamp-" + TestPhone.tag();
            Request a1 = mallory.request(Request.ACK, bobsPhone, "bob", bob.localTag, noStamp, 1);
            mallory.routeViaProxy(a1);
            mallory.provider.sendRequest(a1);

            String noRoute = "ack-no-route-" + TestPhone.tag();
            Request a2 = mallory.request(Request.ACK, bobAtServer, "bob", bob.localTag, noRoute, 1);
            mallory.provider.sendRequest(a2);

            String copied = "ack-copied-stamp-" + TestPhone.tag();
            Request a3 = mallory.request(Request.ACK, bobsPhone, "bob", bob.localTag, copied, 1);
            a3.addHeader(mallory.hf.createRouteHeader(c.recordRoute()));
            mallory.provider.sendRequest(a3);

            for (String callId : new String[] {noStamp, noRoute, copied}) {
                assertTrue(live.logs(TimeUnit.SECONDS.toMillis(TestPhone.WAIT_S), "[" + callId + "] ACK",
                        "dropped: dialog not routed through this proxy"), "the drop of " + callId + " is logged");
            }
            assertNothingArrives(bob, "a forged ACK");
            assertNothingArrives(alice, "a forged ACK");
        }
    }
}
