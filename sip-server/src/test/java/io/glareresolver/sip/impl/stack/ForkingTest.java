package io.glareresolver.sip.impl.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import javax.sip.RequestEvent;
import javax.sip.ServerTransaction;
import javax.sip.header.CSeqHeader;
import javax.sip.header.ToHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.glareresolver.sip.impl.auth.DigestAlgorithm;
import io.glareresolver.sip.impl.config.ServerSettings;
import io.glareresolver.sip.impl.location.SubscriberStore;
import io.glareresolver.sip.impl.proxy.InterceptorChain;
import io.glareresolver.sip.impl.users.SipUser;

/**
 * A user with two phones (RFC 3261 §16.6 forking): both ring, the first to answer gets the call
 * and the other is cancelled; without an answer the caller gets the best final response (§16.7
 * step 6); with q-values the phones ring one q-value after the other.
 */
class ForkingTest {

    static final String REALM = "glare-resolver";
    static final String SDP_A = "v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n";
    static final String SDP_B = "v=0\r\no=bob 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40002 RTP/AVP 0\r\n";
    /** How long "nothing else arrives" is watched: a bounded wait that returns early on failure. */
    static final long QUIET_MS = 700;

    @TempDir
    Path dir;
    ServerSettings settings;
    SipServer server;
    InterceptorChain chain;
    final List<TestPhone> phones = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        Path users = dir.resolve("sip-users.txt");
        Files.write(users, List.of(
                SipUser.withPassword("alice", 1, REALM, "alice-pw".toCharArray()).line(),
                SipUser.withPassword("bob", 2, REALM, "bob-pw".toCharArray()).line()));
        settings = ServerSettings.builder().port(TestPhone.freePort()).usersFile(users)
                .digestAlgorithms(List.of(DigestAlgorithm.SHA_256, DigestAlgorithm.MD5))
                .forkGroupRingTime(Duration.ofSeconds(1)).build();
        chain = new InterceptorChain();
        server = new SipServer(settings, new SubscriberStore(settings, Clock.systemUTC()), chain, 5000, Clock.systemUTC());
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
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

    TestPhone registered(String user, String transport, float q) throws Exception {
        TestPhone p = new TestPhone(user, user + "-pw", settings.port(), transport);
        phones.add(p);
        p.contactQ = q;
        assertEquals(200, p.register(600, DigestAlgorithm.SHA_256).getStatusCode());
        return p;
    }

    /** A ringing phone answers the proxy's CANCEL as RFC 3261 §9.2 says: 200 to it, 487 to the INVITE. */
    static void cancelled(TestPhone phone, ServerTransaction invite) throws Exception {
        RequestEvent cancel = phone.expectRequest(Request.CANCEL);
        phone.respond(phone.serverTransaction(cancel), 200, null);
        phone.respond(invite, 487, null);
    }

    static boolean isInviteFinal(Response r) {
        return r.getStatusCode() >= 200 && Request.INVITE.equals(((CSeqHeader) r.getHeader(CSeqHeader.NAME)).getMethod());
    }

    /** No further final response to the INVITE reaches the caller within {@link #QUIET_MS}. */
    static void noOtherFinal(TestPhone caller) throws Exception {
        long end = System.nanoTime() + QUIET_MS * 1_000_000;
        while (true) {
            long left = end - System.nanoTime();
            Response r = left <= 0 ? null : caller.responses.poll(left, java.util.concurrent.TimeUnit.NANOSECONDS);
            if (r == null) {
                return;
            }
            if (isInviteFinal(r)) {
                throw new AssertionError("the caller got a second final response: " + r.getStatusCode());
            }
        }
    }

    /** Alice calls bob, whose desk phone (UDP) and other phone both ring: the scenario of most tests here. */
    record BobsPhones(TestPhone alice, TestPhone.Call call, TestPhone desk, ServerTransaction deskSt, TestPhone other,
                      ServerTransaction otherSt) {
    }

    BobsPhones aliceCallsBobsTwoPhones(String otherTransport) throws Exception {
        TestPhone alice = registered("alice", "udp", -1);
        TestPhone desk = registered("bob", "udp", -1);
        TestPhone other = registered("bob", otherTransport, -1);
        TestPhone.Call call = alice.invite("bob", SDP_A, true);
        ServerTransaction deskSt = desk.serverTransaction(desk.expectRequest(Request.INVITE));
        ServerTransaction otherSt = other.serverTransaction(other.expectRequest(Request.INVITE));
        return new BobsPhones(alice, call, desk, deskSt, other, otherSt);
    }

