package io.glareresolver.integrationtests.asterisk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.glareresolver.integrationtests.felix.BoundedWait;
import io.glareresolver.integrationtests.felix.EmbeddedGlareRuntime;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.BundleContext;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

/**
 * Issue 7, AMI: the glare plugin's AMI watcher (Asterisk-Java's {@code ManagerConnection}) in the
 * embedded runtime against {@link AsteriskManagerSimulator} on loopback: two crossing calls seen in
 * events, the higher side's call hung up with the configured cause; the connection dropped
 * mid-stream and re-established by the client; a crossing after that still resolved; the secret
 * never in the logs. One test method: the steps depend on each other.
 */
@ExtendWith(ArquillianExtension.class)
class AsteriskManagerIT {

    static final Duration WAIT = Duration.ofSeconds(15);
    private static final String SECRET = "ami-" + UUID.randomUUID();

    @ArquillianResource
    private EmbeddedGlareRuntime runtime;

    @ArquillianResource
    private BundleContext context;

    private static BundleContext contextForCleanup;

    @AfterAll
    static void watcherOff() throws Exception {
        if (contextForCleanup != null) {
            PbxInRuntime.delete(contextForCleanup, PbxInRuntime.AMI_PID);
        }
    }

    @Test
    void crossingsResolvedAcrossAReconnectAndTheSecretNeverLogged() throws Exception {
        contextForCleanup = context;
        PbxInRuntime.plugin(context);
        try (CapturedOutput output = CapturedOutput.install();
             AsteriskManagerSimulator pbx = new AsteriskManagerSimulator("glare", SECRET)) {
            PbxInRuntime.configure(runtime, PbxInRuntime.AMI_PID, Map.of("host", "127.0.0.1", "port", pbx.port(),
                    "username", "glare", "secret", SECRET, "resolve.action", "hangup", "hangup.cause", 17,
                    "reconnect.initial", 200L, "reconnect.maximum", 2000L));
            pbx.awaitLogin(1, WAIT);
            assertEquals(0, pbx.failedLogins(), "the configured secret answers the MD5 challenge");

            // 1. 201 (value 1001) calls 202 (value 1002), then 202 calls 201: 202 is higher, its own call yields
            crossing("PJSIP/201-00000001", "201", "1001", "PJSIP/202-00000002", "202", "1002", pbx, 1);
            Map<String, String> hangup = pbx.nextCallAction(WAIT);
            assertNotNull(hangup, "a manager action for the crossing");
            assertEquals("Hangup", hangup.get("action"), hangup.toString());
            assertEquals("PJSIP/202-00000002", hangup.get("channel"), "the higher side's (202's) own call");
            assertEquals("17", hangup.get("cause"));
            assertNotNull(hangup.get("actionid"));
            endCalls(pbx, "PJSIP/201-00000001", "PJSIP/202-00000002");

            // 2. a non-crossing pair (211->212, 213->211), then a crossing whose higher side called first
            dial(pbx, "PJSIP/211-00000011", "211", "212", "PJSIP/212-00000111", 11);
            dial(pbx, "PJSIP/213-00000013", "213", "211", "PJSIP/211-00000113", 13);
            crossing("PJSIP/221-00000021", "221", "9", "PJSIP/222-00000022", "222", "3", pbx, 21);
            Map<String, String> second = pbx.nextCallAction(WAIT);
            assertNotNull(second);
            assertEquals("PJSIP/221-00000021", second.get("channel"),
                    "the non-crossing dials drew no action; 221 (9) is higher and called first: its call yields");
            endCalls(pbx, "PJSIP/211-00000011", "PJSIP/213-00000013", "PJSIP/221-00000021", "PJSIP/222-00000022");

            // both actions answered before the drop: a response still in flight when the connection drops
            // is lost with it ("no response"), and then only two of the three could ever be confirmed
            BoundedWait.untilTrue("the first two actions confirmed", WAIT, () -> counter("amiResolved") >= 2);

            // 3. the PBX drops the connection in the middle of an event; Asterisk-Java reconnects and logs in again
            pbx.dropMidStream();
            pbx.awaitLogin(2, WAIT);
            BoundedWait.untilTrue("the watcher connected again", WAIT, () -> counter("amiConnected") == 1);

            // 4. a crossing after the reconnect is still resolved
            crossing("PJSIP/231-00000031", "231", "50", "PJSIP/232-00000032", "232", "60", pbx, 31);
            Map<String, String> third = pbx.nextCallAction(WAIT);
            assertNotNull(third, "a crossing after the reconnect resolved");
            assertEquals("PJSIP/232-00000032", third.get("channel"));
            assertEquals("Hangup", third.get("action"));

            BoundedWait.untilTrue("the three actions confirmed", WAIT, () -> counter("amiResolved") >= 3);
            assertTrue(counter("amiCrossings") >= 3);
            assertTrue(counter("amiConnects") >= 2, "both logins counted");
            assertFalse(PbxInRuntime.recentCrossings(context).isEmpty());

            // 5. the secret is never logged (the logs are not empty: the watcher's lines are there)
            String logs = output.text();
            assertTrue(logs.contains("AMI glare@127.0.0.1:" + pbx.port() + ": logged in"), "the watcher logs its login");
            assertTrue(logs.contains("Hangup PJSIP/232-00000032 cause 17"), "the watcher logs its actions");
            assertFalse(logs.contains(SECRET), "the AMI secret appears in the logs");
            PbxInRuntime.delete(context, PbxInRuntime.AMI_PID);
        }
    }

