package io.glareresolver.integrationtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

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
import io.glareresolver.integrationtests.baresip.BaresipPhone;
import io.glareresolver.integrationtests.baresip.BaresipPhone.AnswerMode;
import io.glareresolver.integrationtests.baresip.BaresipPhone.Event;
import io.glareresolver.integrationtests.felix.EmbeddedGlareRuntime;
import io.glareresolver.integrationtests.felix.SipUsersFile.SipUser;
import io.glareresolver.integrationtests.phone.PhoneCrossingRounds;
import io.glareresolver.integrationtests.phone.PhoneRegistration;
import io.glareresolver.sip.api.LocationService;

/**
 * Issue 13 with baresip 1.0 (Debian package {@code baresip}), a phone with call waiting: two
 * baresip processes, each as its user runs it, against the runtime with the shipped digest and
 * plugin settings. They register (MD5 is the only challenge: baresip 1.0 gives up on SHA-256), call
 * each other, and dial each other at the same wall-clock instant round after round, with real
 * timing: set to auto answer, and set to ring with the test picking up the one call that rings,
 * as its user would. Every round must end with exactly one session, the same call on both
 * phones, and (ringing phones) only one phone ringing.
 *
 * <p>{@code -Dglare.it.baresipRounds=N} changes the rounds per answer mode (default 12).
 */
@ExtendWith(ArquillianExtension.class)
class BaresipPhonesIT {

    private static final Logger LOG = LoggerFactory.getLogger(BaresipPhonesIT.class);
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int ROUNDS = Integer.getInteger("glare.it.baresipRounds", 12);
    private static final Path FOLDER = Path.of("target", "baresip-phones");

    // users of this class only (ids 3401..)
    static final SipUser BR_ALICE = new SipUser("br-alice", "br-alice-pw-1", 3401);
    static final SipUser BR_BOB = new SipUser("br-bob", "br-bob-pw-2", 3402);

    @ArquillianResource
    private EmbeddedGlareRuntime runtime;

    @ArquillianResource
    private BundleContext context;

    private LocationService locations;
    private final List<BaresipPhone> phones = new ArrayList<>();

    @BeforeAll
    static void baresipInstalled() {
        BaresipPhone.requireBaresip();
    }

    @BeforeEach
    void shippedSettings() throws Exception {
        locations = ShippedSettings.apply(runtime, context, BR_ALICE, BR_BOB);
    }

    @AfterEach
    void closePhones() throws InterruptedException {
        for (BaresipPhone p : phones) {
            p.close();
        }
        phones.clear();
    }

    @Test
    void twoBaresipPhonesRegisterWithTheShippedDigestSettings() throws Exception {
        BaresipPhone alice = phone(BR_ALICE, AnswerMode.AUTO);
        BaresipPhone bob = phone(BR_BOB, AnswerMode.AUTO);
        for (BaresipPhone p : List.of(alice, bob)) {
            assertTrue(locations.lookup(aor(p == alice ? BR_ALICE : BR_BOB)).isPresent(), p.user() + " in the location service");
            assertTrue(p.events("REGISTER_FAIL", 0).isEmpty(), p.user() + ": " + p.events() + "\n" + p.log());
        }
    }

    @Test
    void aBaresipPhoneCallsTheOtherThroughTheProxy() throws Exception {
        BaresipPhone alice = phone(BR_ALICE, AnswerMode.AUTO);
        BaresipPhone bob = phone(BR_BOB, AnswerMode.AUTO);
        long since = System.currentTimeMillis();
        alice.dial(uri(BR_BOB));
        Event out = alice.await(e -> e.type().equals("CALL_ESTABLISHED") && e.atMillis() >= since, WAIT)
                .orElseThrow(() -> new AssertionError("alice's call not established: " + alice.events() + "\n" + alice.log()));
        Event in = bob.await(e -> e.type().equals("CALL_ESTABLISHED") && e.atMillis() >= since, WAIT)
                .orElseThrow(() -> new AssertionError("bob's call not established: " + bob.events() + "\n" + bob.log()));
        assertEquals("outgoing", out.direction());
        assertEquals("incoming", in.direction());
        assertEquals(out.callId(), in.callId(), "the same call on both phones");
        alice.hangUp();
        assertTrue(bob.await(e -> e.type().equals("CALL_CLOSED") && e.callId().equals(in.callId()), WAIT).isPresent(),
                "bob hears alice's BYE: " + bob.events());
    }

    @Test
    void autoAnsweringPhonesDialEachOtherAtOnceManyRoundsOneSessionEach() throws Exception {
        crossRounds(AnswerMode.AUTO, 0);
    }

    /**
     * Call waiting: the phone the server delivers the peer's INVITE to rings (180); its user picks
     * up after a while (0 to 800 ms here). The other phone's INVITE must not ring anywhere. When
     * the ringing phone's own call left after the peer's rang in, baresip 1.0's current line is that
     * own call and {@code /accept} does not reach the ringing one: its user then hangs up the own
     * call first (a CANCEL of the INVITE the server holds) and picks up, as a baresip user does.
     */
    @Test
    void ringingPhonesDialEachOtherAtOnceAndTheUserPicksUpManyRoundsOneSessionEach() throws Exception {
        crossRounds(AnswerMode.MANUAL, 800);
    }