    @Test
    void bothPhonesRingAndTheFirstToAnswerGetsTheCall() throws Exception {
        TestPhone alice = registered("alice", "udp", -1);
        TestPhone desk = registered("bob", "udp", -1);
        TestPhone softphone = registered("bob", "tcp", -1);
        TestPhone.Call call = alice.invite("bob", SDP_A, true);

        RequestEvent atDesk = desk.expectRequest(Request.INVITE);
        RequestEvent atSoft = softphone.expectRequest(Request.INVITE);
        assertEquals(desk.contact(), atDesk.getRequest().getRequestURI().toString());
        assertEquals(softphone.contact(), atSoft.getRequest().getRequestURI().toString());
        ServerTransaction deskSt = desk.serverTransaction(atDesk);
        ServerTransaction softSt = softphone.serverTransaction(atSoft);
        desk.respond(deskSt, 180, null);
        softphone.respond(softSt, 180, null);
        alice.expectStatus(180);

        softphone.respond(softSt, 200, SDP_B);
        Response ok = alice.expectResponse(ForkingTest::isInviteFinal);
        assertEquals(200, ok.getStatusCode());
        assertEquals(softphone.localTag, ((ToHeader) ok.getHeader(ToHeader.NAME)).getTag());
        cancelled(desk, deskSt);
        noOtherFinal(alice); // the desk phone's 487 is not the caller's business

        call.ack(ok);
        softphone.expectRequest(Request.ACK);
        assertTrue(desk.noRequest(Request.ACK, QUIET_MS), "the cancelled phone gets no ACK of the 2xx");
    }

    @Test
    void aBusyPhoneDoesNotEndTheCallWhileTheOtherRings() throws Exception {
        BobsPhones bob = aliceCallsBobsTwoPhones("udp");
        TestPhone alice = bob.alice();
        TestPhone desk = bob.desk();
        TestPhone softphone = bob.other();
        ServerTransaction deskSt = bob.deskSt();
        ServerTransaction softSt = bob.otherSt();
        desk.respond(deskSt, 486, null);
        softphone.respond(softSt, 180, null);
        alice.expectStatus(180);
        softphone.respond(softSt, 200, SDP_B);
        assertEquals(200, alice.expectResponse(ForkingTest::isInviteFinal).getStatusCode());
        noOtherFinal(alice);
    }

    @Test
    void withoutAnAnswerTheCallerGetsTheLowestClassNotA503() throws Exception {
        BobsPhones bob = aliceCallsBobsTwoPhones("udp");
        TestPhone alice = bob.alice();
        TestPhone desk = bob.desk();
        TestPhone softphone = bob.other();
        ServerTransaction deskSt = bob.deskSt();
        ServerTransaction softSt = bob.otherSt();
        desk.respond(deskSt, 503, null);
        softphone.respond(softSt, 486, null);
        assertEquals(486, alice.expectResponse(ForkingTest::isInviteFinal).getStatusCode());
    }

    @Test
    void onlyA503BecomesA500() throws Exception {
        TestPhone alice = registered("alice", "udp", -1);
        TestPhone desk = registered("bob", "udp", -1);
        alice.invite("bob", SDP_A, true);
        desk.respond(desk.serverTransaction(desk.expectRequest(Request.INVITE)), 503, null);
        assertEquals(500, alice.expectResponse(ForkingTest::isInviteFinal).getStatusCode());
    }

    @Test
    void a6xxEndsTheCallAndCancelsTheRingingPhone() throws Exception {
        BobsPhones bob = aliceCallsBobsTwoPhones("udp");
        TestPhone alice = bob.alice();
        TestPhone desk = bob.desk();
        TestPhone softphone = bob.other();
        ServerTransaction deskSt = bob.deskSt();
        ServerTransaction softSt = bob.otherSt();
        desk.respond(deskSt, 180, null);
        alice.expectStatus(180);
        softphone.respond(softSt, 603, null);
        assertEquals(603, alice.expectResponse(ForkingTest::isInviteFinal).getStatusCode());
        cancelled(desk, deskSt);
        noOtherFinal(alice);
    }

    @Test
    void theCallersCancelReachesEveryRingingPhone() throws Exception {
        BobsPhones bob = aliceCallsBobsTwoPhones("tcp");
        TestPhone alice = bob.alice();
        TestPhone desk = bob.desk();
        TestPhone softphone = bob.other();
        ServerTransaction deskSt = bob.deskSt();
        ServerTransaction softSt = bob.otherSt();
        TestPhone.Call call = bob.call();
        desk.respond(deskSt, 180, null);
        softphone.respond(softSt, 180, null);
        alice.expectStatus(180);
        call.cancel();
        cancelled(desk, deskSt);
        cancelled(softphone, softSt);
        assertEquals(487, alice.expectResponse(ForkingTest::isInviteFinal).getStatusCode());
        noOtherFinal(alice);
    }

