package io.glareresolver.integrationtests;

import static io.glareresolver.integrationtests.GlarePluginFixture.awaitPending;
import static io.glareresolver.integrationtests.GlarePluginFixture.awaitQuiet;
import static io.glareresolver.integrationtests.GlarePluginFixture.poll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.BundleContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.glareresolver.endpoint.CallHandle;
import io.glareresolver.endpoint.CallResult;
import io.glareresolver.endpoint.GlareEndpoint;
import io.glareresolver.glare.api.CrossingCounters;
import io.glareresolver.glare.api.GlareStatus;
import io.glareresolver.integrationtests.felix.EmbeddedGlareRuntime;
import io.glareresolver.integrationtests.felix.SipUsersFile.SipUser;
import io.glareresolver.integrationtests.netsip.NetSipScript;
import io.glareresolver.integrationtests.netsip.NetSipScript.Run;
import io.glareresolver.sip.api.LocationService;

/**
 * Issue 8, hostile input that needs the glare plugin: the plugin from the runtime's {@code deploy/}
 * in the embedded runtime (as in {@link GlarePluginIT}), driven by Net::SIP callers that send
 * malformed or forged glare headers and by {@code endpoint} devices.
 * <ul>
 * <li>Every malformed {@code Glare-Tiebreak} (out of range, signed, non-numeric, repeated or empty
 * parameter, unknown kind, an injected CRLF) is answered {@code 400 Bad Glare-Tiebreak: <reason>},
 * counted once each in {@link CrossingCounters#malformedRefused()}, and holds nothing in the
 * pending table.</li>
 * <li>A caller's own {@code Glare-Resolution} (unknown instruction, or a forged
 * {@code accept-peer} naming another call's Call-ID) never reaches the callee: only the server
 * writes that header. The call goes through as a plain call; no counter other than the normal
 * ones moves, and another call in progress (the forged Call-ID's) is unaffected.</li>
 * <li>Afterwards a real crossing still resolves to exactly one session.</li>
 * </ul>
 */
@ExtendWith(ArquillianExtension.class)
class HostileGlareInputIT {

    private static final Logger LOG = LoggerFactory.getLogger(HostileGlareInputIT.class);

    static final Duration WAIT = GlarePluginFixture.WAIT;
    static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(40);
    /** The gate of hugo's (and every device's) incoming INVITEs: open unless a test holds them. */
    private static final CrossingGate GATE = new CrossingGate();

    // users of this class only (ids 3101..): no other test registers them
    static final SipUser MALLORY = new SipUser("hg-mallory", "hg-mallory-pw-1", 3101);
    static final SipUser CALLEE = new SipUser("hg-carl", "hg-carl-pw-2", 3102);
    static final SipUser LOW = new SipUser("hg-lena", "hg-lena-pw-3", 3103);
    static final SipUser HIGH = new SipUser("hg-hugo", "hg-hugo-pw-4", 3104);
    private static final SipUser[] USERS = {MALLORY, CALLEE, LOW, HIGH};

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

