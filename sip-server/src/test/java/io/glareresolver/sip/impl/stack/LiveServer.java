package io.glareresolver.sip.impl.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

import javax.sip.RequestEvent;
import javax.sip.ServerTransaction;
import javax.sip.message.Request;
import javax.sip.message.Response;

import io.glareresolver.sip.impl.auth.DigestAlgorithm;
import io.glareresolver.sip.impl.config.ServerSettings;
import io.glareresolver.sip.impl.location.SubscriberStore;
import io.glareresolver.sip.impl.proxy.InterceptorChain;
import io.glareresolver.sip.impl.users.SipUser;

/**
 * A running server (UDP and TCP on loopback) with users alice and bob, for the hostile-input
 * tests, plus a capture of what is logged at ERROR while it runs (slf4j-simple writes to
 * System.err, looked up at each log call).
 */
final class LiveServer implements AutoCloseable {

    static final String REALM = "glare-resolver";
    static final String SDP = "v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n";

    final ServerSettings settings;
    final SubscriberStore store;
    final SipServer server;
    private final PrintStream originalErr = System.err;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

    LiveServer(Path dir) throws Exception {
        this(dir, b -> b);
    }

    /** A server whose settings {@code tune} adjusts (e.g. TLS); its start is in the captured log too. */
    LiveServer(Path dir, java.util.function.UnaryOperator<ServerSettings.Builder> tune) throws Exception {
        Path users = dir.resolve("sip-users.txt");
        Files.write(users, List.of(
                SipUser.withPassword("alice", 1, REALM, "alice-pw".toCharArray()).line(),
                SipUser.withPassword("bob", 2, REALM, "bob-pw".toCharArray()).line()));
        settings = tune.apply(ServerSettings.builder().port(TestPhone.freePort()).usersFile(users)
                // both challenged, SHA-256 first: the SHA-256 paths; the shipped MD5-only default has its own test
                .digestAlgorithms(List.of(DigestAlgorithm.SHA_256, DigestAlgorithm.MD5))).build();
        store = new SubscriberStore(settings, Clock.systemUTC());
        server = new SipServer(settings, store, new InterceptorChain());
        System.setErr(new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                synchronized (captured) {
                    captured.write(b);
                    captured.notifyAll();
                }
                originalErr.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                synchronized (captured) {
                    captured.write(b, off, len);
                    captured.notifyAll();
                }
                originalErr.write(b, off, len);
            }
        }, true));
        try {
            server.start();
        } catch (Exception | Error e) {
            System.setErr(originalErr);
            throw e;
        }
    }

    /** Everything logged since the server was created. */
    String log() {
        synchronized (captured) {
            return captured.toString(StandardCharsets.UTF_8);
        }
    }

    int port() {
        return settings.port();
    }

    /** Waits (bounded, woken by each write) until the log holds a line containing every one of {@code parts}. */
    boolean logs(long millis, String... parts) throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000L;
        synchronized (captured) {
            while (true) {
                for (String line : captured.toString(StandardCharsets.UTF_8).split("\n")) {
                    if (java.util.Arrays.stream(parts).allMatch(line::contains)) {
                        return true;
                    }
                }
                long left = (end - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    return false;
                }
                captured.wait(left);
            }
        }
    }

    /** Lines logged at ERROR (or WARN with a stack trace) by this project's own code since start. */
    List<String> ownErrors() {
        String all;
        synchronized (captured) {
            all = captured.toString(StandardCharsets.UTF_8);
        }
        List<String> out = new ArrayList<>();
        for (String line : all.split("\n")) {
            if (line.contains(" ERROR io.glareresolver")) {
                out.add(line);
            }
        }
        return out;
    }

    /** Lines the JAIN-SIP RI logged at ERROR since start (its own choice of level; reported, not ours). */
    List<String> stackErrors() {
        String all;
        synchronized (captured) {
            all = captured.toString(StandardCharsets.UTF_8);
        }
        List<String> out = new ArrayList<>();
        for (String line : all.split("\n")) {
            if (line.contains(" ERROR gov.nist")) {
                out.add(line);
            }
        }
        return out;
    }

    /**
     * The server still serves: alice and bob register (over UDP and TCP), alice calls bob through
     * the proxy, bob answers, ACK and BYE go through.
     */
    void stillServes() throws Exception {
        try (TestPhone alice = new TestPhone("alice", "alice-pw", port(), "udp");
             TestPhone bob = new TestPhone("bob", "bob-pw", port(), "tcp")) {
            assertEquals(200, alice.register(600, DigestAlgorithm.SHA_256).getStatusCode(), "alice registers");
            assertEquals(200, bob.register(600, DigestAlgorithm.SHA_256).getStatusCode(), "bob registers");
            TestPhone.Call call = alice.invite("bob", SDP, true);
            RequestEvent inv = bob.expectRequest(Request.INVITE);
            ServerTransaction st = bob.serverTransaction(inv);
            bob.respond(st, 200, SDP);
            Response ok = alice.expectStatus(200);
            call.ack(ok);
            bob.expectRequest(Request.ACK);
            call.bye();
            RequestEvent bye = bob.expectRequest(Request.BYE);
            bob.respond(bob.serverTransaction(bye), 200, null);
            assertEquals(200, alice.expectResponse(r -> r.getStatusCode() >= 200).getStatusCode(), "BYE answered");
            assertTrue(store.locations().lookup("alice@" + settings.domain()).isPresent());
        }
    }

    @Override
    public void close() {
        System.setErr(originalErr);
        server.stop();
    }
}