    @Test
    void theLowerQValueRingsOnlyWhenTheHigherOneIsBusy() throws Exception {
        TestPhone alice = registered("alice", "udp", -1);
        TestPhone desk = registered("bob", "udp", 1.0f);
        TestPhone mobile = registered("bob", "udp", 0.5f);
        alice.invite("bob", SDP_A, true);
        ServerTransaction deskSt = desk.serverTransaction(desk.expectRequest(Request.INVITE));
        assertTrue(mobile.noRequest(Request.INVITE, QUIET_MS), "q=0.5 must wait while q=1.0 is tried");
        desk.respond(deskSt, 486, null);
        ServerTransaction mobileSt = mobile.serverTransaction(mobile.expectRequest(Request.INVITE));
        mobile.respond(mobileSt, 200, SDP_B);
        Response ok = alice.expectResponse(ForkingTest::isInviteFinal);
        assertEquals(200, ok.getStatusCode());
        assertEquals(mobile.localTag, ((ToHeader) ok.getHeader(ToHeader.NAME)).getTag());
    }

    /**
     * Each branch is its own copy of the received INVITE (§16.6 step 1), made when it is sent: the
     * next q-value's branch, sent later from another thread, carries the interceptor's edit once and,
     * like the first, no credentials of our realm but the upstream proxy's (§22.3).
     */
    @Test
    void everyBranchCarriesTheEditsOnceAndOnlyAnotherRealmsCredentials() throws Exception {
        TestPhone alice = registered("alice", "udp", -1);
        TestPhone desk = registered("bob", "udp", 1.0f);
        TestPhone mobile = registered("bob", "tcp", 0.5f);
        chain.add(new Follower(i -> io.glareresolver.sip.api.InviteAction.forward(
                io.glareresolver.sip.api.HeaderEdits.builder().add("X-Edited", "yes").build())), 0, 1L);
        alice.invite("bob", SDP_A, true, "Proxy-Authorization: " + SipServerFunctionalTest.UPSTREAM_CREDENTIALS);
        RequestEvent atDesk = desk.expectRequest(Request.INVITE);
        desk.respond(desk.serverTransaction(atDesk), 486, null);
        RequestEvent atMobile = mobile.expectRequest(Request.INVITE);
        for (Request branch : List.of(atDesk.getRequest(), atMobile.getRequest())) {
            assertEquals(List.of("upstream.example"), SipServerFunctionalTest.credentialRealms(branch));
            List<String> edited = new ArrayList<>();
            branch.getHeaders("X-Edited").forEachRemaining(h -> edited.add(h.toString().trim()));
            assertEquals(1, edited.size(), edited.toString());
            assertEquals(69, ((javax.sip.header.MaxForwardsHeader) branch.getHeader("Max-Forwards")).getMaxForwards());
        }
        mobile.respond(mobile.serverTransaction(atMobile), 486, null);
        assertEquals(486, alice.expectResponse(ForkingTest::isInviteFinal).getStatusCode());
    }

    @Test
    void theLowerQValueRingsWhenTheHigherOneRangUnansweredForTheRingTime() throws Exception {
        TestPhone alice = registered("alice", "udp", -1);
        TestPhone desk = registered("bob", "udp", 0.9f);
        TestPhone mobile = registered("bob", "tcp", 0.1f);
        alice.invite("bob", SDP_A, true);
        ServerTransaction deskSt = desk.serverTransaction(desk.expectRequest(Request.INVITE));
        desk.respond(deskSt, 180, null);
        alice.expectStatus(180);
        // fork.group-ring-time is 1 s here: then the desk phone is cancelled and the mobile rings
        cancelled(desk, deskSt);
        ServerTransaction mobileSt = mobile.serverTransaction(mobile.expectRequest(Request.INVITE));
        mobile.respond(mobileSt, 486, null);
        // the desk phone's 487 was our doing: the mobile's 486 is what the caller hears
        assertEquals(486, alice.expectResponse(ForkingTest::isInviteFinal).getStatusCode());
    }

    @Test
    void theRegistrarKeepsTheQValue() throws Exception {
        TestPhone desk = new TestPhone("bob", "bob-pw", settings.port(), "udp");
        phones.add(desk);
        desk.contactQ = 0.7f;
        Response ok = desk.register(600, DigestAlgorithm.SHA_256);
        javax.sip.header.ContactHeader c = (javax.sip.header.ContactHeader) ok.getHeader(javax.sip.header.ContactHeader.NAME);
        assertEquals(0.7f, c.getQValue(), 0.0001f);
    }

