package io.glareresolver.integrationtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.BundleContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.glareresolver.glare.api.GlareStatus;
import io.glareresolver.integrationtests.felix.BoundedWait;
import io.glareresolver.integrationtests.felix.EmbeddedGlareRuntime;
import io.glareresolver.integrationtests.felix.SipUsersFile.SipUser;
import io.glareresolver.integrationtests.linphone.LinphonePhone;
import io.glareresolver.integrationtests.linphone.LinphonePhone.Event;
import io.glareresolver.integrationtests.phone.PhoneCrossingRounds;
import io.glareresolver.integrationtests.phone.PhoneRegistration;
import io.glareresolver.sip.api.LocationService;

/**
 * Issue 13 with linphone 5.1 (Debian package {@code linphone-cli}): two {@code linphone-daemon}
 * processes, each as its user runs it with auto answer, against the runtime with the shipped digest
 * and plugin settings. They register (MD5 challenge, the password from linphone's auth info), call
 * each other, and dial each other at the same wall-clock instant round after round, with real
 * timing. Every round must end with exactly one session, the same call on both phones: linphone
 * reports no Call-ID, so the same call is the one established on both phones with the same caller,
 * outgoing on one and incoming on the other. linphone has glare handling of its own, left as it is:
 * while it calls an address it refuses an INVITE from that address with 486 Busy here.
 *
 * <p>{@code -Dglare.it.linphoneRounds=N} changes the rounds (default 8).
 */
@ExtendWith(ArquillianExtension.class)
class LinphonePhonesIT {

    private static final Logger LOG = LoggerFactory.getLogger(LinphonePhonesIT.class);
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int ROUNDS = Integer.getInteger("glare.it.linphoneRounds", 8);
    private static final Path FOLDER = Path.of("target", "linphone-phones");

    // users of this class only (ids 3301..)
    static final SipUser LP_ALICE = new SipUser("lp-alice", "lp-alice-pw-1", 3301);
    static final SipUser LP_BOB = new SipUser("lp-bob", "lp-bob-pw-2", 3302);

    @ArquillianResource
    private EmbeddedGlareRuntime runtime;

    @ArquillianResource
    private BundleContext context;

    private LocationService locations;
    private final List<LinphonePhone> phones = new ArrayList<>();

    @BeforeAll
    static void linphoneInstalled() {
        LinphonePhone.requireLinphone();
    }

    @BeforeEach
    void shippedSettings() throws Exception {
        locations = ShippedSettings.apply(runtime, context, LP_ALICE, LP_BOB);
    }

    @AfterEach
    void closePhones() throws InterruptedException {
        for (LinphonePhone p : phones) {
            p.close();
        }
        phones.clear();
    }