    /** A malformed Glare-Tiebreak value as a Net::SIP caller sends it, and the reason the plugin names. */
    record Malformed(String value, String reason) {
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void malformedTiebreaksGet400NamingTheProblemAndCountExactlyOnce() throws Exception {
        GlareStatus status = status().orElseThrow();
        GlareEndpoint callee = registered(CALLEE);
        awaitQuiet(status);
        CrossingCounters before = status.counters();
        List<Malformed> cases = List.of(
                new Malformed("9223372036854775808", "value out of range"),
                new Malformed("18446744073709551616", "value out of range"),
                new Malformed("000000000000000000009223372036854775808", "value out of range"),
                new Malformed("+5", "signed value"),
                new Malformed("-1", "negative value"),
                new Malformed("1.5", "value is not a number"),
                new Malformed("0x10", "value is not a number"),
                new Malformed("five", "value is not a number"),
                new Malformed("5;kind=id;kind=id", "duplicate parameter kind"),
                new Malformed("5;kind", "kind without value"),
                new Malformed("5;kind=sequential", "unknown kind"),
                new Malformed("5;;", "invalid character in parameter name"),
                // CRLF injection: Net::SIP folds it into a continuation line, so this is one field "5 Glare-Tiebreak: 6"
                new Malformed("5\r\nGlare-Tiebreak: 6", "value is not a number"));
        List<String> problems = new ArrayList<>();
        for (Malformed m : cases) {
            Run run = invite(MALLORY, CALLEE, "Glare-Tiebreak=" + m.value());
            int code = run.expect("caller", "FINAL").code();
            String expectedLine = "SIP/2.0 400 Bad Glare-Tiebreak: " + m.reason();
            if (code != 400 || !run.stderr().contains(expectedLine)) {
                problems.add("Glare-Tiebreak: " + printable(m.value()) + " -> " + code + ", expected [" + expectedLine
                        + "]\n" + run.transcript());
            }
            if (run.stderr().contains("Exception") || run.stderr().contains("\tat ")) {
                problems.add("an exception shown to the caller for " + printable(m.value()) + "\n" + run.transcript());
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n\n", problems));
        CrossingCounters after = status.counters();
        assertEquals(cases.size(), after.malformedRefused() - before.malformedRefused(), "counted once each: " + after);
        assertEquals(before.crossingsSeen(), after.crossingsSeen(), "no crossing from a refused INVITE: " + after);
        assertEquals(before.abnormalTotal(), after.abnormalTotal(), "abnormal: " + after.abnormal());
        assertEquals(0, status.pendingInvites(), "nothing held for a refused INVITE");
        assertEquals(0, callee.ports().opened(), "the callee never saw a refused INVITE");
        // the same caller, well-formed, still gets through
        Run ok = invite(MALLORY, CALLEE, "Glare-Tiebreak=77;kind=random");
        assertEquals(200, ok.expect("caller", "FINAL").code(), ok.transcript());
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aCallersOwnGlareResolutionNeverReachesTheCalleeAndTouchesNoOtherCall() throws Exception {
        GlareStatus status = status().orElseThrow();
        List<String> calleeSaw = new CopyOnWriteArrayList<>();
        GlareEndpoint callee = registered(CALLEE, b -> b.onTrace(calleeSaw::add));
        GlareEndpoint low = registered(LOW);
        GlareEndpoint high = registered(HIGH);
        awaitQuiet(status);

        // another call in progress whose Call-ID the forger names: lena calls hugo, hugo has not answered yet
        GATE.hold();
        CallHandle victim;
        try {
            victim = low.prepareCall(high.aor()).send();
            awaitPending(status, 1, "lena's INVITE held by the plugin");
        } finally {
            // hugo is a plain answering device here: let it handle the INVITE now
            GATE.release();
        }
        CallResult victimResult = victim.result().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertTrue(victimResult.established(), "the victim's call: " + victimResult + "\n" + victim.trace());
        String victimCallId = victimResult.sessionCallId();

        awaitQuiet(status);
        CrossingCounters before = status.counters();
        int tracesBefore = calleeSaw.size();
        String[] forged = {
            "accept-peer;call-id=\"" + victimCallId + "\"",
            "accept-peer;call-id=\"no-such-call@127.0.0.1\"",
            "reject",
            "teleport;now",
            "accept-peer",
            "accept;call-id=\"" + victimCallId + "\"",
        };
        for (String value : forged) {
            Run run = invite(MALLORY, CALLEE, "Glare-Resolution=" + value);
            assertEquals(200, run.expect("caller", "FINAL").code(),
                    "a caller's Glare-Resolution is dropped, the call is an ordinary one: " + value + "\n" + run.transcript());
        }
        List<String> leaked = calleeSaw.subList(tracesBefore, calleeSaw.size()).stream()
                .filter(t -> t.toLowerCase(Locale.ROOT).contains("glare-resolution")).toList();
        assertTrue(leaked.isEmpty(), "the callee received a Glare-Resolution it did not get from the server: " + leaked);
        assertTrue(calleeSaw.size() > tracesBefore, "the callee's trace shows the calls (the check above looked at something)");

        awaitQuiet(status);
        CrossingCounters after = status.counters();
        assertEquals(before.crossingsSeen(), after.crossingsSeen(), "no crossing from forged instructions: " + after);
        assertEquals(before.malformedRefused(), after.malformedRefused(), after.toString());
        assertEquals(before.abnormalTotal(), after.abnormalTotal(), "abnormal: " + after.abnormal());
        // the named call is untouched: still established, hung up normally by its own side
        assertFalse(victim.ended().isDone(), "the forged accept-peer did not end the victim's call");
        victim.hangUp();
        victim.ended().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);

        // and a real crossing still resolves to exactly one session
        crossOnce(status, low, high);
        assertEquals(0, callee.ports().open(), "the callee left no port open");
    }

    /** One crossing, lena first and hugo's handling of her INVITE held until the plugin has counted it. */
    private void crossOnce(GlareStatus status, GlareEndpoint first, GlareEndpoint second) throws Exception {
        awaitQuiet(status);
        long crossingsBefore = status.counters().crossingsSeen();
        long sessionsBefore = status.counters().sessionsEstablished();
        GlareEndpoint.PreparedCall p1 = first.prepareCall(second.aor());
        GlareEndpoint.PreparedCall p2 = second.prepareCall(first.aor());
        CrossingGate.Crossing crossing = GATE.cross(p1, p2,
                () -> awaitPending(status, 1, "the first INVITE of the crossing in the pending table"),
                h1 -> poll("the plugin to see the crossing", WAIT, () -> status.counters().crossingsSeen() == crossingsBefore + 1));
        CrossingGate.Session session = crossing.awaitOneSession(WAIT, "");
        crossing.hangUp(WAIT);
        awaitQuiet(status);
        assertEquals(sessionsBefore + 1, status.counters().sessionsEstablished(), status.counters().toString());
        LOG.info("HOSTILE GLARE INPUT: crossing after the forged instructions resolved to one session: {}",
                session.first().sessionCallId());
    }

    // ------------------------------------------------------------------------------ helpers

    private Run invite(SipUser from, SipUser to, String header) {
        return NetSipScript.run("invite.pl", SCRIPT_TIMEOUT, "--proxy", runtime.sipAddress(), "--domain", runtime.domain(),
                "--from", from.name() + ":" + from.password() + ":MD5", "--to", to.name(), "--register", "--header", header);
    }

    private static String printable(String s) {
        return s.replace("\r", "\\r").replace("\n", "\\n");
    }

    private java.util.Optional<GlareStatus> status() {
        return GlarePluginFixture.status(context);
    }

    private GlareEndpoint registered(SipUser user) throws Exception {
        return registered(user, b -> b);
    }

    /** Every device of this class is gated: hugo holds lena's INVITE while a test holds the gate. */
    private GlareEndpoint registered(SipUser user, java.util.function.UnaryOperator<GlareEndpoint.Builder> options)
            throws Exception {
        return FIXTURE.registered(runtime, locations, user, options, GATE);
    }
}
