package io.glareresolver.integrationtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.glareresolver.integrationtests.felix.BoundedWait;
import io.glareresolver.integrationtests.felix.EmbeddedGlareRuntime;
import io.glareresolver.integrationtests.felix.LoopbackPorts;
import io.glareresolver.integrationtests.felix.SipUsersFile.SipUser;
import io.glareresolver.sip.api.LocationService;

/**
 * sipsak 0.9.8 (Debian package {@code sipsak}) registers with the shipped digest settings: it reads
 * only the first challenge of a 401 and knows MD5 alone, so a server that lists SHA-256 first
 * (or at all, for some UAs) loses it. A wrong password registers nothing.
 */
@ExtendWith(ArquillianExtension.class)
class SipsakRegistrationIT {

    private static final Duration WAIT = Duration.ofSeconds(10);
    static final SipUser SK_USER = new SipUser("sk-sam", "sk-sam-pw-1", 3201);

    @ArquillianResource
    private EmbeddedGlareRuntime runtime;

    private LocationService locations;

    @BeforeAll
    static void sipsakInstalled() {
        if (!Files.isExecutable(Path.of("/usr/bin/sipsak"))) {
            fail("sipsak is missing: install the Debian package sipsak (apt-get install sipsak; .ci/run does it)");
        }
    }

    @BeforeEach
    void user() throws Exception {
        locations = runtime.awaitService(LocationService.class, WAIT);
        if (locations.endpointId(aor()).isEmpty()) {
            runtime.users().write(SK_USER);
        }
        BoundedWait.untilTrue("the SIP server to load " + SK_USER.name(), Duration.ofSeconds(20),
                () -> locations.endpointId(aor()).isPresent());
    }

    @Test
    void sipsakRegistersWithTheShippedDigestSettingsAndAWrongPasswordRegistersNothing() throws Exception {
        int wrongPort = LoopbackPorts.freeUdpAndTcpPort();
        Sipsak wrong = sipsak(wrongPort, "not-the-password", 60);
        assertNotEquals(0, wrong.exit(), "a wrong password: sipsak gives up\n" + wrong.output());
        assertTrue(locations.lookup(aor()).map(r -> r.bindings().stream().noneMatch(b -> b.contact().contains(":" + wrongPort)))
                .orElse(true), "no binding for a wrong password");

        int port = LoopbackPorts.freeUdpAndTcpPort();
        Sipsak ok = sipsak(port, SK_USER.password(), 60);
        assertEquals(0, ok.exit(), "sipsak's REGISTER with the shipped digest settings\n" + ok.output());
        assertTrue(locations.lookup(aor()).map(r -> r.bindings().stream().anyMatch(b -> b.contact().contains(":" + port)))
                .orElse(false), "sipsak's contact port " + port + " bound: " + locations.lookup(aor()));

        Sipsak gone = sipsak(port, SK_USER.password(), 0);
        assertEquals(0, gone.exit(), "sipsak removes its binding (Expires: 0)\n" + gone.output());
        assertTrue(locations.lookup(aor()).map(r -> r.bindings().stream().noneMatch(b -> b.contact().contains(":" + port)))
                .orElse(true), "binding removed");
    }

    private record Sipsak(int exit, String output) {
    }

    /** {@code sipsak -U}: one REGISTER of the contact on {@code contactPort}, digest from the 401. */
    private Sipsak sipsak(int contactPort, String password, int expires) throws IOException, InterruptedException {
        String host = runtime.domain();
        List<String> command = List.of("sipsak", "-v", "-U", "-i", "-x", Integer.toString(expires),
                "-C", "sip:" + SK_USER.name() + "@127.0.0.1:" + contactPort,
                "-s", "sip:" + SK_USER.name() + "@" + host + ":" + runtime.sipPort(),
                "-u", SK_USER.name(), "-a", password);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("sipsak did not end within 30 s: " + command);
        }
        return new Sipsak(p.exitValue(), String.join(" ", command).replace(password, "***") + "\n"
                + new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    private String aor() {
        return TestUsers.aor(runtime, SK_USER);
    }
}
