package io.glareresolver.integrationtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.glareresolver.integrationtests.felix.EmbeddedGlareRuntime;
import io.glareresolver.integrationtests.felix.SipUsersFile.SipUser;
import io.glareresolver.integrationtests.netsip.NetSipScript;
import io.glareresolver.integrationtests.netsip.NetSipScript.Event;
import io.glareresolver.integrationtests.netsip.NetSipScript.Run;
import io.glareresolver.sip.api.LocationService;
import io.glareresolver.sip.api.Registration;

/**
 * End to end over loopback with a third-party user agent: Net::SIP (Debian libnet-sip-perl),
 * driven by the scripts in {@code src/test/perl}, against the runtime's bundle set in the embedded
 * Felix of the Arquillian adapter (so the location service can be asked directly).
 *
 * <p>Digest: Net::SIP itself answers only MD5 challenges; SHA-256 (RFC 8760) is answered by the
 * scripts' own digest code (GlareTestUA.pm), on Net::SIP's transport and transactions. The shipped
 * setting challenges MD5 alone ({@link #theShippedDefaultChallengesMd5AloneAndAPhonePreferringSha256StillRegisters});
 * the other tests run with {@code digest.algorithms = SHA-256,MD5}, as an administrator whose phones
 * prefer SHA-256 sets it, so SHA-256 is proven end to end.
 */
@ExtendWith(ArquillianExtension.class)
class NetSipEndToEndIT {

    private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(30);

    @ArquillianResource
    private EmbeddedGlareRuntime runtime;

    private LocationService locations;

    @BeforeAll
    static void netSipInstalled() {
        NetSipScript.requireNetSip();
    }

    @BeforeEach
    void users() throws Exception {
        locations = runtime.awaitService(LocationService.class, Duration.ofSeconds(10));
        TestUsers.install(runtime, locations);
        challenged = runtime;
        challengeWith("SHA-256", "MD5");
    }

    /** The runtime whose digest setting this class changed. */
    private static EmbeddedGlareRuntime challenged;

    @AfterAll
    static void shippedChallenges() {
        // the other IT classes in this container run with the shipped digest settings
        if (challenged != null) {
            Map<String, Object> props = serverProperties(challenged);
            props.remove(DIGEST_ALGORITHMS);
            challenged.configurationAdmin().update(EmbeddedGlareRuntime.SIP_SERVER_PID, props);
        }
    }

    @Test
    void theShippedDefaultChallengesMd5AloneAndAPhonePreferringSha256StillRegisters() {
        challengeWith();
        // a phone that would pick SHA-256 answers the only challenge there is: MD5 (baresip 1.0
        // cannot register at all once a SHA-256 challenge is offered)
        Run run = register(TestUsers.BOB, TestUsers.BOB.password(), "SHA-256", 60);
        Event auth = run.expect(TestUsers.BOB.name(), "AUTH", e -> "REGISTER".equals(e.get("method")), "for REGISTER");
        assertEquals("MD5", auth.get("offered"), "challenges offered by default\n" + run.transcript());
        assertEquals("MD5", auth.get("algorithm"));
        run.expect(TestUsers.BOB.name(), "REGISTERED");
        NetSipScript.run("register.pl", SCRIPT_TIMEOUT, "--proxy", runtime.sipAddress(), "--domain", runtime.domain(),
                "--user", TestUsers.BOB.name(), "--password", TestUsers.BOB.password(), "--expires", "0", "--all");
    }

    private static final String DIGEST_ALGORITHMS = "digest.algorithms";

    private static Map<String, Object> serverProperties(EmbeddedGlareRuntime runtime) {
        Dictionary<String, Object> current = runtime.configurationAdmin().properties(EmbeddedGlareRuntime.SIP_SERVER_PID)
                .orElseThrow(() -> new AssertionError("the runtime has no " + EmbeddedGlareRuntime.SIP_SERVER_PID
                        + " configuration (its SIP port is set there)"));
        Map<String, Object> props = new HashMap<>();
        for (Enumeration<String> keys = current.keys(); keys.hasMoreElements(); ) {
            String key = keys.nextElement();
            if (!key.equals("service.pid") && !key.equals("service.bundleLocation")) {
                props.put(key, current.get(key));
            }
        }
        return props;
    }