    // ------------------------------------------------------------------ one device of the callee (SPI 1.4.0)

    /** An interceptor that follows the INVITE: its handle and the devices its responses came from. */
    static final class Follower implements io.glareresolver.sip.api.InviteInterceptor {
        final java.util.function.Function<io.glareresolver.sip.api.InitialInvite, io.glareresolver.sip.api.InviteAction> decide;
        final java.util.concurrent.BlockingQueue<io.glareresolver.sip.api.InitialInvite> invites =
                new java.util.concurrent.LinkedBlockingQueue<>();
        final List<String> provisionalFrom = new java.util.concurrent.CopyOnWriteArrayList<>();
        final List<String> finalFrom = new java.util.concurrent.CopyOnWriteArrayList<>();

        Follower(java.util.function.Function<io.glareresolver.sip.api.InitialInvite, io.glareresolver.sip.api.InviteAction> decide) {
            this.decide = decide;
        }

        @Override
        public io.glareresolver.sip.api.InviteAction onInitialInvite(io.glareresolver.sip.api.InitialInvite invite) {
            invites.add(invite);
            return decide.apply(invite);
        }

        @Override
        public void onProvisionalResponse(io.glareresolver.sip.api.InitialInvite invite,
                                          io.glareresolver.sip.api.BranchResponse response) {
            provisionalFrom.add(response.contact().orElse("-"));
        }

        @Override
        public io.glareresolver.sip.api.ResponseAction onFinalResponse(io.glareresolver.sip.api.InitialInvite invite,
                                                                      io.glareresolver.sip.api.BranchResponse response) {
            finalFrom.add(response.status() + " " + response.contact().orElse("-"));
            return io.glareresolver.sip.api.ResponseAction.relay();
        }
    }

    @Test
    void anInterceptorSendsTheInviteToOneDeviceOnly() throws Exception {
        TestPhone alice = registered("alice", "udp", -1);
        TestPhone desk = registered("bob", "udp", -1);
        TestPhone softphone = registered("bob", "udp", -1);
        Follower follower = new Follower(i -> io.glareresolver.sip.api.InviteAction.forward().onlyTo(desk.contact()));
        chain.add(follower, 0, 1L);
        alice.invite("bob", SDP_A, true);
        io.glareresolver.sip.api.InitialInvite seen = follower.invites.poll(5, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(java.util.Optional.of(alice.contact()), seen.callerContact(), "the caller's device");
        ServerTransaction deskSt = desk.serverTransaction(desk.expectRequest(Request.INVITE));
        assertTrue(softphone.noRequest(Request.INVITE, QUIET_MS), "the other phone of bob never rings");
        desk.respond(deskSt, 180, null);
        alice.expectStatus(180);
        desk.respond(deskSt, 486, null);
        assertEquals(486, alice.expectResponse(ForkingTest::isInviteFinal).getStatusCode());
        assertEquals(List.of(desk.contact()), follower.provisionalFrom);
        assertEquals(List.of("486 " + desk.contact()), follower.finalFrom);
    }

    @Test
    void anInviteNarrowedToOneRingingDeviceCancelsTheOthersAndThatDeviceAnswers() throws Exception {
        TestPhone alice = registered("alice", "udp", -1);
        TestPhone desk = registered("bob", "udp", -1);
        TestPhone softphone = registered("bob", "tcp", -1);
        Follower follower = new Follower(i -> io.glareresolver.sip.api.InviteAction.forward());
        chain.add(follower, 0, 1L);
        alice.invite("bob", SDP_A, true);
        io.glareresolver.sip.api.InitialInvite invite = follower.invites.poll(5, java.util.concurrent.TimeUnit.SECONDS);
        ServerTransaction deskSt = desk.serverTransaction(desk.expectRequest(Request.INVITE));
        ServerTransaction softSt = softphone.serverTransaction(softphone.expectRequest(Request.INVITE));
        softphone.respond(softSt, 180, null);
        alice.expectStatus(180);

        assertTrue(invite.keepOnlyBranchTo(desk.contact()));
        cancelled(softphone, softSt);
        desk.respond(deskSt, 486, null);
        // the desk phone's own answer, not the 487 of the phone the narrowing cancelled
        assertEquals(486, alice.expectResponse(ForkingTest::isInviteFinal).getStatusCode());
        assertEquals(List.of("486 " + desk.contact()), follower.finalFrom);
        assertTrue(!invite.keepOnlyBranchTo("sip:bob@127.0.0.1:1"), "nothing left to narrow once it has ended");
    }
}
