package io.glareresolver.integrationtests.asterisk;

import org.osgi.framework.ServiceReference;

import java.util.regex.Pattern;

import java.util.regex.Matcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.glareresolver.integrationtests.TestUsers;
import io.glareresolver.integrationtests.felix.BoundedWait;
import io.glareresolver.integrationtests.felix.EmbeddedGlareRuntime;
import io.glareresolver.integrationtests.felix.LoopbackPorts;
import io.glareresolver.sip.api.LocationService;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

import java.time.Duration;
import java.util.Map;

/**
 * Issue 7, FastAGI: the glare plugin's FastAGI server (Asterisk-Java's {@code DefaultAgiServer})
 * in the embedded runtime, with the Asterisk-Java bundles of the runtime, called over loopback by
 * {@link AsteriskAgiCall} playing Asterisk's side of {@code AGI(agi://127.0.0.1:PORT/glare,...)}.
 * The channel variables the script sets are asserted.
 */
@ExtendWith(ArquillianExtension.class)
class AsteriskFastAgiIT {

    static final Duration WAIT = Duration.ofSeconds(10);
    private static CapturedOutput output;
    private static int port;

    @ArquillianResource
    private EmbeddedGlareRuntime runtime;

    @ArquillianResource
    private BundleContext context;

    @BeforeAll
    static void capture() {
        output = CapturedOutput.install();
        port = LoopbackPorts.freeTcpPort();
    }

    @AfterAll
    static void release() {
        output.close();
    }

    @BeforeEach
    void agiServerOn() throws Exception {
        PbxInRuntime.plugin(context);
        PbxInRuntime.configure(runtime, PbxInRuntime.AGI_PID,
                Map.of("bind.address", "127.0.0.1", "port", port, "tiebreak.source", "endpoint", "pending.timeout", 60000L,
                "read.timeout", 1000L));
        PbxInRuntime.awaitListening(port, WAIT);
    }