    /**
     * Sets {@code digest.algorithms} (none: the shipped default) and waits, bounded, until a
     * REGISTER's 401 offers exactly those challenges (Config Admin delivers the change asynchronously).
     */
    private void challengeWith(String... algorithms) {
        String expected = algorithms.length == 0 ? "MD5" : String.join("+", algorithms);
        Map<String, Object> props = serverProperties(runtime);
        Object now = props.get(DIGEST_ALGORITHMS);
        if (algorithms.length == 0 ? now != null : !java.util.Arrays.equals(algorithms, asArray(now))) {
            if (algorithms.length == 0) {
                props.remove(DIGEST_ALGORITHMS);
            } else {
                props.put(DIGEST_ALGORITHMS, algorithms);
            }
            runtime.configurationAdmin().update(EmbeddedGlareRuntime.SIP_SERVER_PID, props);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        String offered = null;
        while (System.nanoTime() < deadline) {
            Run probe = register(TestUsers.FRANK, TestUsers.FRANK.password(), "MD5", 0);
            offered = probe.first(TestUsers.FRANK.name(), "AUTH").map(e -> e.get("offered")).orElse(null);
            if (expected.equals(offered)) {
                return;
            }
        }
        throw new AssertionError("the server still offers " + offered + ", not " + expected);
    }

    private static String[] asArray(Object value) {
        if (value instanceof String[] a) {
            return a;
        }
        return value == null ? new String[0] : String.valueOf(value).split("\\s*,\\s*");
    }

    @ParameterizedTest
    @ValueSource(strings = {"MD5", "SHA-256"})
    void userRegistersWithDigestAndAppearsInTheLocationService(String algorithm) {
        SipUser user = algorithm.equals("MD5") ? TestUsers.IVAN : TestUsers.JUDY;
        Run run = register(user, user.password(), algorithm, 600);
        Event auth = run.expect(user.name(), "AUTH", e -> "REGISTER".equals(e.get("method")), "for REGISTER");
        assertEquals(algorithm, auth.get("algorithm"), "digest algorithm used\n" + run.transcript());
        assertTrue(auth.get("offered").contains(algorithm), "the server offered " + auth.get("offered") + "\n" + run.transcript());
        run.expect(user.name(), "REGISTERED");
        int contactPort = Integer.parseInt(run.expect(user.name(), "AGENT").get("port"));

        Registration registration = locations.lookup(TestUsers.aor(runtime, user))
                .orElseThrow(() -> new AssertionError(user.name() + " not in the LocationService after 200 OK\n" + run.transcript()));
        assertEquals(user.endpointId(), registration.endpointId(), "endpoint id from the users file");
        assertTrue(registration.bindings().stream().anyMatch(b -> b.contact().contains("127.0.0.1:" + contactPort)),
                "binding to the agent's contact port " + contactPort + ": " + registration);

        // another process: remove every binding of the user (Contact: *, Expires: 0)
        Run unregister = NetSipScript.run("register.pl", SCRIPT_TIMEOUT, "--proxy", runtime.sipAddress(),
                "--domain", runtime.domain(), "--user", user.name(), "--password", user.password(),
                "--algorithm", algorithm, "--expires", "0", "--all");
        assertTrue(unregister.responseCodes(user.name(), "REGISTER").contains(200), unregister.transcript());
        assertTrue(locations.lookup(TestUsers.aor(runtime, user)).isEmpty(), user.name() + " still registered after Expires: 0");
    }

    @Test
    void md5AndSha256UsersCallEachOtherThroughTheProxy() {
        // alice uses MD5, bob SHA-256; each calls the other
        assertCall(call(TestUsers.ALICE, "MD5", TestUsers.BOB, "SHA-256", false, false), TestUsers.ALICE, "MD5", TestUsers.BOB, "SHA-256");
        assertCall(call(TestUsers.BOB, "SHA-256", TestUsers.ALICE, "MD5", false, false), TestUsers.BOB, "SHA-256", TestUsers.ALICE, "MD5");
    }

    @Test
    void cancelBeforeAnswerEndsWith487() {
        // the callee's 487 answers the INVITE (RFC 3261 §9.2), see call.pl --rfc-487
        Run run = call(TestUsers.ALICE, "MD5", TestUsers.BOB, "SHA-256", true, true);
        run.expect("callee", "RFC_487");
        assertCancelled(run);
    }

    /**
     * The same with Net::SIP's stock callee, whose 487 is built from the CANCEL and so carries only
     * the proxy's Via. The proxy must still end the caller's INVITE with 487 (its own server
     * transaction knows the caller) instead of leaving it to time out.
     */
    @Test
    void cancelBeforeAnswerEndsWith487EvenWhenTheCalleesAnswerLacksTheCallersVia() {
        Run run = call(TestUsers.ALICE, "MD5", TestUsers.BOB, "SHA-256", true, false);
        assertCancelled(run);
    }

    // ------------------------------------------------------------------ forking (RFC 3261 §16.6)

    /** forking.pl: carol calls dave, who has the given phones (name:q:behaviour). */
    private Run callDavesPhones(String... phones) {
        List<String> args = new java.util.ArrayList<>(List.of("--proxy", runtime.sipAddress(), "--domain",
                runtime.domain(), "--caller", TestUsers.credentials(TestUsers.CAROL, "MD5"),
                "--callee", TestUsers.credentials(TestUsers.DAVE, "SHA-256")));
        for (String p : phones) {
            args.add("--phone");
            args.add(p);
        }
        return NetSipScript.run("forking.pl", SCRIPT_TIMEOUT, args.toArray(String[]::new));
    }

    private static String port(Run run, String phone) {
        return run.expect(phone, "AGENT").get("port");
    }

    private static int indexOf(Run run, String agent, String what) {
        Event e = run.expect(agent, what);
        return run.events().indexOf(e);
    }

    @Test
    void bothOfAUsersPhonesRingAndTheFirstToAnswerGetsTheCall() {
        Run run = callDavesPhones("desk:-:answer=2500", "soft:-:answer=300");
        run.expect("desk", "INVITE");
        run.expect("soft", "INVITE");
        List<Event> finals = run.all("caller", "FINAL");
        assertEquals(1, finals.size(), "the caller sees one final response\n" + run.transcript());
        assertEquals(200, finals.get(0).code(), run.transcript());
        assertEquals(port(run, "soft"), finals.get(0).get("contact_port"), "the phone that answered first\n" + run.transcript());
        run.expect("soft", "ACK");
        run.expect("desk", "CANCELLED");
        assertTrue(run.first("desk", "ANSWERING").isEmpty() && run.first("desk", "ACK").isEmpty(),
                "the cancelled phone never answered nor got an ACK\n" + run.transcript());
        assertTrue(run.sentCodes("desk", "INVITE").contains(487), "the cancelled phone ended its INVITE with 487\n"
                + run.transcript());
        run.expect("soft", "BYE");
    }

    @Test
    void theLowerQValuePhoneRingsOnlyAfterTheHigherOneIsBusy() {
        Run run = callDavesPhones("mobile:0.5:answer=200", "desk:1.0:busy");
        assertTrue(indexOf(run, "desk", "INVITE") < indexOf(run, "mobile", "INVITE"),
                "q=1.0 is tried before q=0.5\n" + run.transcript());
        assertTrue(run.sentCodes("desk", "INVITE").contains(486), run.transcript());
        Event fin = run.expect("caller", "FINAL");
        assertEquals(200, fin.code(), "the busy desk phone does not end the call\n" + run.transcript());
        assertEquals(port(run, "mobile"), fin.get("contact_port"), run.transcript());
        assertEquals(1, run.all("caller", "FINAL").size(), run.transcript());
    }

    private static void assertCancelled(Run run) {
        run.expect("caller", "PROVISIONAL", e -> e.code() == 180, "180 Ringing before the CANCEL");
        run.expect("caller", "CANCEL_SENT");
        assertTrue(run.responseCodes("caller", "CANCEL").contains(200), "CANCEL answered 200\n" + run.transcript());
        assertTrue(run.first("caller", "NO_FINAL_AFTER_CANCEL").isEmpty(),
                "no final response to the cancelled INVITE within 8 s (RFC 3261 §16.10: the branch's 487 is relayed)\n"
                        + run.transcript());
        assertEquals(487, run.expect("caller", "FINAL").code(), "final response to the cancelled INVITE\n" + run.transcript());
        run.expect("callee", "BYE_OR_CANCEL");
        assertTrue(run.first("callee", "ACK").isEmpty(), "a cancelled call was established\n" + run.transcript());
        assertFalse(run.responseCodes("caller", "INVITE").contains(200), "200 OK after CANCEL\n" + run.transcript());
    }

    @Test
    void unauthenticatedInviteIsChallengedWith407() {
        // the callee is registered, so only the caller's missing credentials can refuse the call
        Run callee = register(TestUsers.BOB, TestUsers.BOB.password(), "SHA-256", 60);
        callee.expect(TestUsers.BOB.name(), "REGISTERED");
        try {
            Run run = NetSipScript.run("invite.pl", SCRIPT_TIMEOUT, "--proxy", runtime.sipAddress(), "--domain", runtime.domain(),
                    "--from", TestUsers.MALLORY.name(), "--to", TestUsers.BOB.name());
            assertEquals(407, run.expect("caller", "FINAL").code(), "INVITE without credentials\n" + run.transcript());
        } finally {
            NetSipScript.run("register.pl", SCRIPT_TIMEOUT, "--proxy", runtime.sipAddress(), "--domain", runtime.domain(),
                    "--user", TestUsers.BOB.name(), "--password", TestUsers.BOB.password(), "--expires", "0", "--all");
        }
    }

    @Test
    void callToUnknownUserGets404() {
        Run run = invite(TestUsers.FRANK, "nobody-here");
        assertEquals(404, run.expect("caller", "FINAL").code(), "INVITE to an unknown user\n" + run.transcript());
    }

    @Test
    void callToKnownUnregisteredUserGets480() {
        assertTrue(locations.lookup(TestUsers.aor(runtime, TestUsers.GRACE)).isEmpty(), "grace must not be registered");
        Run run = invite(TestUsers.FRANK, TestUsers.GRACE.name());
        assertEquals(480, run.expect("caller", "FINAL").code(), "INVITE to a known, unregistered user\n" + run.transcript());
    }

    @ParameterizedTest
    @ValueSource(strings = {"MD5", "SHA-256"})
    void wrongPasswordNeverRegisters(String algorithm) {
        SipUser heidi = TestUsers.HEIDI;
        Run run = register(heidi, "not-" + heidi.password(), algorithm, 600);
        run.expect(heidi.name(), "REGISTER_FAILED");
        List<Integer> codes = run.responseCodes(heidi.name(), "REGISTER");
        assertEquals(401, codes.get(0), "first answer is a challenge\n" + run.transcript());
        int last = codes.get(codes.size() - 1);
        assertTrue(last == 403 || last == 401, "a wrong password gets 403 or a renewed 401, not " + last + "\n" + run.transcript());
        assertFalse(codes.stream().anyMatch(c -> c >= 200 && c < 300), "a wrong password was accepted\n" + run.transcript());
        assertTrue(locations.lookup(TestUsers.aor(runtime, heidi)).isEmpty(), "heidi registered with a wrong password");
        // and no call reaches her
        Run call = invite(TestUsers.FRANK, heidi.name());
        assertEquals(480, call.expect("caller", "FINAL").code(), "a call to heidi after the failed REGISTER\n" + call.transcript());
    }

    // ------------------------------------------------------------------------------------------

    private Run register(SipUser user, String password, String algorithm, int expires) {
        return NetSipScript.run("register.pl", SCRIPT_TIMEOUT, "--proxy", runtime.sipAddress(), "--domain", runtime.domain(),
                "--user", user.name(), "--password", password, "--algorithm", algorithm, "--expires", Integer.toString(expires));
    }

    private Run invite(SipUser from, String to) {
        return NetSipScript.run("invite.pl", SCRIPT_TIMEOUT, "--proxy", runtime.sipAddress(), "--domain", runtime.domain(),
                "--from", TestUsers.credentials(from, "MD5"), "--register", "--to", to);
    }

    private Run call(SipUser caller, String callerAlgorithm, SipUser callee, String calleeAlgorithm, boolean cancel,
                     boolean rfc487) {
        List<String> args = new java.util.ArrayList<>(List.of("--proxy", runtime.sipAddress(), "--domain", runtime.domain(),
                "--caller", TestUsers.credentials(caller, callerAlgorithm),
                "--callee", TestUsers.credentials(callee, calleeAlgorithm),
                "--answer-after-ms", cancel ? "5000" : "200"));
        if (cancel) {
            args.add("--cancel");
        }
        if (rfc487) {
            args.add("--rfc-487");
        }
        return NetSipScript.run("call.pl", SCRIPT_TIMEOUT, args.toArray(String[]::new));
    }

    /** INVITE / 180 / 200 / ACK / BYE, both SDPs seen by the other side, digest algorithms as asked. */
    private static void assertCall(Run run, SipUser caller, String callerAlgorithm, SipUser callee, String calleeAlgorithm) {
        run.expect("caller", "REGISTERED");
        run.expect("callee", "REGISTERED");
        assertEquals(callerAlgorithm, run.expect(caller.name(), "AUTH", e -> "REGISTER".equals(e.get("method")), "for REGISTER")
                .get("algorithm"), "caller's digest algorithm\n" + run.transcript());
        assertEquals(calleeAlgorithm, run.expect(callee.name(), "AUTH", e -> "REGISTER".equals(e.get("method")), "for REGISTER")
                .get("algorithm"), "callee's digest algorithm\n" + run.transcript());
        // the proxy challenges the caller's INVITE (407) and the answer is accepted
        run.expect(caller.name(), "AUTH", e -> "INVITE".equals(e.get("method")), "for INVITE (407 from the proxy)");
        String offered = run.expect("caller", "SEND_SDP", e -> "INVITE".equals(e.get("message")), "(the offer)").get("m");
        String seenByCallee = run.expect("callee", "RECV_SDP", e -> "INVITE".equals(e.get("message")), "(the offer)").get("m");
        assertEquals(offered, seenByCallee, "the callee sees the caller's m= port\n" + run.transcript());

        run.expect("callee", "INVITE");
        run.expect("caller", "PROVISIONAL", e -> e.code() == 180, "180 Ringing");
        assertEquals(200, run.expect("caller", "FINAL").code(), run.transcript());
        String answered = run.expect("callee", "SEND_SDP", e -> "200".equals(e.get("message")), "(the answer)").get("m");
        String seenByCaller = run.expect("caller", "RECV_SDP", e -> "200".equals(e.get("message")), "(the answer)").get("m");
        assertEquals(answered, seenByCaller, "the caller sees the callee's m= port\n" + run.transcript());
        assertFalse(offered.equals(answered), "caller and callee chose distinct media ports");

        run.expect("callee", "ACK");
        assertTrue(run.responseCodes("caller", "BYE").contains(200), "BYE answered 200\n" + run.transcript());
        run.expect("callee", "BYE_OR_CANCEL");
    }
}
