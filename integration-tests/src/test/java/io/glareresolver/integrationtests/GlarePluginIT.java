package io.glareresolver.integrationtests;

import static io.glareresolver.integrationtests.GlarePluginFixture.awaitPending;
import static io.glareresolver.integrationtests.GlarePluginFixture.awaitQuiet;
import static io.glareresolver.integrationtests.GlarePluginFixture.poll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.glareresolver.endpoint.CallHandle;
import io.glareresolver.endpoint.CallResult;
import io.glareresolver.endpoint.GlareEndpoint;
import io.glareresolver.endpoint.PortCounts;
import io.glareresolver.endpoint.TiebreakSource;
import io.glareresolver.endpoint.testing.InboundInviteGate;
import io.glareresolver.glare.api.CrossingCounters;
import io.glareresolver.glare.api.CrossingMessage;
import io.glareresolver.glare.api.GlareStatus;
import io.glareresolver.integrationtests.felix.BoundedWait;
import io.glareresolver.integrationtests.felix.EmbeddedGlareRuntime;
import io.glareresolver.integrationtests.felix.ServiceComponents;
import io.glareresolver.integrationtests.felix.SipUsersFile.SipUser;
import io.glareresolver.integrationtests.netsip.NetSipScript;
import io.glareresolver.integrationtests.netsip.NetSipScript.Event;
import io.glareresolver.integrationtests.netsip.NetSipScript.Run;
import io.glareresolver.integrationtests.netsip.PlainPhoneRounds;
import io.glareresolver.integrationtests.rawsip.RawRequest;
import io.glareresolver.integrationtests.rawsip.RawSipMessage;
import io.glareresolver.integrationtests.rawsip.RawSocket;
import io.glareresolver.protocol.TiebreakValue;
import io.glareresolver.sip.api.LocationService;
import io.glareresolver.sip.api.Registration;

/**
 * Issue 5: the glare plugin ({@code deploy/glare-bundle.jar} of the runtime) in the embedded
 * runtime, beside the real sip-server, driven over loopback by glare-aware {@code endpoint}
 * devices and by plain Net::SIP phones ({@code src/test/perl/plain-phones.pl}).
 *
 * <p>Arrival order: the second caller of a crossing is built with the endpoint's test support
 * {@link InboundInviteGate}: it handles a peer's INVITE only when the test opens the gate. The test
 * sends the first INVITE, waits until the plugin holds it in its pending table
 * ({@link GlareStatus#pendingInvites()}), sends the second, and opens the gate once the plugin has
 * counted the crossing: the server always sees the first caller's INVITE first, and the second
 * caller has not yet handled it when it sends its own, so the two INVITEs really cross (no guessed
 * delay: a loaded machine cannot reorder them). Which of the two is H follows from the values (IDs: fixed per
 * pair; random: per call, read back from who got 200 OK to its own INVITE).
 *
 * <p>{@code -Dglare.plugin.crossings=N} changes the count per arrival order (default 500).
 */
@ExtendWith(ArquillianExtension.class)
class GlarePluginIT {

    private static final Logger LOG = LoggerFactory.getLogger(GlarePluginIT.class);

    static final int CROSSINGS = Integer.getInteger("glare.plugin.crossings", 500);
    static final Duration WAIT = GlarePluginFixture.WAIT;
    static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(40);
    /** The gate of the second callers' incoming INVITEs (see the class comment); open unless a crossing is under way. */
    private static final CrossingGate GATE = new CrossingGate();

    // users of this class only (ids 3001..): no other test registers them
    static final SipUser ID_LOW = new SipUser("gp-oscar", "gp-oscar-pw-1", 3001);
    static final SipUser ID_HIGH = new SipUser("gp-pat", "gp-pat-pw-2", 3002);
    static final SipUser ID_BIG = new SipUser("gp-quinn", "gp-quinn-pw-3", 3999);
    static final SipUser ID_SMALL = new SipUser("gp-rosa", "gp-rosa-pw-4", 3004);
    static final SipUser RND_A = new SipUser("gp-sam", "gp-sam-pw-5", 3005);
    static final SipUser RND_B = new SipUser("gp-tess", "gp-tess-pw-6", 3006);
    static final SipUser SPOOFER = new SipUser("gp-mallet", "gp-mallet-pw-7", 3007);
    static final SipUser HONEST = new SipUser("gp-victor", "gp-victor-pw-8", 3008);
    static final SipUser PLAIN_1 = new SipUser("gp-plain1", "gp-plain1-pw-9", 3009);
    static final SipUser PLAIN_2 = new SipUser("gp-plain2", "gp-plain2-pw-10", 3010);
    static final SipUser AWARE_LOW = new SipUser("gp-uma", "gp-uma-pw-11", 3000);
    static final SipUser AWARE_HIGH = new SipUser("gp-walt", "gp-walt-pw-12", 3900);
    private static final SipUser[] USERS = {ID_LOW, ID_HIGH, ID_BIG, ID_SMALL, RND_A, RND_B, SPOOFER, HONEST,
        PLAIN_1, PLAIN_2, AWARE_LOW, AWARE_HIGH};

    /** The devices this class has open, closed after the class. */
    private static final GlarePluginFixture FIXTURE = new GlarePluginFixture();

    @ArquillianResource
    private EmbeddedGlareRuntime runtime;

    @ArquillianResource
    private BundleContext context;

    private LocationService locations;

    @BeforeAll
    static void netSip() {
        NetSipScript.requireNetSip();
    }

    @AfterAll
    static void closeEndpoints() {
        FIXTURE.closeEndpoints();
    }

    @BeforeEach
    void pluginOnWithDefaults() throws Exception {
        locations = GlarePluginFixture.pluginOnWithDefaults(runtime, context, USERS);
    }

    // ------------------------------------------------------------------------------ deployment

