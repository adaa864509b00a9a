package io.glareresolver.integrationtests.operations;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.glareresolver.endpoint.CallHandle;
import io.glareresolver.endpoint.CallResult;
import io.glareresolver.endpoint.GlareEndpoint;
import io.glareresolver.endpoint.testing.InboundInviteGate;
import io.glareresolver.integrationtests.CrossingGate;
import io.glareresolver.integrationtests.felix.SipUsersFile.SipUser;
import io.glareresolver.protocol.TiebreakValue;
import io.glareresolver.integrationtests.runtime.RuntimeProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Operations (issue 6) on the real runtime ({@link RuntimeProcess}: {@code bin/start} of a
 * copy of the felix-config assembly, free loopback ports): hot deploy through FileInstall with
 * two registered endpoints (copy in, cross, replace, cross, delete, plain), registrations asserted
 * through the registrar ({@code sip:registrations}) and an established call's BYE across the
 * delete; the Gogo commands; the Web Console page's data, its switch (POST with the page token,
 * written to Config Admin and back to {@code etc/}); an invalid setting refused and shown.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperationsRuntimeIT {

    static final SipUser LOW = new SipUser("op-lena", "op-lena-pw-1", 4001);
    static final SipUser HIGH = new SipUser("op-hugo", "op-hugo-pw-2", 4002);
    static final SipUser THIRD = new SipUser("op-tom", "op-tom-pw-3", 4003);
    static final Duration WAIT = Duration.ofSeconds(20);
    /** Holds the second caller's handling of the first INVITE until the server has counted the crossing. */
    static final CrossingGate GATE = new CrossingGate();

    static RuntimeProcess runtime;
    static final List<GlareEndpoint> OPEN = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        Path work = Files.createDirectories(Path.of("target/operations").toAbsolutePath());
        runtime = RuntimeProcess.in(work).users(LOW, HIGH, THIRD).start();
    }

    @AfterAll
    static void stop() throws Exception {
        for (GlareEndpoint ep : OPEN) {
            ep.close();
        }
        if (runtime != null) {
            runtime.close();
        }
    }

    static GlareEndpoint endpoint(SipUser user, boolean gated) {
        GlareEndpoint.Builder b = GlareEndpoint.builder().user(user.name()).password(user.password())
                .server(runtime.sipHost(), runtime.sipPort()).domain(runtime.domain()).id(user.endpointId())
                .ackTimeout(Duration.ofSeconds(5)).glareTimeout(Duration.ofSeconds(8));
        GlareEndpoint ep = gated ? InboundInviteGate.build(b, GATE::get) : b.build();
        OPEN.add(ep);
        return ep;
    }

    static long number(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":(-?\\d+)").matcher(json);
        assertTrue(m.find(), key + " in " + json);
        return Long.parseLong(m.group(1));
    }

    /**
     * One crossing, arrival order fixed: {@code first} sends, the server holds it as pending
     * (read from the Glare page's data), {@code second} sends, and once the server counted the
     * crossing the second caller may handle the first INVITE.
     *
     * @return the two results and what each endpoint saw, first caller's first
     */
    static Crossed cross(GlareEndpoint first, GlareEndpoint second) throws Exception {
        return cross(first, second, true);
    }

    /** What the two endpoints of one crossing saw. */
    record Crossed(CallResult first, CallResult second, List<String> firstTrace, List<String> secondTrace) {
    }

    /** @param counted whether the server's plugin is in the path (it counts the crossing, which opens the gate) */
    static Crossed cross(GlareEndpoint first, GlareEndpoint second, boolean counted) throws Exception {
        long seen = number(runtime.data(), "crossingsSeen");
        GlareEndpoint.PreparedCall p1 = first.prepareCall(second.aor());
        GlareEndpoint.PreparedCall p2 = second.prepareCall(first.aor());
        String toFirst = "INVITE forwarded to sip:" + first.aor() + ":";
        int forwardsBefore = occurrences(runtime.logText(), toFirst);
        CrossingGate.Crossing crossing = GATE.cross(p1, p2, () -> {
            if (counted) {
                runtime.poll("the first INVITE pending at the server", () -> number(runtime.data(), "pendingInvites") == 1);
            }
        }, h1 -> {
            if (counted) {
                runtime.poll("the server to count the crossing", () -> number(runtime.data(), "crossingsSeen") == seen + 1);
            } else {
                // no plugin in the path to count it: the proxy's log line of the second INVITE's forwarding opens the gate
                runtime.poll("the second INVITE forwarded", () -> occurrences(runtime.logText(), toFirst) == forwardsBefore + 1);
            }
        });
        CrossingGate.Session session = crossing.awaitOneSession(WAIT, "");
        crossing.hangUp(WAIT);
        runtime.poll("the crossing recorded", () -> number(runtime.data(), "inProgress") == 0
                && number(runtime.data(), "pendingInvites") == 0);
        return new Crossed(session.first(), session.second(), crossing.first().trace(), crossing.second().trace());
    }

    static int occurrences(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    static void assertRegistered(String what, String... aors) throws Exception {
        String regs = runtime.gogo("sip:registrations");
        for (String aor : aors) {
            assertTrue(regs.contains(aor), what + ": " + aor + " in sip:registrations:\n" + regs);
        }
    }

    @Test
    @Order(1)
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void hotDeployKeepsRegistrationsAndCallsAndTheGogoCommandsReportIt() throws Exception {
        GlareEndpoint low = endpoint(LOW, false);
        GlareEndpoint high = endpoint(HIGH, true);
        low.register();
        high.register();
        assertRegistered("before the plugin is deployed", low.aor(), high.aor());
        assertTrue(runtime.gogo("glare:status").contains("CommandNotFoundException"), "no glare commands yet");

        // 1. copy the jar in: installed and started
        runtime.deployPlugin(RuntimeProcess.PLUGIN_JAR);
        runtime.awaitPluginPage(true);
        runtime.poll("the plugin's interceptor bound by the SIP server",
                () -> runtime.data().contains("\"boundToSipServer\":true"));
        String status = runtime.gogo("glare:status");
        assertTrue(status.contains("glare plugin: enabled"), status);
        assertTrue(status.contains("crossings seen: 0"), status);
        assertEquals("no crossings yet", runtime.gogo("glare:crossings"));
        assertRegistered("after the deploy", low.aor(), high.aor());

        // cross: one session, counted by the plugin, shown by glare:crossings
        Crossed r = cross(low, high);
        assertEquals(200, r.first().status(), "L (4001) sent first: its INVITE is the session");
        assertEquals(491, r.second().status(), "H got 491");
        status = runtime.gogo("glare:status");
        assertTrue(status.contains("crossings seen: 1"), status);
        assertTrue(status.contains("sessions established: 1"), status);
        String crossings = runtime.gogo("glare:crossings 5");
        assertTrue(crossings.contains(low.aor() + " (4001)") && crossings.contains(high.aor() + " (4002)")
                && crossings.contains("SESSION_ESTABLISHED"), crossings);

        // 2. replace the jar with a rebuilt copy: FileInstall updates the bundle
        Path rebuilt = RuntimeProcess.withBundleVersion(RuntimeProcess.PLUGIN_JAR,
                runtime.home().resolveSibling("glare-bundle-rebuilt.jar"), "0.1.0.rebuilt");
        runtime.deployPlugin(rebuilt);
        runtime.poll("the rebuilt plugin active", () -> runtime.get("/system/console/bundles.json").body()
                .contains("0.1.0.rebuilt"));
        runtime.awaitPluginPage(true);
        runtime.poll("the updated plugin bound", () -> runtime.data().contains("\"boundToSipServer\":true"));
        assertRegistered("after the update", low.aor(), high.aor());
        assertTrue(runtime.gogo("glare:status").contains("crossings seen: 0"), "a new plugin instance counts afresh");
        r = cross(low, high);
        assertEquals(200, r.first().status());
        assertEquals(491, r.second().status());
        assertTrue(runtime.gogo("glare:status").contains("crossings seen: 1"));

        // 3. an established call survives the delete: its BYE still routes
        CallHandle call = low.call(high.aor());
        CallResult up = call.result().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertTrue(up.established(), up + "\n" + call.trace());
        runtime.deletePlugin();
        runtime.awaitPluginPage(false);
        runtime.poll("the plugin's interceptor unbound", () -> runtime.logText()
                .contains("interceptor unbound: io.glareresolver.glare.impl.component.GlareComponent"));
        call.hangUp();
        CallResult ended = call.ended().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertTrue(call.trace().stream().anyMatch(l -> l.contains("BYE")), "BYE sent: " + call.trace());
        assertRegistered("after the delete", low.aor(), high.aor());
        assertTrue(runtime.gogo("glare:status").contains("CommandNotFoundException"), "the glare commands are gone");

        // plain behaviour: the registrar's 200 OK no longer carries the plugin's Glare-Tiebreak
        GlareEndpoint third = endpoint(THIRD, false);
        assertEquals(Optional.empty(), third.register().tiebreak(), "no glare plugin, no Glare-Tiebreak on REGISTER 200 OK");
        assertRegistered("a new registration without the plugin", third.aor(), low.aor(), high.aor());
        assertTrue(runtime.alive(), "the runtime keeps running; ended call: " + ended);

        // and back: deployed again, REGISTER 200 OK carries the endpoint ID again
        runtime.deployPlugin(RuntimeProcess.PLUGIN_JAR);
        runtime.awaitPluginPage(true);
        runtime.poll("bound again", () -> runtime.data().contains("\"boundToSipServer\":true"));
        assertEquals(Optional.of(TiebreakValue.id(THIRD.endpointId())), third.register().tiebreak());
    }

    @Test
    @Order(2)
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void consoleSwitchIsAPostWithThePageTokenWrittenToConfigAdminAndInvalidSettingsAreRefused() throws Exception {
        if (!runtime.pluginDeployed()) {
            runtime.deployPlugin(RuntimeProcess.PLUGIN_JAR);
        }
        runtime.awaitPluginPage(true);
        var page = runtime.get("/system/console/glare");
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("Recent crossings"), "the console frame holds the plugin's content");
        Matcher token = Pattern.compile("data-token=\"([0-9a-f]+)\"").matcher(page.body());
        assertTrue(token.find(), "the page carries its token");
        assertEquals(401, java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(runtime.consoleUrl("/system/console/glare/data.json"))).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode(), "the console's login guards the page");
        assertEquals(200, runtime.get("/system/console/glare?action=disable").statusCode());
        assertTrue(runtime.data().contains("\"enabled\":true"), "GET does not switch");
        assertEquals(403, runtime.post("/system/console/glare", "action=disable", null).statusCode(),
                "a POST without the page token is refused");
        assertEquals(403, runtime.post("/system/console/glare", "action=disable", "00" + token.group(1)).statusCode());
        assertEquals(200, runtime.post("/system/console/glare", "action=disable", token.group(1)).statusCode());
        runtime.poll("the plugin disabled", () -> runtime.data().contains("\"enabled\":false"));
        assertTrue(runtime.gogo("glare:status").contains("glare plugin: disabled"));
        Path glareCfg = runtime.home().resolve("etc/io.glareresolver.glare.cfg");
        runtime.poll("FileInstall writing enabled = false back to etc/ (survives a restart)",
                () -> Pattern.compile("(?m)^enabled\\s*=\\s*\\S*false").matcher(read(glareCfg)).find());
        assertTrue(runtime.gogo("glare:enable").contains("enable"));
        runtime.poll("the plugin enabled by glare:enable", () -> runtime.data().contains("\"enabled\":true"));

        // an invalid setting is refused, named, and the previous value stays in force
        Files.writeString(glareCfg, "enabled = true\ntiebreak.source = registrar\n");
        runtime.poll("policy registrar", () -> runtime.data().contains("\"policy\":\"registrar\""));
        Files.writeString(glareCfg, "enabled = true\ntiebreak.source = coinflip\nglare.ng-timeout = -5\n");
        runtime.poll("the refusal shown on the Glare page", () -> runtime.data().contains("coinflip"));
        String data = runtime.data();
        assertTrue(data.contains("glare.ng-timeout=-5"), "the refusal names the setting: " + data);
        assertTrue(data.contains("tiebreak.source='coinflip': must be 'endpoint' or 'registrar'"), data);
        assertTrue(data.contains("\"policy\":\"registrar\""), "the previous policy stays in force: " + data);
        String status = runtime.gogo("glare:status");
        assertTrue(status.contains("last refused setting:") && status.contains("glare.ng-timeout=-5: must be"), status);
        assertTrue(status.contains("tiebreak.source: registrar"), status);
        assertTrue(runtime.logText().contains("glare settings refused, the previous settings stay in force"));
        Files.writeString(glareCfg, "enabled = true\ntiebreak.source = endpoint\n");
        runtime.poll("policy endpoint again", () -> runtime.data().contains("\"policy\":\"endpoint\""));

        // the SIP server's own settings: an invalid value is refused by name, the server keeps running
        Path sipCfg = runtime.home().resolve("etc/io.glareresolver.sip.server.cfg");
        Files.writeString(sipCfg, "port = " + runtime.sipPort() + "\nnonce.lifetime = -3\n");
        runtime.poll("the SIP server's refusal in the log", () -> runtime.logText().contains("setting nonce.lifetime='-3' refused"));
        assertFalse(runtime.logText().contains("SIP server not started"), runtime.tail());
    }

    @Test
    @Order(3)
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void consolePageInAHeadlessBrowser() throws Exception {
        if (!runtime.pluginDeployed()) {
            runtime.deployPlugin(RuntimeProcess.PLUGIN_JAR);
        }
        runtime.awaitPluginPage(true);
        runtime.poll("bound", () -> runtime.data().contains("\"boundToSipServer\":true"));
        GlareEndpoint low = OPEN.stream().filter(e -> e.aor().startsWith(LOW.name() + "@")).findFirst().orElseThrow();
        GlareEndpoint high = OPEN.stream().filter(e -> e.aor().startsWith(HIGH.name() + "@")).findFirst().orElseThrow();
        Path shots = Files.createDirectories(Path.of("target/operations/screenshots").toAbsolutePath());
        try (ConsoleBrowser browser = ConsoleBrowser.open(runtime, shots)) {
            browser.openGlarePage();
            long seen = browser.counter("crossingsSeen");
            assertEquals(number(runtime.data(), "crossingsSeen"), seen, "the page shows the plugin's counter");
            browser.markNoReload();
            browser.screenshot("1-glare-page.png");

            // off: the next crossing goes past the plugin (endpoints resolve it themselves), nothing counted
            browser.flipSwitch("disabled");
            assertTrue(runtime.gogo("glare:status").contains("glare plugin: disabled"));
            Crossed plain = cross(low, high, false);
            assertTrue(plain.first().established(), "endpoints resolve a crossing on a plain proxy too: " + plain);
            browser.awaitRefresh();
            assertEquals(seen, browser.counter("crossingsSeen"), "disabled: the crossing is not seen by the plugin");

            // on: the next crossing is resolved by the server, the page shows it without a reload
            browser.flipSwitch("enabled");
            Crossed resolved = cross(low, high, true);
            browser.awaitCounter("crossingsSeen", seen + 1);
            assertTrue(browser.stillSamePage(), "the page refreshed its data without reloading");
            assertEquals(number(runtime.data(), "sessionsEstablished"), browser.counter("sessionsEstablished"),
                    "sessions shown as the plugin counts them");
            browser.screenshot("2-after-crossing.png");

            // its ladder: the arrows against what the endpoints saw
            String lCall = resolved.first().sessionCallId();
            List<ConsoleBrowser.Arrow> arrows = browser.openLadderOfNewestCrossing();
            // L's end-to-end ACK of the 2xx completes the crossing's record a moment after it ended
            for (int refresh = 0; refresh < 5 && !arrows.contains(new ConsoleBrowser.Arrow("server", "H", "ACK", lCall)); refresh++) {
                browser.awaitRefresh();
                arrows = browser.openLadderOfNewestCrossing();
            }
            browser.screenshot("3-ladder.png");
            browser.scrollToLastArrow();
            browser.screenshot("4-ladder-end.png");
            String where = arrows + "\nL saw " + resolved.firstTrace() + "\nH saw " + resolved.secondTrace();
            assertEquals(200, resolved.first().status(), where);
            assertEquals(491, resolved.second().status(), where);
            assertTrue(arrows.contains(new ConsoleBrowser.Arrow("L", "server", "INVITE", lCall)), where);
            assertTrue(arrows.contains(new ConsoleBrowser.Arrow("server", "H", "INVITE", lCall)), where);
            assertTrue(arrows.stream().anyMatch(a -> a.from().equals("H") && a.to().equals("server")
                    && a.label().startsWith("200") && a.callId().equals(lCall)), where);
            assertTrue(arrows.stream().anyMatch(a -> a.from().equals("server") && a.to().equals("L")
                    && a.label().startsWith("200") && a.callId().equals(lCall)), where);
            ConsoleBrowser.Arrow ng = arrows.stream().filter(a -> a.from().equals("server") && a.to().equals("H")
                    && a.label().startsWith("491")).findFirst().orElseThrow(() -> new AssertionError("491 to H: " + where));
            assertTrue(ng.headers().contains("accept-peer") && ng.headers().contains(lCall), "the 491 to H names L's call: " + where);
            assertTrue(arrows.stream().anyMatch(a -> a.from().equals("server") && a.to().equals("L")
                    && a.label().equals("INVITE") && a.headers().contains("Glare-Resolution: reject")), where);
            // the ACK of H's 200 OK, end to end from L through the server to H
            assertTrue(arrows.contains(new ConsoleBrowser.Arrow("L", "server", "ACK", lCall)), where);
            assertTrue(arrows.contains(new ConsoleBrowser.Arrow("server", "H", "ACK", lCall)), where);
            int okToL = -1;
            for (int i = 0; i < arrows.size(); i++) {
                ConsoleBrowser.Arrow a = arrows.get(i);
                if (a.from().equals("server") && a.to().equals("L") && a.label().startsWith("200") && a.callId().equals(lCall)) {
                    okToL = i;
                }
            }
            assertTrue(okToL >= 0 && arrows.indexOf(new ConsoleBrowser.Arrow("server", "H", "ACK", lCall)) > okToL,
                    "the ACK after the 200 OK in time order: " + where);
            // every arrow into or out of an endpoint is a message that endpoint saw (<-) or sent (->)
            for (ConsoleBrowser.Arrow a : arrows) {
                boolean toEndpoint = !a.to().equals("server");
                String side = toEndpoint ? a.to() : a.from();
                List<String> trace = side.equals("L") ? resolved.firstTrace() : resolved.secondTrace();
                String word = a.label().split(" ")[0];
                String expected = (toEndpoint ? "<- " : "-> ") + word;
                // the ACK of a non-2xx final response is sent by the endpoint's transaction layer (RFC 3261
                // §17.1.1.3), below its application's trace: there, the final response it acknowledges stands for it
                // (the ACK of the 2xx on L's call is the endpoint's own and in its trace)
                java.util.function.Predicate<String> saw = a.label().equals("ACK") && !toEndpoint && !a.callId().equals(lCall)
                        ? l -> l.matches("<- [3-6]\\d\\d .*")
                        : l -> l.startsWith(expected);
                assertTrue(trace.stream().anyMatch(saw), "arrow " + a + ": " + expected
                        + " in what " + side + " saw: " + trace);
            }
        }
    }

    @Test
    @Order(4)
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theSwitchSurvivesARestart() throws Exception {
        if (!runtime.pluginDeployed()) {
            runtime.deployPlugin(RuntimeProcess.PLUGIN_JAR);
        }
        runtime.awaitPluginPage(true);
        assertTrue(runtime.gogo("glare:disable").contains("disable"));
        runtime.poll("disabled", () -> runtime.data().contains("\"enabled\":false"));
        runtime = runtime.restart();
        runtime.awaitPluginPage(true);
        runtime.poll("the glare commands after the restart", () -> {
            try {
                return runtime.gogo("glare:status").contains("glare plugin:");
            } catch (Exception e) {
                throw new IllegalStateException(e.toString(), e);
            }
        });
        String status = runtime.gogo("glare:status");
        assertTrue(status.contains("glare plugin: disabled"), "still disabled after the restart: " + status);
        assertTrue(runtime.data().contains("\"enabled\":false"), runtime.data());
        runtime.gogo("glare:enable");
        runtime.poll("enabled", () -> runtime.data().contains("\"enabled\":true"));
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
