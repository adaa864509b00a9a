package io.glareresolver.endpoint.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.glareresolver.endpoint.GlareEndpoint;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class GlareCliTest {

    static String run(int expectedCode, String... args) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code = GlareCli.run(args, new PrintStream(buf, true, StandardCharsets.UTF_8));
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(expectedCode, code, out);
        return out;
    }

    @Test
    @Timeout(30)
    void directCallPrintsPortsAndEcho() throws Exception {
        try (GlareEndpoint bob = GlareEndpoint.builder().user("bob").id(2).build()) {
            String out = run(0, "call", "--user", "alice", "--id", "1", "--to", bob.contact());
            assertTrue(out.contains("-> INVITE " + bob.contact()), out);
            assertTrue(out.contains("Glare-Tiebreak: 1;kind=id"), out);
            assertTrue(out.contains("P2P echo"), out);
            assertTrue(out.contains("ports: opened=1 closed=1 open=0"), out);
        }
    }

    @Test
    @Timeout(30)
    void unreachableServerIsAClearError() throws Exception {
        int dead;
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            dead = s.getLocalPort();
        }
        String out = run(3, "register", "--user", "alice", "--password", "x", "--server", "127.0.0.1:" + dead,
                "--timeout", "1");
        assertTrue(out.contains("registration failed: server 127.0.0.1:" + dead + " unreachable"), out);
    }

    @Test
    void usageErrors() {
        assertEquals(2, GlareCli.run(new String[0], new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)));
        assertThrows(IllegalArgumentException.class, () -> GlareCli.run(new String[] {"call", "--user"}, System.out));
        assertThrows(IllegalArgumentException.class, () -> GlareCli.run(new String[] {"call", "--user", "a"}, System.out));
        assertThrows(IllegalArgumentException.class, () -> GlareCli.run(new String[] {"dance"}, System.out));
    }

    @Test
    void explainsUnknownCallee() {
        io.glareresolver.endpoint.CallResult r = new io.glareresolver.endpoint.CallResult(
                io.glareresolver.endpoint.Outcome.FAILED, io.glareresolver.endpoint.fsm.State.CLOSED, false, null,
                4000, -1, 404, "404 Not Found");
        assertEquals("nobody is unknown to the server (404 Not Found)", GlareCli.explain("nobody", r));
    }
}
