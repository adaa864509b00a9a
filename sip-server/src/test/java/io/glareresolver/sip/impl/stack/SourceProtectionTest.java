package io.glareresolver.sip.impl.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.glareresolver.sip.impl.auth.DigestAlgorithm;
import io.glareresolver.sip.impl.auth.DigestCalculation;
import io.glareresolver.sip.impl.config.ServerSettings;
import io.glareresolver.sip.impl.config.SettingsReader;
import io.glareresolver.sip.impl.screen.SourceGuard;
import io.glareresolver.sip.impl.users.SipUser;

/**
 * The per-source protection on a running server, over real UDP on loopback: a password guesser at
 * 127.0.0.77 is banned and hears nothing more, even with the right password, while 127.0.0.1 keeps
 * registering and calling; a source far over the rate gets 503 with Retry-After for the excess
 * while another is served; new limits apply to the running stack.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SourceProtectionTest {

    static final String ATTACKER = "127.0.0.77";
    static final Pattern STATUS = Pattern.compile("^SIP/2\\.0 (\\d{3})");
    static final Pattern NONCE = Pattern.compile("nonce=\"([^\"]+)\"");
    static final AtomicInteger SEQ = new AtomicInteger();

    @TempDir
    java.nio.file.Path dir;

    @Test
    void aPasswordGuesserIsBannedAndOthersAreServed() throws Exception {
        try (LiveServer live = new LiveServer(dir); Peer attacker = new Peer(ATTACKER, live.port())) {
            ServerSettings s = live.server.settings();
            assertEquals(500, s.requestsPerSecond(), "the shipped limits");
            assertEquals(20, s.banDigestFailures());
            String nonce = attacker.challenge();

            for (int i = 0; i < 200; i++) {
                attacker.send(attacker.register(nonce, "guess-" + i, i + 1));
            }
            SourceGuard guard = live.server.guard();
            // every guess has been through the server once the counters add up to 200
            awaitUntil(() -> guard.snapshot().digestFailures() + guard.snapshot().droppedWhileBanned() >= 200);
            List<String> answers = attacker.drain(300);
            assertEquals(20, answers.stream().filter(a -> status(a) == 403).count(),
                    "the guesses up to the ban are refused: " + statuses(answers));
            assertEquals(20, answers.size(), "after the 20th failure the source hears nothing: " + statuses(answers));

            SourceGuard.Snapshot after = guard.snapshot();
            assertEquals(20, after.digestFailures());
            assertEquals(180, after.droppedWhileBanned());
            assertEquals(1, after.bansIssued());
            assertEquals(List.of(ATTACKER), after.bannedNow().stream().map(SourceGuard.Ban::source).toList());
            assertEquals(20, after.bannedNow().get(0).failures());

            // the right password from the banned source: no answer, no registration
            attacker.send(attacker.register(nonce, "alice-pw", 1000));
            attacker.send(attacker.plain("OPTIONS", "sip:127.0.0.1"));
            awaitUntil(() -> guard.snapshot().droppedWhileBanned() >= 182);
            assertEquals(List.of(), statuses(attacker.drain(300)), "a banned source learns nothing");
            assertTrue(live.store.locations().lookup("alice@127.0.0.1").isEmpty(), "nothing registered by the guesser");

            // 127.0.0.1 registers (the same user) and calls as before
            live.stillServes();
            assertEquals(List.of(ATTACKER), guard.snapshot().bannedNow().stream().map(SourceGuard.Ban::source).toList());
            assertEquals(0, guard.snapshot().refusedForRate());
        }
    }

    @Test
    void aReceivedParameterOfThePeersOwnDoesNotPickWhoIsBanned() throws Exception {
        try (LiveServer live = new LiveServer(dir, b -> b.banDigestFailures(3)); Peer attacker = new Peer(ATTACKER, live.port())) {
            String nonce = attacker.challenge();
            attacker.forgedReceived = "127.0.0.1"; // the RI keeps it: the Via host is the sender's own address
            for (int i = 0; i < 5; i++) {
                attacker.send(attacker.register(nonce, "guess-" + i, i + 1));
            }
            SourceGuard guard = live.server.guard();
            awaitUntil(() -> guard.snapshot().droppedWhileBanned() >= 2);
            assertEquals(List.of(ATTACKER), guard.snapshot().bannedNow().stream().map(SourceGuard.Ban::source).toList(),
                    "counted against the packet's source, not the address the peer wrote");
            assertEquals(List.of(403, 403, 403), statuses(attacker.drain(300)), "the answers went to the real sender");
            live.stillServes();
        }
    }

    @Test
    void aSourceFarOverTheRateGets503ForTheExcessWhileAnotherIsServed() throws Exception {
        try (LiveServer live = new LiveServer(dir, b -> b.requestsPerSecond(50));
             Peer flooder = new Peer(ATTACKER, live.port()); Peer other = new Peer("127.0.0.1", live.port())) {
            int burst = 300;
            for (int i = 0; i < burst; i++) {
                flooder.send(flooder.plain("OPTIONS", "sip:127.0.0.1"));
            }
            SourceGuard guard = live.server.guard();
            awaitUntil(() -> flooder.received.size() >= burst);
            List<String> answers = flooder.drain(100);
            long ok = answers.stream().filter(a -> status(a) == 200).count();
            List<String> refused = answers.stream().filter(a -> status(a) == 503).toList();
            assertEquals(burst, ok + refused.size(), "every request answered: " + statuses(answers));
            assertTrue(ok >= 50, "the bucket's 50 are served: " + ok);
            assertTrue(refused.size() >= burst / 2, "the excess is refused: " + refused.size());
            for (String r : refused) {
                assertTrue(Pattern.compile("(?m)^Retry-After: *1\\b").matcher(r).find(), "Retry-After in " + r);
            }
            assertEquals(refused.size(), guard.snapshot().refusedForRate());

            // the flooder's bucket is empty now, another source's is full
            other.send(other.plain("OPTIONS", "sip:127.0.0.1"));
            assertEquals(List.of(200), statuses(other.await(1)), "another source is served");
            live.stillServes();
        }
    }

    @Test
    void newLimitsApplyToTheRunningServer() throws Exception {
        try (LiveServer live = new LiveServer(dir, b -> b.requestsPerSecond(20)); Peer peer = new Peer(ATTACKER, live.port())) {
            List<String> before = live.server.listening();
            assertTrue(statuses(peer.burst(60)).contains(503), "20/s: the burst of 60 is cut");

            SettingsReader reader = new SettingsReader();
            // the configuration as Config Admin delivers it: the test's listening settings stay, the limits change
            ServerSettings off = reader.read(Map.of("port", String.valueOf(live.port()),
                    "users.file", live.settings.usersFile().toString(), "digest.algorithms", "SHA-256,MD5",
                    "limit.requests-per-second", "0", "ban.digest-failures", "3", "ban.duration", "1"),
                    live.server.settings());
            assertTrue(reader.refusals().isEmpty(), reader.refusals().toString());
            assertTrue(live.server.reconfigure(off));
            assertEquals(before, live.server.listening(), "the stack was not rebound");
            List<Integer> all = statuses(peer.burst(60));
            assertEquals(60, all.size());
            assertTrue(all.stream().allMatch(c -> c == 200), "no limit: " + all);

            // three failures ban for one second now
            String nonce = peer.challenge();
            for (int i = 0; i < 3; i++) {
                peer.send(peer.register(nonce, "guess-" + i, i + 1));
            }
            assertEquals(List.of(403, 403, 403), statuses(peer.await(3)));
            peer.send(peer.plain("OPTIONS", "sip:127.0.0.1"));
            awaitUntil(() -> live.server.guard().snapshot().droppedWhileBanned() >= 1);
            assertEquals(List.of(), statuses(peer.drain(100)), "banned");
            // the ban lasts one second: asked again and again (each wait bounded), it is answered once the ban ends
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            List<String> got = List.of();
            while (got.isEmpty() && System.nanoTime() < end) {
                peer.send(peer.plain("OPTIONS", "sip:127.0.0.1"));
                got = peer.drain(250);
            }
            assertEquals(List.of(200), statuses(got), "the ban has ended");
            assertEquals(0, reader.read(Map.of("limit.requests-per-second", "many"), off).requestsPerSecond(),
                    "an unparsable value keeps the previous one");
            assertEquals(1, reader.refusals().size(), reader.refusals().toString());
        }
    }

    // ------------------------------------------------------------------ a raw UDP peer at a chosen address

    /** Bounded poll: the condition within 10 s. */
    static void awaitUntil(BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("condition not reached within 10 s");
            }
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // leave the cores to the server
        }
    }

    static int status(String message) {
        Matcher m = STATUS.matcher(message);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    static List<Integer> statuses(List<String> messages) {
        return messages.stream().map(SourceProtectionTest::status).toList();
    }

    /** Sends raw SIP from its own address (127.0.0.0/8 all reach lo on Linux) and keeps every answer. */
    static final class Peer implements AutoCloseable {
        final DatagramSocket socket;
        final String address;
        final int serverPort;
        final java.util.concurrent.LinkedBlockingQueue<String> received = new java.util.concurrent.LinkedBlockingQueue<>();
        final Thread reader;
        final String callId = "prot-" + TestPhone.tag();
        volatile String forgedReceived;

        Peer(String address, int serverPort) throws IOException {
            this.address = address;
            this.serverPort = serverPort;
            socket = new DatagramSocket(0, InetAddress.getByName(address));
            socket.setReceiveBufferSize(4 << 20);
            reader = new Thread(this::read, "peer-" + address);
            reader.setDaemon(true);
            reader.start();
        }

        private void read() {
            byte[] buf = new byte[65_535];
            while (!socket.isClosed()) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    socket.receive(p);
                    String m = new String(buf, 0, p.getLength(), StandardCharsets.ISO_8859_1);
                    if (status(m) >= 200) {
                        received.add(m);
                    }
                } catch (IOException closed) {
                    return;
                }
            }
        }

        void send(String text) throws IOException {
            byte[] b = text.getBytes(StandardCharsets.ISO_8859_1);
            socket.send(new DatagramPacket(b, b.length, InetAddress.getLoopbackAddress(), serverPort));
        }

        /** The final answers received so far and within {@code quietMillis} more (a bounded wait). */
        List<String> drain(long quietMillis) throws InterruptedException {
            List<String> out = new ArrayList<>();
            String m;
            while ((m = received.poll(quietMillis, TimeUnit.MILLISECONDS)) != null) {
                out.add(m);
            }
            return out;
        }

        /** {@code n} final answers, each within 5 s. */
        List<String> await(int n) throws InterruptedException {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String m = received.poll(5, TimeUnit.SECONDS);
                if (m == null) {
                    throw new AssertionError("answer " + (i + 1) + " of " + n + " missing; got " + statuses(out));
                }
                out.add(m);
            }
            return out;
        }

        /** {@code n} OPTIONS at once; their answers. */
        List<String> burst(int n) throws Exception {
            for (int i = 0; i < n; i++) {
                send(plain("OPTIONS", "sip:127.0.0.1"));
            }
            return await(n);
        }

        /** A REGISTER of alice without credentials; the nonce of its 401. */
        String challenge() throws Exception {
            send(register(null, null, SEQ.incrementAndGet()));
            String r = await(1).get(0);
            assertEquals(401, status(r), r);
            Matcher m = NONCE.matcher(r);
            assertTrue(m.find(), r);
            return m.group(1);
        }

        private String via() {
            return "Via: SIP/2.0/UDP " + address + ":" + socket.getLocalPort()
                    + (forgedReceived == null ? "" : ";received=" + forgedReceived)
                    + ";branch=z9hG4bK-p" + SEQ.incrementAndGet() + "\r\n";
        }

        String plain(String method, String ruri) {
            int n = SEQ.incrementAndGet();
            return method + " " + ruri + " SIP/2.0\r\n" + via()
                    + "Max-Forwards: 70\r\nFrom: <sip:alice@127.0.0.1>;tag=p" + n + "\r\nTo: <" + ruri + ">\r\n"
                    + "Call-ID: " + callId + "-" + n + "\r\nCSeq: 1 " + method + "\r\nContent-Length: 0\r\n\r\n";
        }

        /** A REGISTER of alice answering {@code nonce} with {@code password} (none: no Authorization). */
        String register(String nonce, String password, int cseq) {
            String auth = "";
            if (nonce != null) {
                String ha1 = SipUser.withPassword("alice", 1, LiveServer.REALM, password.toCharArray()).ha1(DigestAlgorithm.SHA_256);
                String nc = String.format("%08x", cseq);
                String response = DigestCalculation.response(DigestAlgorithm.SHA_256, ha1, "REGISTER", "sip:127.0.0.1",
                        nonce, nc, "c0ffee", "auth");
                auth = "Authorization: Digest username=\"alice\", realm=\"" + LiveServer.REALM + "\", nonce=\"" + nonce
                        + "\", uri=\"sip:127.0.0.1\", response=\"" + response + "\", algorithm=SHA-256, qop=auth, nc="
                        + nc + ", cnonce=\"c0ffee\"\r\n";
            }
            return "REGISTER sip:127.0.0.1 SIP/2.0\r\n" + via()
                    + "Max-Forwards: 70\r\nFrom: <sip:alice@127.0.0.1>;tag=r" + callId + "\r\nTo: <sip:alice@127.0.0.1>\r\n"
                    + "Call-ID: " + callId + "\r\nCSeq: " + cseq + " REGISTER\r\n"
                    + "Contact: <sip:alice@" + address + ":" + socket.getLocalPort() + ">\r\nExpires: 600\r\n" + auth
                    + "Content-Length: 0\r\n\r\n";
        }

        @Override
        public void close() {
            socket.close();
        }
    }
}
