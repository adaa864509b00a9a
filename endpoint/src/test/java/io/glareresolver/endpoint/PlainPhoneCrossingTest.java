package io.glareresolver.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.glareresolver.endpoint.fsm.State;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The crossing against a plain RFC 3261 phone: a Net::SIP script (src/test/perl/plain-phone.pl)
 * that answers 486 while its own call is pending and auto-answers otherwise.
 */
class PlainPhoneCrossingTest {

    static final Duration WAIT = Duration.ofSeconds(5);
    /** How long the perl phone may take to print a line: perl + Net::SIP start slowly on a busy machine. */
    static final Duration OUTPUT_WAIT = Duration.ofSeconds(30);

    Process perl;
    Writer toPerl;
    final BlockingQueue<String> fromPerl = new LinkedBlockingQueue<>();
    int perlPort;
    GlareEndpoint alice;

    @BeforeEach
    void startPhone() throws Exception {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            perlPort = s.getLocalPort();
        }
        perl = new ProcessBuilder("perl", Path.of("src/test/perl/plain-phone.pl").toString(),
                "--port", Integer.toString(perlPort), "--user", "carol", "--answer-delay", "5", "--max-seconds", "40")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        toPerl = new java.io.OutputStreamWriter(perl.getOutputStream(), StandardCharsets.US_ASCII);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(perl.getInputStream(), StandardCharsets.US_ASCII))) {
                for (String line; (line = r.readLine()) != null; ) {
                    fromPerl.add(line);
                }
            } catch (IOException e) {
                fromPerl.add("IOERROR " + e);
            }
        }, "perl-phone-stdout");
        reader.setDaemon(true);
        reader.start();
        expect("READY");
        alice = GlareEndpoint.builder().user("alice").id(1001).ackTimeout(WAIT).glareTimeout(WAIT).build();
    }

    @AfterEach
    void stop() throws Exception {
        if (alice != null) {
            alice.close();
        }
        if (perl != null) {
            try {
                send("QUIT");
            } catch (IOException e) {
                // already gone
            }
            if (!perl.waitFor(5, TimeUnit.SECONDS)) {
                perl.destroyForcibly();
            }
        }
    }

    void send(String line) throws IOException {
        toPerl.write(line + "\n");
        toPerl.flush();
    }

    /** @return the first line starting with {@code prefix}; fails after {@link #OUTPUT_WAIT} */
    String expect(String prefix) throws InterruptedException {
        long deadline = System.nanoTime() + OUTPUT_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            String line = fromPerl.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (line != null && line.startsWith(prefix)) {
                return line;
            }
        }
        throw new AssertionError("the perl phone did not print " + prefix + " within " + OUTPUT_WAIT);
    }

    @Test
    @Timeout(30)
    void crossingWithABusyPlainPhoneEndsCleanly() throws Exception {
        String carol = "sip:carol@127.0.0.1:" + perlPort;
        CallHandle h = alice.call(carol);
        expect("RINGING");                                   // our INVITE is pending at the phone
        send("CALL sip:alice@127.0.0.1:" + alice.sipPort()); // the phone dials us: the INVITEs cross
        expect("SENT");
        CallResult r = h.result().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        String ctx = r + "\n" + h.trace();
        // the phone's INVITE had no Glare-Tiebreak: NG to it (claim 8); the phone was busy: 486 to ours
        assertFalse(r.established(), ctx);
        assertTrue(r.crossed(), ctx);
        assertEquals(486, r.status(), ctx);
        assertTrue(h.trace().stream().anyMatch(l -> l.startsWith("-> 491")), ctx);
        assertEquals("RESULT 491", expect("RESULT"));
        // both NG (claim 6): our port is closed, nothing left open
        CallResult end = h.ended().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(State.CLOSED, end.state());
        assertTrue(h.session().isEmpty());
        assertEquals(new PortCounts(1, 1), alice.ports());
    }

    @Test
    @Timeout(30)
    void plainPhoneAutoAnswersWhenNotBusy() throws Exception {
        send("DELAY 0.05");
        CallHandle h = alice.call("sip:carol@127.0.0.1:" + perlPort);
        CallResult r = h.result().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertTrue(r.established(), r + "\n" + h.trace());
        assertFalse(r.crossed());
        assertTrue(r.remotePort() > 0);
        expect("ACK");
        h.hangUp();
        expect("BYE");
        h.ended().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(new PortCounts(1, 1), alice.ports());
    }

    @Test
    @Timeout(30)
    void plainPhoneCallsUsAndWeAnswer() throws Exception {
        CompletableFuture<CallHandle> incoming = new CompletableFuture<>();
        alice.close();
        alice = GlareEndpoint.builder().user("alice").id(1001).ackTimeout(WAIT).onIncoming(incoming::complete).build();
        send("CALL sip:alice@127.0.0.1:" + alice.sipPort());
        assertEquals("RESULT 200", expect("RESULT"));
        CallHandle h = incoming.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        CallResult r = h.result().get(WAIT.toMillis(), TimeUnit.MILLISECONDS); // S111–S119
        assertTrue(r.established(), r + "\n" + h.trace());
        assertNotNull(h.session().orElseThrow());
        h.hangUp();
        expect("BYE");
        h.ended().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(new PortCounts(1, 1), alice.ports());
    }
}