    @AfterEach
    void agiServerOff() throws Exception {
        PbxInRuntime.delete(context, PbxInRuntime.AGI_PID);
        BoundedWait.untilTrue("the FastAGI port closed after the configuration was deleted", WAIT, () -> {
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 300);
                return false;
            } catch (java.io.IOException e) {
                return true;
            }
        });
    }

    @Test
    void asteriskJavaBundlesResolveAndThePluginStaysActive() {
        for (String bsn : new String[]{"org.asteriskjava", "com.google.guava", "com.google.guava.failureaccess",
                "org.reflections", "javassist"}) {
            Bundle b = PbxInRuntime.bundle(context, bsn);
            assertEquals(Bundle.ACTIVE, b.getState(), bsn + " active");
            assertEquals(3, b.adapt(org.osgi.framework.startlevel.BundleStartLevel.class).getStartLevel(), bsn);
        }
    }

    @Test
    void nonCrossingCallGetsGlare0() throws Exception {
        AsteriskAgiCall.Result r = AsteriskAgiCall.of("glare", port, "PJSIP/101-00000001", "101", "102")
                .args("101", "102", "1001").run(port, WAIT);
        assertTrue(r.closedByServer(), r.toString());
        assertEquals("0", r.get("GLARE"), r.toString());
        assertEquals("NONE", r.get("GLARE_ACTION"));
        assertEquals("", r.get("GLARE_PEER_CHANNEL"));
        assertEquals("SUCCESS", r.get("AJ_AGISTATUS"));
        end("PJSIP/101-00000001");
    }

    @Test
    void crossingWhereTheSecondCallerIsHigherAccepts() throws Exception {
        AsteriskAgiCall.Result first = AsteriskAgiCall.of("glare", port, "PJSIP/111-00000011", "111", "112")
                .args("111", "112", "1001").run(port, WAIT);
        assertEquals("0", first.get("GLARE"));
        AsteriskAgiCall.Result second = AsteriskAgiCall.of("glare", port, "PJSIP/112-00000012", "112", "111")
                .args("112", "111", "1002").run(port, WAIT);
        assertEquals("1", second.get("GLARE"), second.toString());
        assertEquals("ACCEPT", second.get("GLARE_ACTION"), "112 (1002) is higher: it takes 111's call");
        assertEquals("PJSIP/111-00000011", second.get("GLARE_PEER_CHANNEL"));
        assertEquals("SECOND_HIGHER_VALUE", second.get("GLARE_REASON"));
        assertEquals("SUCCESS", second.get("AJ_AGISTATUS"));
    }

    @Test
    void theShellCommandsShowThePbxSideBesideTheSipSide() throws Exception {
        AsteriskAgiCall.of("glare", port, "PJSIP/141-00000041", "141", "142").args("141", "142", "7").run(port, WAIT);
        AsteriskAgiCall.of("glare", port, "PJSIP/142-00000042", "142", "141").args("142", "141", "8").run(port, WAIT);
        // glare:status and glare:crossings as Gogo runs them: the commands service's methods
        String status = glareCommand("status");
        assertTrue(status.contains("tiebreak.source:"), status);
        Matcher agi = Pattern.compile("PBX FastAGI: requests (\\d+), crossings (\\d+), refused (\\d+)").matcher(status);
        assertTrue(agi.find(), status);
        assertTrue(Long.parseLong(agi.group(2)) >= 1, status);
        assertTrue(status.contains("PBX AMI: "), status);
        String crossings = glareCommand("crossings");
        assertTrue(crossings.contains("PBX crossings:"), crossings);
        assertTrue(crossings.lines().anyMatch(l -> l.contains("AGI") && l.contains("141 (7)") && l.contains("142 (8)")),
                crossings);
        end("PJSIP/141-00000041");
        end("PJSIP/142-00000042");
    }

    /** Calls a {@code glare:} Gogo command function on the plugin's command service (its class is not shared). */
    private String glareCommand(String function) throws Exception {
        BundleContext context = runtime.bundleContext();
        ServiceReference<?>[] refs = context.getServiceReferences((String) null, "(osgi.command.scope=glare)");
        assertTrue(refs != null && refs.length == 1, "one glare command service");
        Object commands = context.getService(refs[0]);
        try {
            return (String) commands.getClass().getMethod(function).invoke(commands);
        } finally {
            context.ungetService(refs[0]);
        }
    }

    @Test
    void crossingWhereTheSecondCallerIsLowerRejects() throws Exception {
        assertEquals("0", AsteriskAgiCall.of("glare", port, "PJSIP/121-00000021", "121", "122")
                .args("121", "122", "9").run(port, WAIT).get("GLARE"));
        AsteriskAgiCall.Result second = AsteriskAgiCall.of("glare", port, "PJSIP/122-00000022", "122", "121")
                .args("122", "121", "3").run(port, WAIT);
        assertEquals("1", second.get("GLARE"));
        assertEquals("REJECT", second.get("GLARE_ACTION"), "122 (3) is lower: its call stays, 121's yields");
        assertEquals("PJSIP/121-00000021", second.get("GLARE_PEER_CHANNEL"));
        assertEquals("FIRST_HIGHER_VALUE", second.get("GLARE_REASON"));
    }

    @Test
    void equalValuesAreOrderedByExtension() throws Exception {
        AsteriskAgiCall.of("glare", port, "PJSIP/131-00000031", "131", "132").args("131", "132", "5").run(port, WAIT);
        AsteriskAgiCall.Result second = AsteriskAgiCall.of("glare", port, "PJSIP/132-00000032", "132", "131")
                .args("132", "131", "5").run(port, WAIT);
        assertEquals("ACCEPT", second.get("GLARE_ACTION"), "equal values: \"132\" sorts after \"131\"");
        assertEquals("SECOND_HIGHER_AOR", second.get("GLARE_REASON"));
    }

    @Test
    void valuesFromChannelVariablesAndDefaultsFromTheAgiEnvironment() throws Exception {
        // no arguments at all: caller from agi_callerid, callee from agi_extension, value from GLARE_TIEBREAK
        AsteriskAgiCall.Result first = AsteriskAgiCall.of("glare", port, "PJSIP/141-00000041", "141", "142")
                .variable("GLARE_TIEBREAK", "700").run(port, WAIT);
        assertEquals("0", first.get("GLARE"));
        assertTrue(first.commands().stream().anyMatch(c -> c.startsWith("GET VARIABLE") && c.contains("GLARE_TIEBREAK")),
                first.commands().toString());
        AsteriskAgiCall.Result second = AsteriskAgiCall.of("glare", port, "PJSIP/142-00000042", "142", "141")
                .variable("GLARE_TIEBREAK", "600").run(port, WAIT);
        assertEquals("1", second.get("GLARE"));
        assertEquals("REJECT", second.get("GLARE_ACTION"), "142 (600) below 141 (700)");
    }

    @Test
    void valuesFromTheRegistrar() throws Exception {
        LocationService locations = runtime.awaitService(LocationService.class, WAIT);
        TestUsers.install(runtime, locations);
        // alice = 1001, bob = 1002 in the SIP users file; no value in the call
        AsteriskAgiCall.of("glare", port, "PJSIP/alice-00000051", "alice", "bob").args("alice", "bob").run(port, WAIT);
        AsteriskAgiCall.Result second = AsteriskAgiCall.of("glare", port, "PJSIP/bob-00000052", "bob", "alice")
                .args("bob", "alice").run(port, WAIT);
        assertEquals("1", second.get("GLARE"));
        assertEquals("ACCEPT", second.get("GLARE_ACTION"), "bob's registrar ID 1002 is above alice's 1001");
        assertEquals("SECOND_HIGHER_VALUE", second.get("GLARE_REASON"));
    }

    @Test
    void registrarPolicyIgnoresTheOfferedValues() throws Exception {
        LocationService locations = runtime.awaitService(LocationService.class, WAIT);
        TestUsers.install(runtime, locations);
        // only the policy changes (the listening settings are those of setUp): applied in place
        PbxInRuntime.configure(runtime, PbxInRuntime.AGI_PID, Map.of("bind.address", "127.0.0.1", "port", port,
                "tiebreak.source", "registrar", "pending.timeout", 60000L, "read.timeout", 1000L));
        // carol (1003) offers the biggest value; dave (1004) offers 0: the registrar's IDs decide.
        // Config Admin delivers the change asynchronously: cross again (fresh channels, the previous
        // pair ended with glare-end) until the new policy answers, within WAIT.
        int[] round = {0};
        AsteriskAgiCall.Result[] second = new AsteriskAgiCall.Result[1];
        BoundedWait.untilTrue("tiebreak.source=registrar in force", WAIT, () -> {
            int r = ++round[0];
            String carol = "PJSIP/carol-0000" + (300 + r);
            String dave = "PJSIP/dave-0000" + (300 + r);
            try {
                AsteriskAgiCall.of("glare", port, carol, "carol", "dave").args("carol", "dave", "9223372036854775807").run(port, WAIT);
                second[0] = AsteriskAgiCall.of("glare", port, dave, "dave", "carol").args("dave", "carol", "0").run(port, WAIT);
                AsteriskAgiCall.of("glare-end", port, carol, "carol", "h").run(port, WAIT);
                AsteriskAgiCall.of("glare-end", port, dave, "dave", "h").run(port, WAIT);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return "ACCEPT".equals(second[0].get("GLARE_ACTION"));
        });
        assertEquals("1", second[0].get("GLARE"));
        assertEquals("ACCEPT", second[0].get("GLARE_ACTION"), "dave's registrar ID 1004 beats carol's 1003");
    }

    @Test
    void missingValues() throws Exception {
        // neither side has a value (unknown to the registrar): cannot be ordered
        AsteriskAgiCall.of("glare", port, "PJSIP/161-00000061", "161", "162").args("161", "162").run(port, WAIT);
        AsteriskAgiCall.Result none = AsteriskAgiCall.of("glare", port, "PJSIP/162-00000062", "162", "161")
                .args("162", "161", "").run(port, WAIT);
        assertEquals("1", none.get("GLARE"));
        assertEquals("NONE", none.get("GLARE_ACTION"));
        assertEquals("BOTH_MISSING", none.get("GLARE_REASON"));
        assertEquals("PJSIP/161-00000061", none.get("GLARE_PEER_CHANNEL"));
        // only the second has none: it is refused (seed claim 8), i.e. it takes the other's call
        AsteriskAgiCall.of("glare", port, "PJSIP/171-00000071", "171", "172").args("171", "172", "4").run(port, WAIT);
        AsteriskAgiCall.Result one = AsteriskAgiCall.of("glare", port, "PJSIP/172-00000072", "172", "171")
                .args("172", "171").run(port, WAIT);
        assertEquals("SECOND_MISSING", one.get("GLARE_REASON"));
        assertEquals("ACCEPT", one.get("GLARE_ACTION"));
    }

    @Test
    void glareEndForgetsThePendingCall() throws Exception {
        AsteriskAgiCall.of("glare", port, "PJSIP/181-00000081", "181", "182").args("181", "182", "1").run(port, WAIT);
        AsteriskAgiCall.Result end = AsteriskAgiCall.of("glare-end", port, "PJSIP/181-00000081", "181", "h").run(port, WAIT);
        assertEquals("SUCCESS", end.get("AJ_AGISTATUS"));
        AsteriskAgiCall.Result later = AsteriskAgiCall.of("glare", port, "PJSIP/182-00000082", "182", "181")
                .args("182", "181", "2").run(port, WAIT);
        assertEquals("0", later.get("GLARE"), "181's call has ended: no crossing");
        end("PJSIP/182-00000082");
    }

    @Test
    void malformedRequestsGetAnAgiFailureAndALogLine() throws Exception {
        AsteriskAgiCall.Result badValue = AsteriskAgiCall.of("glare", port, "PJSIP/191-00000091", "191", "192")
                .args("191", "192", "-5").run(port, WAIT);
        assertTrue(badValue.closedByServer(), "never a stuck channel");
        assertEquals("FAILED", badValue.get("AJ_AGISTATUS"), badValue.toString());
        assertTrue(badValue.get("GLARE_ERROR").contains("negative value"), badValue.get("GLARE_ERROR"));
        assertNull(badValue.get("GLARE"), "no verdict on a malformed request");

        AsteriskAgiCall.Result noCaller = AsteriskAgiCall.of("glare", port, "PJSIP/anon-00000092", null, "192")
                .run(port, WAIT);
        assertEquals("FAILED", noCaller.get("AJ_AGISTATUS"));
        assertTrue(noCaller.get("GLARE_ERROR").contains("caller"), noCaller.get("GLARE_ERROR"));

        AsteriskAgiCall.Result badExtension = AsteriskAgiCall.of("glare", port, "PJSIP/193-00000093", "193", "192")
                .args("193", "19 2;rm").run(port, WAIT);
        assertEquals("FAILED", badExtension.get("AJ_AGISTATUS"));

        AsteriskAgiCall.Result unknownScript = AsteriskAgiCall.of("no-such-script", port, "PJSIP/194-00000094", "194", "192")
                .run(port, WAIT);
        assertEquals("NOT_FOUND", unknownScript.get("AJ_AGISTATUS"));

        // no agi_network_script, lines that are no agi_ variables: not found, the connection is closed
        AsteriskAgiCall.Result garbage = AsteriskAgiCall.runRaw(port, WAIT, "agi_network: yes\nHELLO THERE\nthis is no agi\n\n");
        assertTrue(garbage.closedByServer(), "a garbage request is not left hanging");
        assertEquals("NOT_FOUND", garbage.get("AJ_AGISTATUS"), garbage.toString());
        // a peer that stops in the middle of the environment block is dropped after read.timeout (set to 1 s here)
        AsteriskAgiCall.Result cut = AsteriskAgiCall.runRaw(port, WAIT, "agi_network: yes\nagi_network_script: glare\n");
        assertTrue(cut.closedByServer(), "a half request does not hold the server's worker for ever");

        BoundedWait.untilTrue("the refusal logged", WAIT,
                () -> output.text().contains("AGI glare request refused") && output.text().contains("negative value"));
        // and the server still answers
        AsteriskAgiCall.Result after = AsteriskAgiCall.of("glare", port, "PJSIP/195-00000095", "195", "196")
                .args("195", "196", "1").run(port, WAIT);
        assertEquals("0", after.get("GLARE"));
        end("PJSIP/195-00000095");
        assertTrue(PbxInRuntime.counter(context, "agiFailures") >= 3, "refusals counted");
    }

    private void end(String channel) throws Exception {
        AsteriskAgiCall.of("glare-end", port, channel, "x", "h").run(port, WAIT);
    }
}