    @Test
    void pluginIsActiveBesideSipServerAndBoundToIt() throws Exception {
        Bundle plugin = plugin();
        assertEquals(Bundle.ACTIVE, plugin.getState(), "the plugin bundle from deploy/");
        Bundle sipServer = runtime.sipServerBundle().orElseThrow();
        assertEquals(Bundle.ACTIVE, sipServer.getState());
        ServiceReference<?>[] refs = plugin.getRegisteredServices();
        assertNotNull(refs, "the plugin registers services");
        long interceptorId = -1;
        for (ServiceReference<?> r : refs) {
            List<String> classes = List.of((String[]) r.getProperty("objectClass"));
            if (classes.contains("io.glareresolver.sip.api.InviteInterceptor")) {
                assertTrue(classes.contains("io.glareresolver.sip.api.RegistrationInterceptor"), classes.toString());
                assertTrue(classes.contains(GlareStatus.class.getName()), classes.toString());
                interceptorId = (Long) r.getProperty("service.id");
            }
        }
        assertTrue(interceptorId > 0, "an InviteInterceptor service registered by the plugin");
        long id = interceptorId;
        ServiceComponents scr = runtime.serviceComponents();
        BoundedWait.untilTrue("sip-server's DS references bound to the plugin's service " + id, WAIT,
                () -> scr.of(sipServer).stream().anyMatch(c -> c.boundServices().contains(id)));
        assertTrue(scr.of(plugin).stream().anyMatch(c -> c.name().equals("io.glareresolver.glare.impl.component.GlareComponent")
                && c.usable()), "the glare component active: " + scr.of(plugin));
    }

    @Test
    void registerOkCarriesTheEndpointIdOnlyForGlareAwareEndpoints() throws Exception {
        GlareEndpoint aware = endpoint(AWARE_LOW, b -> b);
        io.glareresolver.endpoint.Registration r = aware.register();
        assertEquals(Optional.of(TiebreakValue.id(AWARE_LOW.endpointId())), r.tiebreak(),
                "docs/design.md §3: Glare-Tiebreak: <id>;kind=id on the 200 OK to a REGISTER with Supported: glare");
        // a plain phone's REGISTER (no Supported: glare) gets no such header
        Run plain = NetSipScript.run("register.pl", Duration.ofSeconds(20), "--proxy", runtime.sipAddress(),
                "--domain", runtime.domain(), "--user", PLAIN_1.name(), "--password", PLAIN_1.password(),
                "--algorithm", "MD5", "--expires", "60");
        try {
            assertTrue(plain.responseCodes(PLAIN_1.name(), "REGISTER").contains(200), plain.transcript());
            assertTrue(locations.lookup(aor(PLAIN_1)).isPresent(), plain.transcript());
            assertFalse(plain.stderr().toLowerCase().contains("glare-tiebreak"), plain.transcript());
        } finally {
            NetSipScript.run("register.pl", Duration.ofSeconds(20), "--proxy", runtime.sipAddress(), "--domain",
                    runtime.domain(), "--user", PLAIN_1.name(), "--password", PLAIN_1.password(), "--algorithm", "MD5",
                    "--expires", "0", "--all");
        }
    }

    // ------------------------------------------------------------------------------ 500 + 500

    /** One pair of endpoints: {@code first} always sends first, {@code second} (delayed inbound) second. */
    private record Pair(String name, GlareEndpoint first, GlareEndpoint second, Boolean secondIsHigher) {
    }

    enum Order { HIGHER_SENDS_SECOND, LOWER_SENDS_SECOND }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void crossingsInBothArrivalOrdersEndWithOneSessionOnTheAdvertisedPorts() throws Exception {
        GlareStatus status = status().orElseThrow();
        List<Pair> pairs = List.of(
                new Pair("ids 3001<3002", registered(ID_LOW, b -> b), registered(ID_HIGH, b -> b, GATE::get), true),
                new Pair("ids 3999>3004", registered(ID_BIG, b -> b), registered(ID_SMALL, b -> b, GATE::get), false),
                new Pair("random", registered(RND_A, GlareEndpoint.Builder::randomTiebreak),
                        registered(RND_B, GlareEndpoint.Builder::randomTiebreak, GATE::get), null));
        awaitQuiet(status);
        CrossingCounters before = status.counters();
        PortCounts[] portsBefore = pairs.stream().flatMap(p -> java.util.stream.Stream.of(p.first.ports(), p.second.ports()))
                .toArray(PortCounts[]::new);

        Map<Order, Integer> done = new EnumMap<>(Order.class);
        Map<String, Integer> byPair = new HashMap<>();
        done.put(Order.HIGHER_SENDS_SECOND, 0);
        done.put(Order.LOWER_SENDS_SECOND, 0);
        long started = System.nanoTime();
        int turn = 0;
        while (done.get(Order.HIGHER_SENDS_SECOND) < CROSSINGS || done.get(Order.LOWER_SENDS_SECOND) < CROSSINGS) {
            Pair pair = pairs.get(turn++ % pairs.size());
            boolean higherFull = done.get(Order.HIGHER_SENDS_SECOND) >= CROSSINGS;
            boolean lowerFull = done.get(Order.LOWER_SENDS_SECOND) >= CROSSINGS;
            if (pair.secondIsHigher == null ? higherFull || lowerFull
                    : pair.secondIsHigher ? higherFull : lowerFull) {
                continue; // the random pair only while both orders need crossings; a fixed pair while its order does
            }
            Order order = cross(status, pair, done.values().stream().mapToInt(Integer::intValue).sum());
            if (pair.secondIsHigher != null) {
                assertEquals(pair.secondIsHigher ? Order.HIGHER_SENDS_SECOND : Order.LOWER_SENDS_SECOND, order, pair.name);
            }
            done.merge(order, 1, Integer::sum);
            byPair.merge(pair.name, 1, Integer::sum);
        }
        long elapsedMillis = (System.nanoTime() - started) / 1_000_000;
        int total = 2 * CROSSINGS;

        awaitQuiet(status);
        CrossingCounters after = status.counters();
        long opened = 0;
        int i = 0;
        for (Pair p : pairs) {
            for (GlareEndpoint ep : List.of(p.first, p.second)) {
                PortCounts since = ep.ports().since(portsBefore[i++]);
                opened += since.opened();
                assertEquals(0, ep.ports().open(), ep.aor() + " left a port open: " + ep.ports());
            }
        }
        assertEquals(2L * total, opened, "2 ports opened per crossing, no more");
        assertEquals(total, after.crossingsSeen() - before.crossingsSeen(), "crossings the plugin saw: " + after);
        assertEquals(total, after.resolved() - before.resolved(), "resolved: " + after);
        assertEquals(total, after.sessionsEstablished() - before.sessionsEstablished(), "sessions: " + after);
        assertEquals(before.abnormalTotal(), after.abnormalTotal(), "abnormal ends: " + after.abnormal());
        assertEquals(total, after.portsKept() - before.portsKept(), "H answered on its advertised port: " + after);
        assertEquals(before.portsChanged(), after.portsChanged(), "ports changed: " + after);
        LOG.info("GLARE PLUGIN SUMMARY: {} crossings ({} with H sending second, {} with L sending second; by pair {}) in {} ms:"
                        + " {} sessions, {} ports opened ({} per crossing), plugin counters crossings={} resolved={} sessions={}"
                        + " portsKept={} portsChanged={} abnormal={}; decision latency p50={} us p99={} us",
                total, done.get(Order.HIGHER_SENDS_SECOND), done.get(Order.LOWER_SENDS_SECOND), byPair, elapsedMillis,
                total, opened, opened / (double) total, after.crossingsSeen() - before.crossingsSeen(),
                after.resolved() - before.resolved(), after.sessionsEstablished() - before.sessionsEstablished(),
                after.portsKept() - before.portsKept(), after.portsChanged() - before.portsChanged(),
                after.abnormalTotal() - before.abnormalTotal(), after.latencyP50Micros(), after.latencyP99Micros());
    }