    @Test
    void twoLinphonePhonesRegisterWithTheShippedDigestSettings() throws Exception {
        LinphonePhone alice = phone(LP_ALICE);
        LinphonePhone bob = phone(LP_BOB);
        for (LinphonePhone p : List.of(alice, bob)) {
            assertTrue(locations.lookup(aor(p == alice ? LP_ALICE : LP_BOB)).isPresent(), p.user() + " in the location service");
            // the server has the binding once it sent its 200 OK; the phone reads that 200 a moment later
            try {
                BoundedWait.untilTrue(p.user() + " reports its registration", WAIT, () -> {
                    try {
                        return "LinphoneRegistrationOk".equals(p.registrationState());
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
            } catch (TimeoutException e) {
                throw new AssertionError(p.user() + ": " + p.registrationState() + "\n" + p.log(), e);
            }
        }
    }

    @Test
    void aLinphonePhoneCallsTheOtherThroughTheProxy() throws Exception {
        LinphonePhone alice = phone(LP_ALICE);
        LinphonePhone bob = phone(LP_BOB);
        long since = System.currentTimeMillis();
        String call = alice.dial(uri(LP_BOB));
        Event out = alice.await(e -> e.type().equals("Connected") && e.call().equals(call), WAIT)
                .orElseThrow(() -> new AssertionError("alice's call not established: " + alice.events() + "\n" + alice.log()));
        Event in = bob.await(e -> e.type().equals("Connected") && e.atMillis() >= since, WAIT)
                .orElseThrow(() -> new AssertionError("bob's call not established: " + bob.events() + "\n" + bob.log()));
        assertEquals("outgoing", alice.direction(out.call()));
        assertEquals("incoming", bob.direction(in.call()));
        assertEquals(uri(LP_ALICE), alice.caller(out.call()), "alice's call is from alice");
        assertEquals(alice.caller(out.call()), bob.caller(in.call()), "the same call on both phones");
        assertEquals("LinphoneCallStreamsRunning", awaitStreams(bob), "bob's call-status");
        alice.hangUp(out.call());
        assertTrue(bob.await(e -> e.type().equals("End") && e.call().equals(in.call()), WAIT).isPresent(),
                "bob hears alice's BYE: " + bob.events());
        BoundedWait.untilTrue("both phones idle", WAIT, () -> alice.openCalls(since).isEmpty() && bob.openCalls(since).isEmpty());
    }

    /** Both phones auto answer: the phone the server delivers the peer's INVITE to answers it at once. */
    @Test
    void autoAnsweringLinphonePhonesDialEachOtherAtOnceManyRoundsOneSessionEach() throws Exception {
        LinphonePhone alice = phone(LP_ALICE);
        LinphonePhone bob = phone(LP_BOB);
        int roundMs = 3000;
        PhoneCrossingRounds rounds = PhoneCrossingRounds.schedule(status().orElseThrow(), ROUNDS, roundMs);
        String toAlice = uri(LP_ALICE);
        String toBob = uri(LP_BOB);
        for (int k = 0; k < ROUNDS; k++) {
            long at = rounds.at(k);
            PhoneCrossingRounds.dialTogether(at, () -> alice.dial(toBob), () -> bob.dial(toAlice));
            // settled: both phones in the same call, or nothing more will come (bounded)
            long settleBy = at + roundMs - 1200;
            while (System.currentTimeMillis() < settleBy && !oneSharedSession(alice, bob, at)) {
                alice.await(e -> false, Duration.ofMillis(50)); // a bounded wait on the phones' events
            }
            List<String> aliceUp = alice.establishedCalls(at);
            List<String> bobUp = bob.establishedCalls(at);
            boolean ok = aliceUp.size() == 1 && bobUp.size() == 1 && sameCall(alice, aliceUp.get(0), bob, bobUp.get(0));
            if (!ok) {
                rounds.failed("round " + k + ": alice " + alice.eventsOfCallsSince(at) + "; bob " + bob.eventsOfCallsSince(at));
            } else {
                rounds.oneSession(alice.direction(aliceUp.get(0)).equals("outgoing") ? "alice's INVITE" : "bob's INVITE");
            }
            hangUpAll(List.of(alice, bob), at, at + roundMs - 100);
            if (!alice.openCalls(at).isEmpty() || !bob.openCalls(at).isEmpty()) {
                rounds.failed("round " + k + ": not idle after hanging up: alice " + alice.openCalls(at) + ", bob "
                        + bob.openCalls(at));
            }
        }
        rounds.assertEveryRoundOneSession(LOG, "linphone 5.1, auto answer, real timing", "",
                () -> "\nalice's log:\n" + alice.log() + "\nbob's log:\n" + bob.log());
    }

    /** One call established on each phone since {@code since}, the same one, and no other call open. */
    private static boolean oneSharedSession(LinphonePhone alice, LinphonePhone bob, long since) {
        List<String> a = alice.establishedCalls(since);
        List<String> b = bob.establishedCalls(since);
        return a.size() == 1 && b.size() == 1 && sameCall(alice, a.get(0), bob, b.get(0))
                && alice.openCalls(since).size() == 1 && bob.openCalls(since).size() == 1;
    }

    /** linphone reports no Call-ID: the same call has the same caller, outgoing on one phone, incoming on the other. */
    private static boolean sameCall(LinphonePhone p, String pCall, LinphonePhone q, String qCall) {
        String pDirection = p.direction(pCall);
        String qDirection = q.direction(qCall);
        return !pDirection.equals(qDirection) && !p.caller(pCall).isEmpty() && p.caller(pCall).equals(q.caller(qCall))
                && p.caller(pCall).startsWith("sip:" + (pDirection.equals("outgoing") ? p.user() : q.user()) + "@");
    }

    /** Hangs up until neither phone has a call of this round open (bounded by {@code until}). */
    private static void hangUpAll(List<LinphonePhone> phones, long since, long until) throws Exception {
        while (true) {
            boolean open = false;
            for (LinphonePhone p : phones) {
                for (String call : p.openCalls(since)) {
                    open = true;
                    p.hangUp(call);
                }
            }
            if (!open || System.currentTimeMillis() > until) {
                return;
            }
            long asked = System.currentTimeMillis();
            phones.get(0).await(e -> e.type().equals("Released") && e.atMillis() >= asked, Duration.ofMillis(200));
        }
    }

    /** The state {@code call-status} reports once the media streams run (bounded). */
    private static String awaitStreams(LinphonePhone phone) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        String state = "";
        while (System.nanoTime() < deadline) {
            state = phone.callStatus().fields().getOrDefault("State", "");
            if (state.equals("LinphoneCallStreamsRunning")) {
                return state;
            }
            phone.await(e -> e.type().equals("StreamsRunning"), Duration.ofMillis(100)); // a bounded poll
        }
        return state;
    }

    private LinphonePhone phone(SipUser user) throws Exception {
        LinphonePhone p = LinphonePhone.start(FOLDER, user.name(), user.password(), runtime.sipAddress(), runtime.domain());
        phones.add(p);
        // the server's location service says whether it registered, with the phone's own contact port
        PhoneRegistration.awaitBinding(locations, aor(user), user.name(), p.sipPort(), p::registrationState, p::log);
        return p;
    }

    private String uri(SipUser user) {
        return "sip:" + user.name() + "@" + runtime.domain();
    }

    private String aor(SipUser user) {
        return TestUsers.aor(runtime, user);
    }

    private Optional<GlareStatus> status() {
        return ShippedSettings.status(context);
    }
}