    private void crossRounds(AnswerMode mode, int maxPickUpMillis) throws Exception {
        BaresipPhone alice = phone(BR_ALICE, mode);
        BaresipPhone bob = phone(BR_BOB, mode);
        Random userDelay = new Random(13);
        int roundMs = 2500 + maxPickUpMillis;
        PhoneCrossingRounds rounds = PhoneCrossingRounds.schedule(status().orElseThrow(), ROUNDS, roundMs);
        String toAlice = uri(BR_ALICE);
        String toBob = uri(BR_BOB);
        int ownCallHungUpFirst = 0;
        for (int k = 0; k < ROUNDS; k++) {
            long at = rounds.at(k);
            PhoneCrossingRounds.dialTogether(at, () -> alice.dial(toBob), () -> bob.dial(toAlice));
            if (mode == AnswerMode.MANUAL) {
                // the user hears the one phone that rings and picks up
                Optional<BaresipPhone> ringing = firstRinging(List.of(alice, bob), at, Duration.ofSeconds(3));
                if (ringing.isPresent()) {
                    BaresipPhone p = ringing.get();
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(userDelay.nextInt(maxPickUpMillis + 1)));
                    if (dialledAfterItRang(p, at)) {
                        // baresip 1.0 answers its current line, and the user's own call, dialled
                        // after the other rang in, is that line: the user hangs it up (CANCEL of
                        // the INVITE the server holds), then picks up the ringing call
                        ownCallHungUpFirst++;
                        p.hangUp();
                        p.await(e -> e.type().equals("CALL_CLOSED") && e.direction().equals("outgoing")
                                && e.atMillis() >= at, Duration.ofSeconds(3));
                    }
                    p.accept();
                }
            }
            // settled: both phones in the same call, or nothing more will come (bounded)
            long settleBy = at + roundMs - 1200;
            while (System.currentTimeMillis() < settleBy && !oneSharedSession(alice, bob, at)) {
                long checked = System.currentTimeMillis();
                // wakes on alice's next event; bob's are seen at the latest 50 ms later
                alice.await(e -> e.atMillis() >= checked, Duration.ofMillis(50));
            }
            List<Event> aliceUp = alice.events("CALL_ESTABLISHED", at);
            List<Event> bobUp = bob.events("CALL_ESTABLISHED", at);
            int ringing = alice.events("CALL_INCOMING", at).size() + bob.events("CALL_INCOMING", at).size();
            boolean ok = aliceUp.size() == 1 && bobUp.size() == 1 && aliceUp.get(0).callId().equals(bobUp.get(0).callId())
                    && (mode == AnswerMode.AUTO || ringing == 1);
            if (!ok) {
                rounds.failed("round " + k + ": alice " + alice.events().stream().filter(e -> e.atMillis() >= at).toList()
                        + "; bob " + bob.events().stream().filter(e -> e.atMillis() >= at).toList());
            } else {
                rounds.oneSession(aliceUp.get(0).direction().equals("outgoing") ? "alice's INVITE" : "bob's INVITE");
            }
            hangUpAll(List.of(alice, bob), at, at + roundMs - 100);
        }
        rounds.assertEveryRoundOneSession(LOG, "baresip 1.0, " + mode + " answer, real timing",
                " (the user hung up the own call before picking up in " + ownCallHungUpFirst + ")",
                () -> "\nalice's log:\n" + alice.log() + "\nbob's log:\n" + bob.log());
    }

    /** The phone's own call (its offer) came after the peer's call rang in: its current line is its own call. */
    private static boolean dialledAfterItRang(BaresipPhone phone, long since) {
        List<Event> all = phone.events().stream().filter(e -> e.atMillis() >= since).toList();
        int rang = -1;
        int dialled = -1;
        for (int i = 0; i < all.size(); i++) {
            Event e = all.get(i);
            if (rang < 0 && e.type().equals("CALL_INCOMING")) {
                rang = i;
            }
            if (dialled < 0 && e.type().equals("CALL_LOCAL_SDP") && e.direction().equals("outgoing")) {
                dialled = i;
            }
        }
        return rang >= 0 && dialled > rang;
    }

    private static boolean oneSharedSession(BaresipPhone alice, BaresipPhone bob, long since) {
        List<Event> a = alice.events("CALL_ESTABLISHED", since);
        List<Event> b = bob.events("CALL_ESTABLISHED", since);
        return a.size() == 1 && b.size() == 1 && a.get(0).callId().equals(b.get(0).callId())
                && alice.openCalls(since).size() == 1 && bob.openCalls(since).size() == 1;
    }

    private static Optional<BaresipPhone> firstRinging(List<BaresipPhone> phones, long since, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (BaresipPhone p : phones) {
                if (!p.events("CALL_INCOMING", since).isEmpty()) {
                    return Optional.of(p);
                }
            }
            phones.get(0).await(e -> e.type().equals("CALL_INCOMING") && e.atMillis() >= since, Duration.ofMillis(20));
        }
        return Optional.empty();
    }

    /** Hangs up until neither phone has a call of this round open (bounded by {@code until}). */
    private static void hangUpAll(List<BaresipPhone> phones, long since, long until) throws Exception {
        while (true) {
            boolean open = false;
            for (BaresipPhone p : phones) {
                if (!p.openCalls(since).isEmpty()) {
                    open = true;
                    p.hangUp();
                }
            }
            if (!open || System.currentTimeMillis() > until) {
                return;
            }
            long asked = System.currentTimeMillis();
            phones.get(0).await(e -> e.type().equals("CALL_CLOSED") && e.atMillis() >= asked, Duration.ofMillis(200));
        }
    }

    private BaresipPhone phone(SipUser user, AnswerMode mode) throws Exception {
        BaresipPhone p = BaresipPhone.start(FOLDER, user.name(), user.password(), runtime.sipAddress(), runtime.domain(), mode);
        phones.add(p);
        // the phone registers before its control port is open (its REGISTER_OK event is gone): the
        // server's location service says whether it did, with the phone's own contact port
        PhoneRegistration.awaitBinding(locations, aor(user), user.name(), p.sipPort(), () -> p.events().toString(), p::log);
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