    /** One crossing of a pair; returns which order it was (from who got 200 OK to its own INVITE). */
    private Order cross(GlareStatus status, Pair pair, int n) throws Exception {
        awaitPending(status, 0, "the pending table empty before crossing " + n);
        long crossingsBefore = status.counters().crossingsSeen();
        PortCounts firstPorts = pair.first.ports();
        PortCounts secondPorts = pair.second.ports();
        GlareEndpoint.PreparedCall p1 = pair.first.prepareCall(pair.second.aor());
        GlareEndpoint.PreparedCall p2 = pair.second.prepareCall(pair.first.aor());
        CrossingGate.Crossing crossing = GATE.cross(p1, p2,
                () -> awaitPending(status, 1, "the first INVITE of crossing " + n + " in the pending table"),
                first -> {
                    poll("the plugin to see crossing " + n, WAIT, () -> status.counters().crossingsSeen() == crossingsBefore + 1);
                    // and the second INVITE to reach the first caller: the plugin counts the crossing before the
                    // proxy sends that INVITE on, and with the SIP stack's threads calling the proxy in parallel
                    // the second caller's 200 could otherwise overtake it (then the first caller sees its call
                    // answered before the peer's INVITE: still one session, but not the crossing under test)
                    poll("the second INVITE of crossing " + n + " at the first caller", WAIT,
                            () -> first.trace().stream().anyMatch(l -> l.startsWith("<- INVITE from")));
                });
        CrossingGate.Session session = crossing.awaitOneSession(WAIT, pair.name + ", crossing " + n + ": ");
        CallResult r1 = session.first();
        CallResult r2 = session.second();
        String where = session.where();
        // the first caller saw the peer's INVITE while its own was pending; the second caller handles the
        // first INVITE only when the gate opens, when its own call may already be up
        assertTrue(r1.crossed(), "the INVITEs crossed: " + where);
        assertEquals(p1.localPort(), r1.localPort(), "first caller on the port it advertised: " + where);
        assertEquals(p2.localPort(), r2.localPort(), "second caller on the port it advertised: " + where);
        assertEquals(p2.localPort(), r1.remotePort(), where);
        assertEquals(p1.localPort(), r2.remotePort(), where);
        assertEquals(1, pair.first.ports().since(firstPorts).opened(), "one port per side: " + where);
        assertEquals(1, pair.second.ports().since(secondPorts).opened(), "one port per side: " + where);
        // the session is L's INVITE: L got 200 OK to its own INVITE, H got 491
        boolean firstIsLower = r1.status() == 200;
        assertEquals(firstIsLower ? 491 : 200, r2.status(), "one INVITE answered 200, the other 491: " + where);
        assertEquals(firstIsLower ? 200 : 491, r1.status(), where);
        crossing.hangUp(WAIT);
        return firstIsLower ? Order.HIGHER_SENDS_SECOND : Order.LOWER_SENDS_SECOND;
    }