    @Test
    void placeholderSecretRefusesToConnectAndAWrongSecretIsRetriedWithBackOff() throws Exception {
        contextForCleanup = context;
        PbxInRuntime.plugin(context);
        String wrong = "wrong-" + UUID.randomUUID();
        try (CapturedOutput output = CapturedOutput.install();
             AsteriskManagerSimulator pbx = new AsteriskManagerSimulator("glare", SECRET)) {
            // the shipped placeholder: no connection at all
            PbxInRuntime.configure(runtime, PbxInRuntime.AMI_PID, Map.of("host", "127.0.0.1", "port", pbx.port(),
                    "username", "glare", "secret", "CHANGE-ME"));
            BoundedWait.untilTrue("the placeholder refused", WAIT,
                    () -> output.text().contains("AMI glare@127.0.0.1:" + pbx.port() + ": no secret configured"));
            // a wrong secret: refused by the PBX, retried after 100, 200, 400 ms ... (bounded by 800 ms)
            PbxInRuntime.configure(runtime, PbxInRuntime.AMI_PID, Map.of("host", "127.0.0.1", "port", pbx.port(),
                    "username", "glare", "secret", wrong, "reconnect.initial", 100L, "reconnect.maximum", 800L));
            BoundedWait.untilTrue("three refused logins", WAIT, () -> pbx.failedLogins() >= 3);
            assertEquals(0, pbx.logins());
            assertTrue(output.text().contains("authentication failed (check username and secret); retrying in 200 ms"),
                    "the back-off doubles");
            // the right secret: logged in
            PbxInRuntime.configure(runtime, PbxInRuntime.AMI_PID, Map.of("host", "127.0.0.1", "port", pbx.port(),
                    "username", "glare", "secret", SECRET, "reconnect.initial", 100L));
            pbx.awaitLogin(1, WAIT);
            String logs = output.text();
            assertFalse(logs.contains(wrong), "a wrong secret appears in the logs");
            assertFalse(logs.contains(SECRET), "the secret appears in the logs");
            // off again while the PBX is still there (its logoff is answered)
            PbxInRuntime.delete(context, PbxInRuntime.AMI_PID);
        }
    }

    @Test
    void redirectAndBridgeResolutions() throws Exception {
        contextForCleanup = context;
        PbxInRuntime.plugin(context);
        try (AsteriskManagerSimulator pbx = new AsteriskManagerSimulator("glare", SECRET)) {
            PbxInRuntime.configure(runtime, PbxInRuntime.AMI_PID, Map.of("host", "127.0.0.1", "port", pbx.port(),
                    "username", "glare", "secret", SECRET, "resolve.action", "redirect",
                    "redirect.context", "glare-yield", "redirect.priority", 2));
            pbx.awaitLogin(1, WAIT);
            crossing("PJSIP/241-00000041", "241", "7", "PJSIP/242-00000042", "242", "8", pbx, 41);
            Map<String, String> redirect = pbx.nextCallAction(WAIT);
            assertNotNull(redirect);
            assertEquals("Redirect", redirect.get("action"), redirect.toString());
            assertEquals("PJSIP/242-00000042", redirect.get("channel"));
            assertEquals("glare-yield", redirect.get("context"));
            assertEquals("241", redirect.get("exten"), "empty redirect.exten: the lower side's extension");
            assertEquals("2", redirect.get("priority"));

            PbxInRuntime.configure(runtime, PbxInRuntime.AMI_PID, Map.of("host", "127.0.0.1", "port", pbx.port(),
                    "username", "glare", "secret", SECRET, "resolve.action", "bridge"));
            pbx.awaitLogin(2, WAIT);
            crossing("PJSIP/251-00000051", "251", "70", "PJSIP/252-00000052", "252", "8", pbx, 51);
            Map<String, String> bridge = pbx.nextCallAction(WAIT);
            assertNotNull(bridge);
            assertEquals("Bridge", bridge.get("action"), bridge.toString());
            assertEquals("PJSIP/252-00000052", bridge.get("channel1"), "the lower side's channel");
            assertEquals("PJSIP/251-00000051", bridge.get("channel2"), "the higher side's channel");
            PbxInRuntime.delete(context, PbxInRuntime.AMI_PID);
        }
    }

