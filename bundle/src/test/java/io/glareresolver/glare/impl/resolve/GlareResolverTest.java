package io.glareresolver.glare.impl.resolve;

import io.glareresolver.glare.api.CrossingOutcome;
import io.glareresolver.glare.api.CrossingRecord;
import io.glareresolver.glare.impl.config.GlareSettings;
import io.glareresolver.protocol.GlareHeaders;
import io.glareresolver.sip.api.BranchResponse;
import io.glareresolver.sip.api.InitialInvite;
import io.glareresolver.sip.api.InviteAction;
import io.glareresolver.sip.api.InviteEnd;
import io.glareresolver.sip.api.Registration;
import io.glareresolver.sip.api.ResponseAction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The resolver on the interceptor SPI, as the proxy drives it: each test is a crossing between two
 * phones, message by message, asserting what the proxy is told to do with each INVITE and response.
 * The proxy's INVITE handle is an in-memory {@link InitialInvite} that records what the resolver
 * asks of it (the SPI's contract, no SIP stack: the stack is in the integration tests).
 */
class GlareResolverTest {

    private static final String ALICE = "alice@127.0.0.1";
    private static final String BOB = "bob@127.0.0.1";
    private static final AtomicInteger IDS = new AtomicInteger();

    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        timers.shutdownNow();
    }

    /** The proxy's handle of one INVITE: what the resolver released it with, and CANCELs asked for. */
    private static final class ProxyInvite implements InitialInvite {
        final String id = "i" + IDS.incrementAndGet();
        final String callId;
        final String from;
        final String to;
        final long endpointId;
        final boolean aware;
        final List<InviteAction> released = new CopyOnWriteArrayList<>();
        final AtomicInteger cancels = new AtomicInteger();
        /** Its caller dialled when the double was made (its first, challenged attempt reached the proxy). */
        long dialled = System.nanoTime();
        /** The phone it was dialled on (its Contact), one of its user's registered phones. */
        String device;
        /** The user's other registered phones (contact, glare-aware). */
        final Map<String, Boolean> otherPhones = new java.util.LinkedHashMap<>();
        /** Devices the plugin narrowed this INVITE to ({@link InitialInvite#keepOnlyBranchTo}). */
        final List<String> narrowedTo = new CopyOnWriteArrayList<>();

        /** It was dialled on this phone of its user. */
        ProxyInvite on(String contact) {
            device = contact;
            return this;
        }

        /** Its user has another registered phone. */
        ProxyInvite alsoRegistered(String contact, boolean glareAware) {
            otherPhones.put(contact, glareAware);
            return this;
        }

        /** Its caller dialled {@code millis} from now (a later dial: a call back). */
        ProxyInvite dialledIn(long millis) {
            dialled = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            return this;
        }

        ProxyInvite(String from, String to, long endpointId, boolean aware) {
            this.callId = from.substring(0, from.indexOf('@')) + "-" + id;
            this.from = from;
            this.to = to;
            this.endpointId = endpointId;
            this.aware = aware;
        }

        @Override public String id() { return id; }
        @Override public String callId() { return callId; }
        @Override public String fromAor() { return from; }
        @Override public String toAor() { return to; }

        @Override
        public Optional<Registration> caller() {
            Set<String> supported = aware ? Set.of(GlareHeaders.OPTION_TAG) : Set.of();
            List<Registration.Binding> bindings = new java.util.ArrayList<>(List.of(new Registration.Binding(
                    device != null ? device : "sip:" + from, Instant.now().plusSeconds(60), supported, "reg-" + from, 1)));
            otherPhones.forEach((contact, glare) -> bindings.add(new Registration.Binding(contact,
                    Instant.now().plusSeconds(60), glare ? Set.of(GlareHeaders.OPTION_TAG) : Set.of(), "reg-" + contact, 1)));
            return Optional.of(new Registration(from, endpointId, bindings));
        }

        @Override public Optional<Registration> callee() { return Optional.empty(); }
        @Override public Optional<String> header(String name) { return Optional.empty(); }
        @Override public List<String> headers(String name) { return List.of(); }
        @Override public Optional<String> body() { return Optional.of("v=0\r\nm=audio 40" + endpointId % 1000 + " RTP/AVP 0\r\n"); }
        @Override public Optional<String> contentType() { return Optional.of("application/sdp"); }
        @Override public long receivedNanos() { return System.nanoTime(); }
        @Override public long dialledNanos() { return dialled; }

        @Override
        public boolean release(InviteAction action) {
            released.add(action);
            return true;
        }

        @Override
        public boolean cancelBranch() {
            cancels.incrementAndGet();
            return true;
        }

        @Override
        public Optional<String> callerContact() {
            return Optional.ofNullable(device);
        }

        @Override
        public boolean keepOnlyBranchTo(String contact) {
            narrowedTo.add(contact);
            return true;
        }
    }

    /** A response from one phone of the callee (its branch of a forked INVITE). */
    private record FromPhone(int status, String reason, String phone) implements BranchResponse {
        @Override public Optional<String> header(String name) { return Optional.empty(); }
        @Override public List<String> headers(String name) { return List.of(); }
        @Override public Optional<String> body() { return status / 100 == 2 ? Optional.of("v=0\r\nm=audio 41000 RTP/AVP 0\r\n") : Optional.empty(); }
        @Override public Optional<String> contact() { return Optional.of(phone); }
    }

    static final String ALICE_DESK = "sip:alice@127.0.0.1:5071";
    static final String ALICE_MOBILE = "sip:alice@127.0.0.1:5072;transport=tcp";
    static final String BOB_DESK = "sip:bob@127.0.0.1:5081";
    static final String BOB_MOBILE = "sip:bob@127.0.0.1:5082";

    // ------------------------------------------------------------------ users with several phones

    @Test
    void twoUsersWithTwoPhonesEach_onlyThePhonesThatDialledEachOtherTakePart() throws Exception {
        GlareResolver r = resolver(60_000);
        ProxyInvite a = alice().on(ALICE_DESK).alsoRegistered(ALICE_MOBILE, false);
        ProxyInvite b = bob().on(BOB_DESK).alsoRegistered(BOB_MOBILE, false);
        InviteAction first = r.onInitialInvite(a);                           // forks to bob's desk and mobile
        assertKind(InviteAction.Kind.FORWARD, first);
        assertTrue(first.target().isEmpty(), "an ordinary call rings every phone of its callee");
        assertKind(InviteAction.Kind.HOLD, r.onInitialInvite(b));
        assertEquals(List.of(BOB_DESK), a.narrowedTo, "alice's call keeps only the branch to the phone that dialled her");

        r.onProvisionalResponse(a, new FromPhone(180, "Ringing", BOB_MOBILE)); // before its CANCEL reached it
        ResponseAction busy = r.onFinalResponse(a, new FromPhone(486, "Busy Here", BOB_DESK));
        assertEquals(491, busy.status(), "bob's desk phone, busy with its own call, decides");
        r.onEnd(a, InviteEnd.REJECTED);
        assertEquals(1, b.released.size());
        assertKind(InviteAction.Kind.FORWARD, b.released.get(0));
        assertEquals(Optional.of(ALICE_DESK), b.released.get(0).target(),
                "bob's call goes to the phone alice dialled from, never to her mobile");
        r.onFinalResponse(b, new FromPhone(200, "OK", ALICE_DESK));
        r.onEnd(b, InviteEnd.ANSWERED);
        assertEquals(CrossingOutcome.SESSION_ESTABLISHED, lastCrossing(r).outcome());
    }

    @Test
    void anotherPhoneOfTheUserRingingBeforeTheCrossingIsNotTheDiallersCallWaiting() throws Exception {
        GlareResolver r = resolver(60_000);
        ProxyInvite a = alice().on(ALICE_DESK);
        ProxyInvite b = bob().on(BOB_DESK).alsoRegistered(BOB_MOBILE, false);
        r.onInitialInvite(a);
        r.onProvisionalResponse(a, new FromPhone(180, "Ringing", BOB_MOBILE)); // bob's mobile rings
        assertKind(InviteAction.Kind.HOLD, r.onInitialInvite(b));               // bob dials on his desk phone
        // the desk phone's busy answer then makes bob's call the session, as with one phone each
        assertEquals(491, r.onFinalResponse(a, new FromPhone(486, "Busy Here", BOB_DESK)).status());
        r.onEnd(a, InviteEnd.REJECTED);
        assertEquals(Optional.of(ALICE_DESK), b.released.get(0).target());
    }

    @Test
    void anotherPhoneOfTheUserTookTheCall_theDiallersCallIsAnOrdinaryOne() throws Exception {
        GlareResolver r = resolver(60_000);
        ProxyInvite a = alice().on(ALICE_DESK);
        r.onInitialInvite(a);
        r.onFinalResponse(a, new FromPhone(200, "OK", BOB_MOBILE));            // bob took it on his mobile
        r.onEnd(a, InviteEnd.ANSWERED);
        InviteAction fromDesk = r.onInitialInvite(bob().on(BOB_DESK).alsoRegistered(BOB_MOBILE, false));
        assertKind(InviteAction.Kind.FORWARD, fromDesk);
        assertTrue(fromDesk.target().isEmpty(), "no crossing: an ordinary call to alice");
        assertEquals(0, r.counters().crossingsSeen());
    }

    @Test
    void onlyTheDiallingPhonesGlareSupportCounts() throws Exception {
        GlareResolver r = resolver(60_000);
        // bob (H by his ID) dials on a plain desk phone; his other phone is glare-aware
        ProxyInvite a = alice().on(ALICE_DESK);
        ProxyInvite b = new ProxyInvite(BOB, ALICE, 1002, false).on(BOB_DESK).alsoRegistered(BOB_MOBILE, true);
        r.onInitialInvite(a);
        // an aware H would be answered 491 here at once; a plain phone is held until it reacts to alice's INVITE
        assertKind(InviteAction.Kind.HOLD, r.onInitialInvite(b));
    }

    private record Response(int status, String reason) implements BranchResponse {
        @Override public Optional<String> header(String name) { return Optional.empty(); }
        @Override public List<String> headers(String name) { return List.of(); }
        @Override public Optional<String> body() { return status / 100 == 2 ? Optional.of("v=0\r\nm=audio 41000 RTP/AVP 0\r\n") : Optional.empty(); }
    }

    private GlareResolver resolver(long ngTimeoutMillis) throws Exception {
        return new GlareResolver(GlareSettings.from(Map.of(GlareSettings.NG_TIMEOUT, ngTimeoutMillis)), timers,
                Clock.systemUTC());
    }

    private static ProxyInvite alice() {
        return new ProxyInvite(ALICE, BOB, 1001, false);
    }

    private static ProxyInvite bob() {
        return new ProxyInvite(BOB, ALICE, 1002, false);
    }

    private static void assertKind(InviteAction.Kind kind, InviteAction a) {
        assertEquals(kind, a.kind(), a.toString());
    }

    private static CrossingRecord lastCrossing(GlareResolver r) {
        List<CrossingRecord> recent = r.recentCrossings(1);
        assertEquals(1, recent.size(), "one crossing recorded");
        return recent.get(0);
    }

    @Test
    void twoBusyPlainPhones_theSecondCallersInviteReachesTheFirstCallerOnceItsOwnIsOver() throws Exception {
        GlareResolver r = resolver(60_000);
        ProxyInvite a = alice();
        ProxyInvite b = bob();
        assertKind(InviteAction.Kind.FORWARD, r.onInitialInvite(a));
        assertKind(InviteAction.Kind.HOLD, r.onInitialInvite(b));            // bob's reaction to alice's INVITE decides

        ResponseAction busy = r.onFinalResponse(a, new Response(486, "Busy Here"));
        assertEquals(ResponseAction.Kind.RELAY, busy.kind());
        assertEquals(491, busy.status(), "alice hears 491, not busy");
        assertTrue(b.released.isEmpty(), "not before alice's ACK: she is still busy");
        r.onEnd(a, InviteEnd.REJECTED);                                        // her ACK
        assertEquals(1, b.released.size());
        assertKind(InviteAction.Kind.FORWARD, b.released.get(0));

        assertEquals(ResponseAction.Kind.RELAY, r.onFinalResponse(b, new Response(200, "OK")).kind());
        r.onEnd(b, InviteEnd.ANSWERED);
        assertEquals(CrossingOutcome.SESSION_ESTABLISHED, lastCrossing(r).outcome());
        assertEquals(0, r.pendingInvites());
    }

    @Test
    void callWaitingPhoneRingsAndIsAnswered_itsOwnHeldInviteNeverRingsAtThePeer() throws Exception {
        GlareResolver r = resolver(60_000);
        ProxyInvite a = alice();
        ProxyInvite b = bob();
        r.onInitialInvite(a);
        assertKind(InviteAction.Kind.HOLD, r.onInitialInvite(b));
        r.onProvisionalResponse(a, new Response(180, "Ringing"));
        assertTrue(b.released.isEmpty(), "ringing decides nothing");
        assertEquals(ResponseAction.Kind.RELAY, r.onFinalResponse(a, new Response(200, "OK")).kind());
        assertEquals(1, b.released.size());
        assertKind(InviteAction.Kind.ANSWER, b.released.get(0));
        assertEquals(491, b.released.get(0).status());
        assertEquals(0, a.cancels.get());
        r.onEnd(a, InviteEnd.ANSWERED);
        r.onEnd(b, InviteEnd.REJECTED);
        assertEquals(CrossingOutcome.SESSION_ESTABLISHED, lastCrossing(r).outcome());
    }

    @Test
    void aBusyPhonesOwn486OvertookItsInvite_theLateInviteWaitsForThatAck() throws Exception {
        GlareResolver r = resolver(60_000);
        ProxyInvite a = alice();
        ProxyInvite b = bob();
        r.onInitialInvite(a);
        // bob's first INVITE is on its 407 round trip; his 486 to alice's comes first
        assertEquals(486, statusOf(r.onFinalResponse(a, new Response(486, "Busy Here")), 486));
        assertKind(InviteAction.Kind.HOLD, r.onInitialInvite(b));
        assertTrue(b.released.isEmpty());
        r.onEnd(a, InviteEnd.REJECTED);
        assertKind(InviteAction.Kind.FORWARD, b.released.get(0));
        r.onFinalResponse(b, new Response(200, "OK"));
        r.onEnd(b, InviteEnd.ANSWERED);
        assertEquals(CrossingOutcome.SESSION_ESTABLISHED, lastCrossing(r).outcome());
    }

    @Test
    void theLateInviteAfterTheAckStillCrossed_deliveredAtOnceAsTheSession() throws Exception {
        GlareResolver r = resolver(60_000);
        ProxyInvite a = alice();
        ProxyInvite b = bob();                      // bob dialled before he answered busy: on its 407 round trip
        r.onInitialInvite(a);
        r.onFinalResponse(a, new Response(486, "Busy Here"));
        r.onEnd(a, InviteEnd.REJECTED);             // alice's ACK reached the proxy before bob's INVITE
        assertKind(InviteAction.Kind.FORWARD, r.onInitialInvite(b));
        assertEquals(1, r.counters().crossingsSeen());
        r.onFinalResponse(b, new Response(200, "OK"));
        r.onEnd(b, InviteEnd.ANSWERED);
        assertEquals(CrossingOutcome.SESSION_ESTABLISHED, lastCrossing(r).outcome());
    }

    @Test
    void aPlainPhoneCallingBackAfterItsBusyAndTheAckPlacesANewCall() throws Exception {
        GlareResolver r = resolver(60_000);
        ProxyInvite a = alice();
        r.onInitialInvite(a);
        r.onFinalResponse(a, new Response(486, "Busy Here"));
        r.onEnd(a, InviteEnd.REJECTED);
        // bob dials alice 300 ms after his busy answer: a call back, not a crossing
        assertKind(InviteAction.Kind.FORWARD, r.onInitialInvite(bob().dialledIn(300)));
        assertEquals(0, r.counters().crossingsSeen());
    }

    @Test
    void anAutoAnsweringPhoneAnsweredBeforeItsOwnInviteArrived_noSecondCall() throws Exception {
        GlareResolver r = resolver(60_000);
        ProxyInvite a = alice();
        ProxyInvite b = bob();                                                 // bob dialled: on its 407 round trip
        r.onInitialInvite(a);
        r.onFinalResponse(a, new Response(200, "OK"));
        r.onEnd(a, InviteEnd.ANSWERED);
        InviteAction late = r.onInitialInvite(b);
        assertKind(InviteAction.Kind.ANSWER, late);
        assertEquals(491, late.status());
    }

    @Test
    void aPhoneThatDialledAtTheInstantItAutoAnswered_noSecondCall() throws Exception {
        GlareResolver r = resolver(60_000);
        ProxyInvite a = alice();
        r.onInitialInvite(a);
        r.onFinalResponse(a, new Response(200, "OK"));
        r.onEnd(a, InviteEnd.ANSWERED);
        // bob's phone answered and then dialled alice a few ms later, as it was told to at that instant
        InviteAction late = r.onInitialInvite(bob().dialledIn(5));
        assertKind(InviteAction.Kind.ANSWER, late);
        assertEquals(491, late.status());
    }

    @Test
    void aPlainPhoneCallingBackAfterAShortAnsweredCallPlacesANewCall() throws Exception {
        GlareResolver r = resolver(60_000);
        ProxyInvite a = alice();
        r.onInitialInvite(a);
        r.onFinalResponse(a, new Response(200, "OK"));
        r.onEnd(a, InviteEnd.ANSWERED);
        // the call's BYE, then bob dials alice: within the late-crossing window, but dialled 300 ms after his answer
        ProxyInvite callBack = bob().dialledIn(300);
        assertKind(InviteAction.Kind.FORWARD, r.onInitialInvite(callBack));
        assertEquals(0, r.counters().crossingsSeen());
    }

    @Test
    void aPlainPhoneCallingBackRightAfterItsBusyPlacesANewCall() throws Exception {
        GlareResolver r = resolver(60_000);
        ProxyInvite a = alice();
        r.onInitialInvite(a);
        r.onFinalResponse(a, new Response(486, "Busy Here"));
        // bob rejected alice and dials her 300 ms later, before her ACK came: a call back, not a crossing
        assertKind(InviteAction.Kind.FORWARD, r.onInitialInvite(bob().dialledIn(300)));
        assertEquals(0, r.counters().crossingsSeen());
    }

    @Test
    void anAwareDeviceCallingBackRightAfterAnsweringPlacesANewCall() throws Exception {
        GlareResolver r = resolver(60_000);
        ProxyInvite a = alice();
        r.onInitialInvite(a);
        r.onFinalResponse(a, new Response(200, "OK"));
        r.onEnd(a, InviteEnd.ANSWERED);
        assertKind(InviteAction.Kind.FORWARD, r.onInitialInvite(new ProxyInvite(BOB, ALICE, 1002, true)));
        assertEquals(0, r.counters().crossingsSeen());
    }

    @Test
    void aSilentPhoneIsCancelledAfterTheNgTimeout() throws Exception {
        GlareResolver r = resolver(50);
        ProxyInvite a = alice();
        ProxyInvite b = bob();
        r.onInitialInvite(a);
        r.onInitialInvite(b);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (a.cancels.get() == 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(1, a.cancels.get(), "alice's copy at bob CANCELled");
        assertEquals(491, r.onFinalResponse(a, new Response(487, "Request Terminated")).status());
        r.onEnd(a, InviteEnd.REJECTED);
        assertKind(InviteAction.Kind.FORWARD, b.released.get(0));
    }

    @Test
    void lettingGoDeliversAHeldInviteAsAPlainCall() throws Exception {
        GlareResolver r = resolver(60_000);
        ProxyInvite a = alice();
        ProxyInvite b = bob();
        r.onInitialInvite(a);
        r.onInitialInvite(b);
        r.letGo("test");
        assertKind(InviteAction.Kind.FORWARD, b.released.get(0));
        assertEquals(CrossingOutcome.ABORTED, lastCrossing(r).outcome());
        assertEquals(0, r.pendingInvites());
    }

    @Test
    void awareLowerSecondAwareHigherFirst_forwardedWithAcceptAtOnce() throws Exception {
        GlareResolver r = resolver(60_000);
        ProxyInvite b = new ProxyInvite(BOB, ALICE, 1002, true);   // H
        ProxyInvite a = new ProxyInvite(ALICE, BOB, 1001, true);   // L
        r.onInitialInvite(b);
        InviteAction second = r.onInitialInvite(a);
        assertKind(InviteAction.Kind.FORWARD, second);
        assertTrue(second.edits().edits().stream().anyMatch(e -> e.name().equals(GlareHeaders.RESOLUTION)
                && "accept".equals(e.value())), second.edits().toString());
    }

    private static int statusOf(ResponseAction a, int received) {
        return a.status() == 0 ? received : a.status();
    }
}