    // ------------------------------------------------------------------------------ spoofing, malformed

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void underRegistrarPolicyAHugeTiebreakDoesNotChangeTheOutcome() throws Exception {
        GlareStatus status = status().orElseThrow();
        // the spoofer's ID is 3007 < the honest 3008, but it sends Glare-Tiebreak: 2^63-1;kind=id
        GlareEndpoint spoofer = registered(SPOOFER, b -> b.id(Long.MAX_VALUE));
        GlareEndpoint honest = registered(HONEST, b -> b.tiebreakSource(TiebreakSource.REGISTRAR), GATE::get);
        // the spoofer sends first, so every instruction about its INVITE and about the one it receives
        // comes from the server (reject / accept-peer), which it follows
        Pair spooferFirst = new Pair("spoofer first", spoofer, honest, null);

        // trusting policy: the huge value wins, the spoofer is H (its INVITE ends 491)
        awaitQuiet(status);
        assertEquals(Order.LOWER_SENDS_SECOND, cross(status, spooferFirst, 0), "endpoint policy: the spoofer is H");
        configure(Map.of("enabled", true, "tiebreak.source", "registrar"));
        BoundedWait.untilTrue("tiebreak.source=registrar", WAIT, () -> status.tiebreakSource().equals("registrar"));
        for (int i = 0; i < 10; i++) {
            // the registrar's IDs decide: honest (3008) is H whatever the spoofer sends
            assertEquals(Order.HIGHER_SENDS_SECOND, cross(status, spooferFirst, i), "registrar policy: the honest side is H");
        }
        awaitQuiet(status);
        assertEquals(0, status.recentCrossings(10).stream().filter(c -> c.outcome().abnormal()).count(),
                status.recentCrossings(10).toString());
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void malformedTiebreakGets400WithAReasonAndTheNextCallWorks() throws Exception {
        GlareStatus status = status().orElseThrow();
        GlareEndpoint callee = registered(AWARE_HIGH, b -> b);
        long refusedBefore = status.counters().malformedRefused();
        String[] malformed = {"abc", "-7", "123456789012345678901234567890", "5;kind=bogus"};
        for (String value : malformed) {
            Run run = NetSipScript.run("invite.pl", SCRIPT_TIMEOUT, "--proxy", runtime.sipAddress(), "--domain",
                    runtime.domain(), "--from", PLAIN_2.name() + ":" + PLAIN_2.password() + ":MD5", "--to", AWARE_HIGH.name(),
                    "--register", "--header", "Glare-Tiebreak=" + value);
            assertEquals(400, run.expect("caller", "FINAL").code(), "Glare-Tiebreak: " + value + "\n" + run.transcript());
            assertTrue(run.stderr().contains("SIP/2.0 400 Bad Glare-Tiebreak"),
                    "400 with a reason phrase naming the header\n" + run.transcript());
        }
        assertEquals(malformed.length, status.counters().malformedRefused() - refusedBefore);
        // nothing else broke: the same caller, well-formed, reaches the callee
        Run ok = NetSipScript.run("invite.pl", SCRIPT_TIMEOUT, "--proxy", runtime.sipAddress(), "--domain",
                runtime.domain(), "--from", PLAIN_2.name() + ":" + PLAIN_2.password() + ":MD5", "--to", AWARE_HIGH.name(),
                "--register", "--header", "Glare-Tiebreak=77;kind=random");
        assertEquals(200, ok.expect("caller", "FINAL").code(), ok.transcript());
        assertTrue(callee.ports().opened() >= 1);
    }

    // ------------------------------------------------------------------------------ plain phones, enabled switch

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void plainPhonesCrossingEnabledOneCallDisabledBothBusyRegistrationsKept() throws Exception {
        GlareStatus status = status().orElseThrow();
        // aware endpoints registered before the switch: their registrations must survive it
        GlareEndpoint a = registered(AWARE_LOW, b -> b);
        GlareEndpoint b = registered(AWARE_HIGH, x -> x);
        Registration regA = locations.lookup(a.aor()).orElseThrow();
        Registration regB = locations.lookup(b.aor()).orElseThrow();

        CrossingCounters before = status.counters();
        Run enabled = plainPhones(null);
        assertOneEstablishedCall(enabled);
        awaitQuiet(status);
        assertEquals(1, status.counters().crossingsSeen() - before.crossingsSeen(), enabled.transcript());
        assertEquals(1, status.counters().sessionsEstablished() - before.sessionsEstablished(), enabled.transcript());
        assertLadderHasRingingAndTheAckOfThe2xx(status, enabled);

        configure(Map.of("enabled", false));
        BoundedWait.untilTrue("the plugin disabled", WAIT, () -> !status.enabled());
        // the baseline only: phones slow to answer busy make both INVITEs surely cross (with real
        // timing one phone's 486 sometimes ends its peer's call first, and a plain proxy gets one call)
        Run disabled = plainPhones(null, "--busy-after-ms", "200");
        // RFC 3261 without the plugin: each phone is busy with its own INVITE and answers the other's 486
        assertEquals(List.of(486, 486), List.of(disabled.expect(PLAIN_1.name(), "FINAL").code(),
                disabled.expect(PLAIN_2.name(), "FINAL").code()), disabled.transcript());
        assertTrue(disabled.all(PLAIN_1.name(), "ESTABLISHED_OUT").isEmpty()
                && disabled.all(PLAIN_2.name(), "ESTABLISHED_OUT").isEmpty(), disabled.transcript());
        assertSameRegistration(regA);
        assertSameRegistration(regB);

        configure(Map.of("enabled", true));
        BoundedWait.untilTrue("the plugin enabled", WAIT, status::enabled);
        assertOneEstablishedCall(plainPhones(null));
        assertSameRegistration(regA);
        assertSameRegistration(regB);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void disablingLeavesAnEstablishedCallAlone() throws Exception {
        GlareStatus status = status().orElseThrow();
        GlareEndpoint a = registered(ID_LOW, b -> b);
        GlareEndpoint b = registered(ID_HIGH, x -> x);
        CallHandle call = a.call(b.aor());
        CallResult r = call.result().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertTrue(r.established(), r + "\n" + call.trace());
        call.session().orElseThrow().echo(Duration.ofSeconds(2));

        configure(Map.of("enabled", false));
        BoundedWait.untilTrue("the plugin disabled", WAIT, () -> !status.enabled());
        // the media path and the dialog are untouched: echo on the same ports, BYE through the proxy
        call.session().orElseThrow().echo(Duration.ofSeconds(2));
        call.hangUp();
        CallResult ended = call.ended().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(r.sessionCallId(), ended.sessionCallId(), ended.toString());
        BoundedWait.untilTrue("both ports closed", WAIT, () -> a.ports().open() == 0 && b.ports().open() == 0);
    }

    /**
     * Issue 13: two plain phones that answer 486 at once while their own call is pending, digest on
     * every INVITE (407, re-sent with credentials), one process each, dialling each other at the same
     * wall-clock instant round after round, no delay or gate anywhere: every round exactly one call,
     * on the ports the phones advertised, and nobody rings for a second one.
     */
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void plainPhonesBusyAtOnceCrossWithRealTimingManyRoundsOneSessionEach() throws Exception {
        GlareStatus status = status().orElseThrow();
        int rounds = Integer.getInteger("glare.it.crossingRounds", 50);
        CrossingCounters before = status.counters();
        PlainPhoneRounds.Result result = PlainPhoneRounds.run(runtime.sipAddress(), runtime.domain(), PLAIN_1, PLAIN_2,
                "MD5", rounds, 800);
        awaitQuiet(status);
        CrossingCounters after = status.counters();
        LOG.info("Net::SIP 486-at-once phones, real timing: {}; plugin: {} crossings seen, {} sessions, {} abnormal",
                result.summary(), after.crossingsSeen() - before.crossingsSeen(),
                after.sessionsEstablished() - before.sessionsEstablished(), after.abnormalTotal() - before.abnormalTotal());
        assertEquals(rounds, result.oneSession(), result.summary() + "\n" + result.failures());
        assertEquals(0, after.abnormalTotal() - before.abnormalTotal(), status.recentCrossings(5).toString());
    }

    /**
     * Issue 14: two users with two plain phones each (Net::SIP, busy at once). Each user's desk phone
     * dials the other user at the same wall-clock instant, round after round, real timing; the
     * mobiles ring for whatever reaches them and would be picked up after 1.5 s, as a person does.
     * Every round exactly one session, between the two desk phones, and no mobile (not in the
     * crossing) ever receives a Glare instruction: the crossing's INVITEs go to the phones that
     * dialled, the other branches are cancelled.
     */
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void twoUsersWithTwoPhonesEachCrossOnTheirDeskPhonesOneSessionEachRound() throws Exception {
        GlareStatus status = status().orElseThrow();
        int rounds = Integer.getInteger("glare.it.multiPhoneRounds", 8);
        CrossingCounters before = status.counters();
        List<String> failures = new ArrayList<>();
        int mobileCancels = 0;
        for (int k = 0; k < rounds; k++) {
            long dialAt = System.currentTimeMillis() + 1500; // after the four registrations
            Run run = NetSipScript.run("plain-phones.pl", SCRIPT_TIMEOUT, "--proxy", runtime.sipAddress(),
                    "--domain", runtime.domain(), "--settle-ms", "1500", "--answer-after-ms", "1500",
                    "--dial-at-ms", Long.toString(dialAt),
                    "--phone", device(PLAIN_1, "desk1", PLAIN_2.name()), "--phone", device(PLAIN_1, "mobile1", "-"),
                    "--phone", device(PLAIN_2, "desk2", PLAIN_1.name()), "--phone", device(PLAIN_2, "mobile2", "-"));
            // a session: a phone's own call answered 200 (ESTABLISHED_OUT) and the phone that answered it
            // (ANSWERED; Net::SIP also reports the ACK of its 486 as "established", so that is not counted)
            long sessionsOut = run.events().stream().filter(e -> e.what().equals("ESTABLISHED_OUT")).count();
            long sessionsIn = run.events().stream().filter(e -> e.what().equals("ANSWERED")).count();
            List<String> instructedMobiles = run.events().stream()
                    .filter(e -> e.what().equals("INVITE_IN") && e.agent().startsWith("mobile") && !"-".equals(e.get("glare")))
                    .map(Event::toString).toList();
            boolean desks = run.first("desk1", "ESTABLISHED_OUT").isPresent() && run.first("desk2", "ANSWERED").isPresent()
                    || run.first("desk2", "ESTABLISHED_OUT").isPresent() && run.first("desk1", "ANSWERED").isPresent();
            mobileCancels += run.all("mobile1", "CANCELLED").size() + run.all("mobile2", "CANCELLED").size();
            if (sessionsOut != 1 || sessionsIn != 1 || !desks || !instructedMobiles.isEmpty()) {
                failures.add("round " + k + ": sessions out " + sessionsOut + ", in " + sessionsIn + ", between the desks "
                        + desks + ", mobiles instructed " + instructedMobiles + "\n" + run.transcript());
            }
        }
        awaitQuiet(status);
        CrossingCounters after = status.counters();
        LOG.info("two users with two Net::SIP phones each, desks crossing, real timing: {} of {} rounds one session "
                        + "between the desks; mobiles cancelled {} times; plugin: {} crossings seen, {} sessions, {} abnormal",
                rounds - failures.size(), rounds, mobileCancels, after.crossingsSeen() - before.crossingsSeen(),
                after.sessionsEstablished() - before.sessionsEstablished(), after.abnormalTotal() - before.abnormalTotal());
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /**
     * Issue 14: a PBX on a trunk (a Net::SIP extension 2001 on its own address 127.0.0.50, trusted
     * by the server by address and port: no digest) and a registered plain phone dial each other at
     * the same wall-clock instant, busy at once, real timing, round after round: the plugin resolves
     * the crossing between the trunk's extension and the user as between two users (the PBX's
     * extensions have the tie-break value of its {@code tiebreak} setting), one session each round.
     */
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void aPbxExtensionOnATrustedTrunkAndAUserCrossOneSessionEachRound() throws Exception {
        GlareStatus status = status().orElseThrow();
        int rounds = Integer.getInteger("glare.it.peerRounds", 8);
        int pbxPort;
        try (java.net.DatagramSocket free = new java.net.DatagramSocket(new java.net.InetSocketAddress("127.0.0.50", 0))) {
            pbxPort = free.getLocalPort();
        }
        String peer = "pbx@127.0.0.50:" + pbxPort + ";numbers=20;tiebreak=900";
        trunked = runtime;
        runtime.sipServerSetting("peers", peer);
        awaitTrusted(pbxPort);
        CrossingCounters before = status.counters();
        List<String> failures = new ArrayList<>();
        for (int k = 0; k < rounds; k++) {
            Run run = NetSipScript.run("plain-phones.pl", SCRIPT_TIMEOUT, "--proxy", runtime.sipAddress(),
                    "--domain", runtime.domain(), "--settle-ms", "1500",
                    "--dial-at-ms", Long.toString(System.currentTimeMillis() + 800),
                    "--phone", phone(PLAIN_1, "2001"),
                    "--phone", "2001/pbx@127.0.0.50+" + pbxPort + ":-:MD5:" + PLAIN_1.name());
            long out = run.events().stream().filter(e -> e.what().equals("ESTABLISHED_OUT")).count();
            long answered = run.events().stream().filter(e -> e.what().equals("ANSWERED")).count();
            boolean challenged = run.all("pbx", "RESPONSE").stream().anyMatch(e -> e.code() == 407);
            if (out != 1 || answered != 1 || challenged) {
                failures.add("round " + k + ": sessions out " + out + ", answered " + answered + ", PBX challenged "
                        + challenged + "\n" + run.transcript());
            }
        }
        awaitQuiet(status);
        CrossingCounters after = status.counters();
        LOG.info("PBX extension on a trusted trunk and a plain phone, real timing: {} of {} rounds one session; plugin: "
                        + "{} crossings seen, {} sessions, {} abnormal", rounds - failures.size(), rounds,
                after.crossingsSeen() - before.crossingsSeen(), after.sessionsEstablished() - before.sessionsEstablished(),
                after.abnormalTotal() - before.abnormalTotal());
        assertTrue(failures.isEmpty(), String.join("\n", failures));
        assertTrue(after.crossingsSeen() - before.crossingsSeen() >= rounds / 2,
                "the plugin saw the crossings: " + (after.crossingsSeen() - before.crossingsSeen()));
    }

    private static EmbeddedGlareRuntime trunked;

    @AfterAll
    static void noTrunk() {
        if (trunked != null) {
            trunked.sipServerSetting("peers", null);
        }
    }

    /**
     * Waits (bounded) until the server trusts the peer: an OPTIONS to a user from the peer's address
     * and port is no longer challenged (Config Admin delivers the setting asynchronously).
     */
    private void awaitTrusted(int pbxPort) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        int seen = 0;
        java.net.InetSocketAddress server = new java.net.InetSocketAddress(runtime.sipHost(), runtime.sipPort());
        while (System.nanoTime() < deadline) {
            BlockingQueue<RawSipMessage> answers = new LinkedBlockingQueue<>();
            try (RawSocket s = new RawSocket("pbx-probe", new java.net.InetSocketAddress("127.0.0.50", pbxPort))) {
                s.handler((m, from) -> answers.add(m));
                String branch = "z9hG4bK-trust-" + System.nanoTime();
                String to = "<sip:" + PLAIN_1.name() + "@" + runtime.domain() + ">";
                s.send(RawRequest.of("OPTIONS", "sip:" + PLAIN_1.name() + "@" + runtime.domain())
                        .via(s.host(), s.port(), branch).from("<sip:2001@127.0.0.50>;tag=t" + branch.hashCode()).to(to)
                        .callId(branch).cseq(1).bytes(), server);
                RawSipMessage answer;
                // a final answer within a second of the last message, or ask again
                while ((answer = answers.poll(1, TimeUnit.SECONDS)) != null && answer.status() < 200) {
                    seen = answer.status();
                }
                if (answer == null) {
                    continue;
                }
                seen = answer.status();
                if (seen != 407) {
                    return;
                }
            }
        }
        throw new AssertionError("the server still challenges the PBX's address (last answer " + seen + ")");
    }

    private static String device(SipUser user, String name, String target) {
        return user.name() + "/" + name + ":" + user.password() + ":MD5:" + target;
    }

    /**
     * Issue 13, the mixed pair: a glare-aware endpoint and a plain Net::SIP phone (busy at once, digest
     * on every INVITE) dial each other at the same wall-clock instant round after round, real timing:
     * every round exactly one call, the same one on both sides.
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void awareEndpointAndPlainPhoneCrossWithRealTimingManyRoundsOneSessionEach() throws Exception {
        GlareStatus status = status().orElseThrow();
        int rounds = Integer.getInteger("glare.it.mixedRounds", 20);
        int roundMs = 1000;
        // the plain phone's INVITE may reach the aware endpoint as a call of its own: when the phone's
        // 486 overtook its INVITE, the aware caller hears that 486 and then the phone's call rings in
        BlockingQueue<CallHandle> incoming = new LinkedBlockingQueue<>();
        GlareEndpoint aware = registered(AWARE_LOW, b -> b.onIncoming(incoming::add));
        CrossingCounters before = status.counters();
        long start = System.currentTimeMillis() + 3000;
        Duration timeout = Duration.ofMillis(3000L + (long) rounds * roundMs + 20_000);
        CompletableFuture<Run> plain = CompletableFuture.supplyAsync(() -> NetSipScript.run("crossing-rounds.pl", timeout,
                "--proxy", runtime.sipAddress(), "--domain", runtime.domain(), "--phone", phone(PLAIN_1, AWARE_LOW.name()),
                "--start-ms", Long.toString(start), "--rounds", Integer.toString(rounds),
                "--round-ms", Integer.toString(roundMs)));
        List<CallResult> results = new ArrayList<>();
        List<List<String>> awareSessions = new ArrayList<>();
        for (int k = 0; k < rounds; k++) {
            long roundStart = start + (long) k * roundMs;
            GlareEndpoint.PreparedCall prepared = aware.prepareCall(PLAIN_1.name());
            parkUntil(roundStart); // the stimulus is timed: the same instant as the phone's dial
            CallHandle call = prepared.send();
            CallResult r = call.result().get(10, TimeUnit.SECONDS);
            results.add(r);
            List<String> sessions = new ArrayList<>();
            List<CallHandle> live = new ArrayList<>();
            if (r.established()) {
                sessions.add(r.sessionCallId());
                live.add(call);
            }
            // every call that rang in during this round's first 60 %: at most one may become a session
            long until = roundStart + roundMs * 6L / 10;
            for (CallHandle in; (in = incoming.poll(Math.max(0, until - System.currentTimeMillis()),
                    TimeUnit.MILLISECONDS)) != null; ) {
                CallResult ir = in.result().get(10, TimeUnit.SECONDS);
                if (ir.established()) {
                    sessions.add(ir.sessionCallId());
                    live.add(in);
                }
            }
            awareSessions.add(sessions);
            parkUntil(roundStart + roundMs * 7L / 10); // before the phone hangs up its own (75 %)
            for (CallHandle h : live) {
                h.hangUp();
                h.ended().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
        Run run = plain.get(timeout.toSeconds() + 5, TimeUnit.SECONDS);
        List<String> failures = new ArrayList<>();
        int ownWins = 0;
        for (int k = 0; k < rounds; k++) {
            String round = Integer.toString(k);
            List<String> plainSessions = new ArrayList<>();
            for (String what : List.of("ESTABLISHED_OUT", "ESTABLISHED_IN")) {
                run.all(PLAIN_1.name(), what).stream().filter(e -> round.equals(e.get("round")))
                        .forEach(e -> plainSessions.add(e.get("call_id")));
            }
            List<String> sessions = awareSessions.get(k);
            if (sessions.size() != 1 || !sessions.equals(plainSessions)) {
                failures.add("round " + k + ": aware outgoing " + results.get(k) + ", aware's sessions " + sessions
                        + ", plain phone's sessions " + plainSessions);
            } else if (!run.all(PLAIN_1.name(), "ESTABLISHED_OUT").stream().anyMatch(e -> round.equals(e.get("round")))) {
                ownWins++;
            }
        }
        awaitQuiet(status);
        CrossingCounters after = status.counters();
        LOG.info("aware endpoint + plain Net::SIP phone, real timing: {} of {} rounds one session ({} on the aware side's"
                        + " INVITE); plugin: {} crossings seen, {} sessions, {} abnormal", rounds - failures.size(), rounds,
                ownWins, after.crossingsSeen() - before.crossingsSeen(),
                after.sessionsEstablished() - before.sessionsEstablished(), after.abnormalTotal() - before.abnormalTotal());
        assertTrue(failures.isEmpty(), String.join("\n", failures) + "\n" + status.recentCrossings(3));
    }

    private static void parkUntil(long epochMillis) {
        long wait = epochMillis - System.currentTimeMillis();
        if (wait > 0) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(wait));
        }
    }

    private Run plainPhones(Long dialAtMillis, String... extra) {
        List<String> args = new ArrayList<>(List.of("--proxy", runtime.sipAddress(), "--domain", runtime.domain(),
                "--phone", phone(PLAIN_1, PLAIN_2.name()), "--phone", phone(PLAIN_2, PLAIN_1.name()),
                "--settle-ms", "1500"));
        if (dialAtMillis != null) {
            args.add("--dial-at-ms");
            args.add(Long.toString(dialAtMillis));
        }
        args.addAll(List.of(extra));
        return NetSipScript.run("plain-phones.pl", SCRIPT_TIMEOUT, args.toArray(String[]::new));
    }

    private static String phone(SipUser user, String target) {
        return user.name() + ":" + user.password() + ":MD5:" + target;
    }

    private static void assertOneEstablishedCall(Run run) {
        int f1 = run.expect(PLAIN_1.name(), "FINAL").code();
        int f2 = run.expect(PLAIN_2.name(), "FINAL").code();
        assertTrue((f1 == 200) != (f2 == 200), "exactly one of the two INVITEs answered 200 OK (" + f1 + ", " + f2 + ")\n"
                + run.transcript());
        String callee = f1 == 200 ? PLAIN_2.name() : PLAIN_1.name();
        run.expect(callee, "ESTABLISHED_IN");
        assertEquals(1, run.all(PLAIN_1.name(), "ESTABLISHED_OUT").size() + run.all(PLAIN_2.name(), "ESTABLISHED_OUT").size(),
                run.transcript());
        run.expect(callee, "BYE_IN");
    }

    /**
     * The crossing's ladder holds every message, the plain callee's 180 Ringing and the caller's
     * end-to-end ACK of the 2xx included (the ACK completes the record a moment after the crossing ended).
     */
    private static void assertLadderHasRingingAndTheAckOfThe2xx(GlareStatus status, Run run) throws TimeoutException {
        java.util.function.Supplier<List<CrossingMessage>> ladder = () -> status.recentCrossings(1).get(0).messages();
        java.util.function.BiPredicate<String, String> has = (label, direction) -> ladder.get().stream().anyMatch(
                m -> m.label().startsWith(label) && (direction.equals("in") ? m.to().equals(CrossingMessage.SERVER)
                        : m.from().equals(CrossingMessage.SERVER)));
        try {
            BoundedWait.untilTrue("the ACK of the 2xx on the ladder", WAIT,
                    () -> has.test("ACK", "in") && ladder.get().stream().anyMatch(m -> m.label().equals("ACK")
                            && m.note().contains("2xx")));
        } catch (TimeoutException e) {
            throw new AssertionError("no ACK of the 2xx on the ladder: " + ladder.get() + "\n" + run.transcript(), e);
        }
        String where = ladder.get() + "\n" + run.transcript();
        assertTrue(has.test("180 ", "in"), "the callee's 180 reaches the server: " + where);
        assertTrue(has.test("180 ", "out"), "the 180 relayed to the caller: " + where);
        assertTrue(ladder.get().stream().anyMatch(m -> m.label().equals("ACK") && m.from().equals(CrossingMessage.SERVER)
                && m.note().equals("forwarded")), "the ACK forwarded to the callee: " + where);
        List<Long> offsets = ladder.get().stream().map(CrossingMessage::offsetMicros).toList();
        assertEquals(offsets.stream().sorted().toList(), offsets, "arrows in time order: " + where);
    }

    private void assertSameRegistration(Registration before) {
        Registration now = locations.lookup(before.aor()).orElseThrow(() -> new AssertionError(before.aor() + " lost"));
        assertEquals(before.bindings().get(0).contact(), now.bindings().get(0).contact());
        assertEquals(before.bindings().get(0).callId(), now.bindings().get(0).callId());
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void awareEndpointAndPlainPhoneEndWithOneSessionInBothOrders() throws Exception {
        GlareStatus status = status().orElseThrow();
        // the plain phone (3009) is higher than AWARE_LOW (3000)
        // 1. the aware endpoint's INVITE first: it rings at the plain phone, which then dials (and refuses the ringing call)
        GlareEndpoint aware = registered(AWARE_LOW, b -> b);
        CrossingCounters before = status.counters();
        long dialAt = System.currentTimeMillis() + 4000;
        // the plain phone rings for 3 s; it dials at dialAt and refuses the ringing call 0.5 s later (a slow
        // phone), so its own INVITE reaches the proxy before that 486
        CompletableFuture<Run> script = CompletableFuture.supplyAsync(() -> NetSipScript.run("plain-phones.pl", SCRIPT_TIMEOUT,
                "--proxy", runtime.sipAddress(), "--domain", runtime.domain(), "--phone", phone(PLAIN_1, AWARE_LOW.name()),
                "--dial-at-ms", Long.toString(dialAt), "--answer-after-ms", "3000", "--busy-after-ms", "500",
                "--settle-ms", "1500"));
        BoundedWait.untilTrue("the plain phone registered", Duration.ofSeconds(10),
                () -> locations.lookup(aor(PLAIN_1)).isPresent() || script.isDone());
        GlareEndpoint.PreparedCall prepared = aware.prepareCall(PLAIN_1.name());
        long wait = dialAt - 1000 - System.currentTimeMillis();
        assertTrue(wait > 0, "the plain phone took too long to register");
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(wait)); // the stimulus is timed: ring 1 s before the plain phone dials
        CallHandle call = prepared.send();
        CallResult r = call.result().get(20, TimeUnit.SECONDS);
        Run run = script.get(SCRIPT_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
        assertTrue(r.established(), r + "\n" + call.trace() + "\n" + run.transcript());
        run.expect(PLAIN_1.name(), "BUSY_SENT", e -> "ringing".equals(e.get("was")), "the ringing call refused when dialing");
        assertEquals(200, run.expect(PLAIN_1.name(), "FINAL").code(), "the plain phone's own INVITE is the session\n" + run.transcript());
        assertEquals(491, r.status(), "the aware side's INVITE ends 491: " + r);
        awaitQuiet(status);
        assertEquals(1, status.counters().crossingsSeen() - before.crossingsSeen());
        assertEquals(1, status.counters().sessionsEstablished() - before.sessionsEstablished(), status.recentCrossings(1).toString());
        call.hangUp();

        // 2. the plain phone's INVITE first, the aware endpoint's second (it sees the plain phone's INVITE only later):
        //    the aware side is L, its INVITE is held until the plain phone's own INVITE has ended
        CompletableFuture<Void> gate2 = new CompletableFuture<>();
        GlareEndpoint slow = registered(new SipUser(AWARE_LOW.name(), AWARE_LOW.password(), AWARE_LOW.endpointId()),
                b -> b, () -> gate2);
        CrossingCounters before2 = status.counters();
        CompletableFuture<Run> script2 = CompletableFuture.supplyAsync(() -> NetSipScript.run("plain-phones.pl", SCRIPT_TIMEOUT,
                "--proxy", runtime.sipAddress(), "--domain", runtime.domain(), "--phone", phone(PLAIN_1, AWARE_LOW.name()),
                "--answer-after-ms", "200", "--settle-ms", "1500"));
        awaitPending(status, 1, "the plain phone's INVITE pending", Duration.ofSeconds(15));
        CallHandle call2;
        try {
            call2 = slow.call(PLAIN_1.name());
            poll("the crossing seen", WAIT, () -> status.counters().crossingsSeen() == before2.crossingsSeen() + 1);
        } finally {
            gate2.complete(null);
        }
        CallResult r2 = call2.result().get(20, TimeUnit.SECONDS);
        assertTrue(r2.established(), r2 + "\n" + call2.trace());
        assertEquals(200, r2.status(), "the aware side's own INVITE is the session: " + r2);
        // hang up only once the server has forwarded our ACK (the crossing's ladder shows it): a BYE sent at
        // once can overtake the ACK through the proxy's worker threads, and the plain phone then never sees
        // its call established
        BoundedWait.untilTrue("the ACK of the 2xx forwarded to the plain phone", WAIT, () -> status.recentCrossings(1).stream()
                .flatMap(c -> c.messages().stream())
                .anyMatch(m -> m.label().equals("ACK") && m.note().equals("forwarded") && m.callId().equals(r2.sessionCallId())));
        call2.hangUp();
        call2.ended().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        Run run2 = script2.get(SCRIPT_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
        assertEquals(491, run2.expect(PLAIN_1.name(), "FINAL").code(), run2.transcript());
        run2.expect(PLAIN_1.name(), "ESTABLISHED_IN");
        awaitQuiet(status);
        assertEquals(1, status.counters().crossingsSeen() - before2.crossingsSeen());
        assertEquals(1, status.counters().sessionsEstablished() - before2.sessionsEstablished(), status.recentCrossings(1).toString());
    }

    // ------------------------------------------------------------------------------ stop / start while pending

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void stoppingThePluginWhileACrossingIsPendingLeavesNoStuckTransaction() throws Exception {
        // the plain phone (3009, H) dials first; the aware endpoint (3000, L) sends second and handles the
        // plain phone's INVITE only after the plugin was stopped: till then the plugin holds L's INVITE
        // (until H's INVITE has ended)
        configure(Map.of("enabled", true, "glare.ng-timeout", 20000));
        GlareStatus status = status().orElseThrow();
        BoundedWait.untilTrue("ng-timeout applied", WAIT, status::enabled);
        CompletableFuture<Void> gate = new CompletableFuture<>();
        GlareEndpoint slow = registered(new SipUser(AWARE_LOW.name(), AWARE_LOW.password(), AWARE_LOW.endpointId()),
                b -> b, () -> gate);
        long crossingsBefore = status.counters().crossingsSeen();
        CompletableFuture<Run> script = CompletableFuture.supplyAsync(() -> NetSipScript.run("plain-phones.pl", SCRIPT_TIMEOUT,
                "--proxy", runtime.sipAddress(), "--domain", runtime.domain(), "--phone", phone(PLAIN_1, AWARE_LOW.name()),
                "--answer-after-ms", "200", "--settle-ms", "1500"));
        awaitPending(status, 1, "the plain phone's INVITE pending", Duration.ofSeconds(15));
        CallHandle call;
        Bundle plugin = plugin();
        try {
            call = slow.call(PLAIN_1.name());
            BoundedWait.untilTrue("the crossing detected and in progress", WAIT,
                    () -> status.counters().crossingsSeen() > crossingsBefore && status.counters().inProgress() == 1);
            assertEquals(2, status.pendingInvites(), "both INVITEs pending in the plugin");
            plugin.stop();
            assertEquals(Bundle.RESOLVED, plugin.getState());
        } finally {
            gate.complete(null);
        }
        // both callers get a final answer: no transaction stays stuck in the proxy
        CallResult r = call.result().get(20, TimeUnit.SECONDS);
        Run run = script.get(SCRIPT_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
        run.expect(PLAIN_1.name(), "FINAL");
        LOG.info("after stopping the plugin mid-crossing: aware side {}, plain phone FINAL {}", r,
                run.expect(PLAIN_1.name(), "FINAL"));
        call.hangUp();
        call.ended().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);

        plugin.start();
        GlareStatus restarted = awaitStatus();
        assertEquals(0, restarted.pendingInvites(), "the pending table of the restarted plugin");
        configure(Map.of("enabled", true));
        // and crossings are resolved again
        GlareEndpoint low = registered(ID_LOW, b -> b);
        GlareEndpoint high = registered(ID_HIGH, b -> b, GATE::get);
        awaitQuiet(restarted);
        assertEquals(Order.HIGHER_SENDS_SECOND, cross(restarted, new Pair("after restart", low, high, true), 0));
        awaitQuiet(restarted);
        assertEquals(0, restarted.pendingInvites());
    }

    // ------------------------------------------------------------------------------ helpers

    private String aor(SipUser user) {
        return TestUsers.aor(runtime, user);
    }

    private Bundle plugin() {
        return GlarePluginFixture.plugin(context);
    }

    private Optional<GlareStatus> status() {
        return GlarePluginFixture.status(context);
    }

    private GlareStatus awaitStatus() throws TimeoutException {
        return runtime.awaitService(GlareStatus.class, WAIT);
    }

    /** Replaces the plugin's configuration: the defaults (enabled, endpoint policy) plus these values. */
    private void configure(Map<String, ?> properties) {
        GlarePluginFixture.configure(runtime, properties);
    }

    private GlareEndpoint endpoint(SipUser user, UnaryOperator<GlareEndpoint.Builder> options) {
        return FIXTURE.endpoint(runtime, user, options, null);
    }

    private GlareEndpoint registered(SipUser user, UnaryOperator<GlareEndpoint.Builder> options) throws Exception {
        return registered(user, options, null);
    }

    /** @param gate the gate of the endpoint's incoming INVITEs (the second caller of a crossing), or null */
    private GlareEndpoint registered(SipUser user, UnaryOperator<GlareEndpoint.Builder> options,
                                     Supplier<? extends CompletionStage<?>> gate) throws Exception {
        return FIXTURE.registered(runtime, locations, user, options, gate);
    }
}