    private long counter(String name) {
        try {
            return PbxInRuntime.counter(context, name);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Asterisk's events for X dialling Y and then Y dialling X (Newchannel, VarSet, Newstate, DialBegin each). */
    private static void crossing(String chanX, String x, String valueX, String chanY, String y, String valueY,
                                 AsteriskManagerSimulator pbx, int n) throws Exception {
        newCall(pbx, chanX, x, y, valueX, n);
        dial(pbx, chanX, x, y, "PJSIP/" + y + "-1" + String.format("%07d", n), n);
        newCall(pbx, chanY, y, x, valueY, n + 1);
        dial(pbx, chanY, y, x, "PJSIP/" + x + "-1" + String.format("%07d", n + 1), n + 1);
    }

    private static void newCall(AsteriskManagerSimulator pbx, String channel, String caller, String exten, String value,
                                int n) throws Exception {
        String uid = "1732540000." + n;
        pbx.event("Event", "Newchannel", "Privilege", "call,all", "Channel", channel, "ChannelState", "0",
                "ChannelStateDesc", "Down", "CallerIDNum", caller, "CallerIDName", "Ext " + caller,
                "ConnectedLineNum", "<unknown>", "ConnectedLineName", "<unknown>", "Language", "en", "AccountCode", "",
                "Context", "glare-internal", "Exten", exten, "Priority", "1", "Uniqueid", uid, "Linkedid", uid);
        pbx.event("Event", "VarSet", "Privilege", "dialplan,all", "Channel", channel, "ChannelState", "4",
                "ChannelStateDesc", "Ring", "CallerIDNum", caller, "CallerIDName", "Ext " + caller,
                "Context", "glare-internal", "Exten", exten, "Priority", "2", "Uniqueid", uid, "Linkedid", uid,
                "Variable", "GLARE_TIEBREAK", "Value", value);
    }

    private static void dial(AsteriskManagerSimulator pbx, String channel, String caller, String exten, String destChannel,
                             int n) throws Exception {
        String uid = "1732540000." + n;
        pbx.event("Event", "Newstate", "Privilege", "call,all", "Channel", channel, "ChannelState", "4",
                "ChannelStateDesc", "Ring", "CallerIDNum", caller, "Uniqueid", uid, "Linkedid", uid);
        pbx.event("Event", "DialBegin", "Privilege", "call,all", "Channel", channel, "ChannelState", "4",
                "ChannelStateDesc", "Ring", "CallerIDNum", caller, "CallerIDName", "Ext " + caller,
                "ConnectedLineNum", "<unknown>", "ConnectedLineName", "<unknown>", "Language", "en", "AccountCode", "",
                "Context", "glare-internal", "Exten", exten, "Priority", "5", "Uniqueid", uid, "Linkedid", uid,
                "DestChannel", destChannel, "DestChannelState", "0", "DestChannelStateDesc", "Down",
                "DestCallerIDNum", exten, "DestCallerIDName", "<unknown>", "DestConnectedLineNum", caller,
                "DestConnectedLineName", "Ext " + caller, "DestLanguage", "en", "DestAccountCode", "",
                "DestContext", "glare-internal", "DestExten", exten, "DestPriority", "1",
                "DestUniqueid", uid + "1", "DestLinkedid", uid, "DialString", exten);
    }

    private static void endCalls(AsteriskManagerSimulator pbx, String... channels) throws Exception {
        for (String c : channels) {
            pbx.event("Event", "Hangup", "Privilege", "call,all", "Channel", c, "ChannelState", "6",
                    "ChannelStateDesc", "Up", "Uniqueid", "1732540000.9" + Math.abs(c.hashCode() % 1000),
                    "Cause", "16", "Cause-txt", "Normal Clearing");
        }
    }
}
