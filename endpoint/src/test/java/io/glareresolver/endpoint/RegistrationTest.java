package io.glareresolver.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * REGISTER with digest authentication against a small registrar written here on a raw UDP
 * socket (so the digest is checked by code independent of the endpoint's): MD5 and SHA-256
 * challenges with qop=auth, the registrar's Glare-Tiebreak, and the clear errors.
 */
class RegistrationTest {

    static final String REALM = "glare-resolver";

    /** A registrar that challenges, verifies the digest itself, and records what it saw. */
    static final class TinyRegistrar implements AutoCloseable {
        final DatagramSocket socket;
        final List<String> algorithms;
        final String password;
        final List<String> received = new CopyOnWriteArrayList<>();
        final Thread thread;

        TinyRegistrar(String password, String... algorithms) throws SocketException {
            this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            this.password = password;
            this.algorithms = List.of(algorithms);
            this.thread = new Thread(this::serve, "tiny-registrar");
            this.thread.setDaemon(true);
            this.thread.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        void serve() {
            byte[] buf = new byte[8192];
            while (!socket.isClosed()) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                try {
                    socket.receive(p);
                    String msg = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
                    received.add(msg);
                    String reply = answer(msg);
                    if (reply != null) {
                        byte[] out = reply.getBytes(StandardCharsets.UTF_8);
                        socket.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
                    }
                } catch (Exception e) {
                    return;
                }
            }
        }

        String answer(String msg) throws Exception {
            String method = msg.substring(0, msg.indexOf(' '));
            if (method.equals("ACK")) {
                return null;
            }
            Map<String, List<String>> h = headers(msg);
            if (method.equals("INVITE")) {
                return response(h, "404 Not Found", List.of());
            }
            String auth = first(h, "authorization");
            if (auth == null) {
                List<String> extra = new ArrayList<>();
                for (String alg : algorithms) {
                    extra.add("WWW-Authenticate: Digest realm=\"" + REALM + "\", nonce=\"n0nce\", algorithm=" + alg
                            + ", qop=\"auth\", opaque=\"op4que\"");
                }
                return response(h, "401 Unauthorized", extra);
            }
            Map<String, String> a = params(auth.substring(auth.indexOf(' ') + 1));
            String alg = a.getOrDefault("algorithm", "MD5");
            String jalg = alg.equalsIgnoreCase("SHA-256") ? "SHA-256" : "MD5";
            String ha1 = hex(jalg, a.get("username") + ":" + REALM + ":" + password);
            String ha2 = hex(jalg, "REGISTER:" + a.get("uri"));
            String expected = hex(jalg, ha1 + ":" + a.get("nonce") + ":" + a.get("nc") + ":" + a.get("cnonce")
                    + ":" + a.get("qop") + ":" + ha2);
            if (!expected.equals(a.get("response")) || !"op4que".equals(a.get("opaque")) || !"auth".equals(a.get("qop"))) {
                return response(h, "403 Forbidden", List.of());
            }
            return response(h, "200 OK", List.of("Glare-Tiebreak: 4242;kind=id", "Expires: 1800",
                    "Contact: " + first(h, "contact") + ";expires=1800"));
        }

        static String hex(String alg, String s) throws Exception {
            return HexFormat.of().formatHex(MessageDigest.getInstance(alg).digest(s.getBytes(StandardCharsets.UTF_8)));
        }

        static Map<String, String> params(String s) {
            Map<String, String> m = new HashMap<>();
            Matcher x = Pattern.compile("([a-zA-Z-]+)=(\"([^\"]*)\"|[^,\\s]+)").matcher(s);
            while (x.find()) {
                m.put(x.group(1).toLowerCase(Locale.ROOT), x.group(3) != null ? x.group(3) : x.group(2));
            }
            return m;
        }

        static Map<String, List<String>> headers(String msg) {
            Map<String, List<String>> h = new HashMap<>();
            for (String line : msg.split("\r\n")) {
                int c = line.indexOf(':');
                if (c > 0 && !line.startsWith("REGISTER") && !line.startsWith("INVITE")) {
                    h.computeIfAbsent(line.substring(0, c).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                            .add(line.substring(c + 1).trim());
                }
            }
            return h;
        }

        static String first(Map<String, List<String>> h, String name) {
            List<String> v = h.get(name);
            return v == null ? null : v.get(0);
        }

        static String response(Map<String, List<String>> h, String status, List<String> extra) {
            StringBuilder b = new StringBuilder("SIP/2.0 ").append(status).append("\r\n");
            for (String via : h.getOrDefault("via", List.of())) {
                b.append("Via: ").append(via).append("\r\n");
            }
            b.append("From: ").append(first(h, "from")).append("\r\n");
            b.append("To: ").append(first(h, "to")).append(";tag=reg1\r\n");
            b.append("Call-ID: ").append(first(h, "call-id")).append("\r\n");
            b.append("CSeq: ").append(first(h, "cseq")).append("\r\n");
            for (String e : extra) {
                b.append(e).append("\r\n");
            }
            return b.append("Content-Length: 0\r\n\r\n").toString();
        }

        @Override
        public void close() {
            socket.close();
        }
    }

    TinyRegistrar registrar;

    @AfterEach
    void stop() {
        if (registrar != null) {
            registrar.close();
        }
    }

    GlareEndpoint.Builder alice(String password) {
        return GlareEndpoint.builder().user("alice").password(password).server("127.0.0.1", registrar.port())
                .registerTimeout(Duration.ofSeconds(2));
    }

    @Test
    @Timeout(20)
    void sha256TakenWhenOfferedFirst() throws Exception {
        registrar = new TinyRegistrar("secret", "SHA-256", "MD5");
        try (GlareEndpoint ep = alice("secret").build()) {
            Registration r = ep.register();
            assertEquals("SHA-256", r.algorithm());
            assertEquals(1800, r.expires());
            assertEquals(4242, r.tiebreak().orElseThrow().value());
            String register = registrar.received.get(0);
            assertTrue(register.contains("Supported: glare"), register);
        }
        // close() removes the binding: a REGISTER with Expires 0, authenticated again
        assertTrue(registrar.received.stream().anyMatch(m -> m.startsWith("REGISTER") && m.contains("Expires: 0")
                && m.contains("Authorization: Digest")), registrar.received.toString());
    }

    @Test
    @Timeout(20)
    void md5WhenThatIsWhatIsOffered() throws Exception {
        registrar = new TinyRegistrar("secret", "MD5");
        try (GlareEndpoint ep = alice("secret").build()) {
            assertEquals("MD5", ep.register().algorithm());
        }
    }

    @Test
    @Timeout(20)
    void wrongPasswordIsSaidClearly() throws Exception {
        registrar = new TinyRegistrar("secret", "SHA-256", "MD5");
        try (GlareEndpoint ep = alice("wrong").build()) {
            RegistrationException e = assertThrows(RegistrationException.class, ep::register);
            assertEquals(RegistrationException.Reason.AUTHENTICATION_FAILED, e.reason());
            assertEquals(403, e.status());
            assertTrue(e.getMessage().contains("wrong user name or password"), e.getMessage());
        }
    }

    @Test
    @Timeout(20)
    void unreachableServerIsSaidClearly() throws Exception {
        registrar = new TinyRegistrar("secret", "MD5");
        int deadPort = registrar.port();
        registrar.close(); // nothing listens there any more
        try (GlareEndpoint ep = alice("secret").server("127.0.0.1", deadPort).build()) {
            RegistrationException e = assertThrows(RegistrationException.class, ep::register);
            assertEquals(RegistrationException.Reason.UNREACHABLE, e.reason());
            assertTrue(e.getMessage().contains("127.0.0.1:" + deadPort + " unreachable"), e.getMessage());
        }
    }

    @Test
    @Timeout(20)
    void registrarTiebreakIsUsedInInvitesUnderThatOption() throws Exception {
        registrar = new TinyRegistrar("secret", "SHA-256");
        try (GlareEndpoint ep = alice("secret").id(7).tiebreakSource(TiebreakSource.REGISTRAR).build()) {
            ep.register();
            CallHandle h = ep.call("nobody");
            CallResult r = h.result().get(5, TimeUnit.SECONDS);
            assertEquals(404, r.status()); // an unknown callee: a clear failure, port closed
            assertEquals(new PortCounts(1, 1), ep.ports());
            String invite = registrar.received.stream().filter(m -> m.startsWith("INVITE")).findFirst().orElseThrow();
            assertTrue(invite.contains("Glare-Tiebreak: 4242;kind=id"), invite);
            assertTrue(invite.contains("Supported: glare"), invite);
            assertTrue(invite.contains("m=audio " + r.localPort() + " "), invite); // S61: the opened port in the offer
        }
    }
}
