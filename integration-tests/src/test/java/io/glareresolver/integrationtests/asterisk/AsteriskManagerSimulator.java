package io.glareresolver.integrationtests.asterisk;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Test fixture: Asterisk's manager interface (AMI) on a loopback port, byte for byte as Asterisk
 * documents it (https://docs.asterisk.org/Configuration/Interfaces/Asterisk-Manager-Interface-AMI/):
 * the banner {@code Asterisk Call Manager/5.0.1\r\n}, then packets of {@code Key: Value\r\n} lines
 * ended by an empty line. Actions answered: {@code Challenge} (MD5), {@code Login} (plain
 * {@code Secret} or MD5 {@code Key}; {@code Response: Success / Message: Authentication accepted},
 * then {@code Event: FullyBooted}), {@code CoreSettings}, {@code Command} ({@code core show version}),
 * {@code Ping}, {@code Logoff}, and the call actions {@code Hangup}, {@code Redirect}, {@code Bridge}
 * (recorded for the test, answered {@code Success}); each response echoes the {@code ActionID}.
 * One client at a time. Not product code.
 */
public final class AsteriskManagerSimulator implements AutoCloseable {

    public static final String BANNER = "Asterisk Call Manager/5.0.1";

    private final String username;
    private final String secret;
    private final ServerSocket server;
    private final Thread acceptor;
    private final AtomicReference<Socket> current = new AtomicReference<>();
    private final AtomicReference<OutputStream> loggedIn = new AtomicReference<>();
    private final AtomicInteger logins = new AtomicInteger();
    private final AtomicInteger failedLogins = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private final BlockingQueue<Map<String, String>> callActions = new LinkedBlockingQueue<>();
    private final BlockingQueue<Integer> loginEvents = new LinkedBlockingQueue<>();
    private volatile boolean closed;

    public AsteriskManagerSimulator(String username, String secret) throws IOException {
        this.username = username;
        this.secret = secret;
        this.server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::acceptLoop, "ami-simulator");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    public int logins() {
        return logins.get();
    }

    /** TCP connections accepted so far. */
    public int connections() {
        return connections.get();
    }

    public int failedLogins() {
        return failedLogins.get();
    }

    /** Waits (bounded) until login number {@code n} (1-based) has been accepted. */
    public void awaitLogin(int n, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (logins.get() < n) {
            long left = end - System.nanoTime();
            if (left <= 0 || loginEvents.poll(left, TimeUnit.NANOSECONDS) == null && logins.get() < n) {
                throw new AssertionError("login " + n + " not seen within " + timeout + " (logins " + logins.get()
                        + ", refused " + failedLogins.get() + ")");
            }
        }
    }

    /** The next Hangup/Redirect/Bridge action received, or null after {@code timeout}. */
    public Map<String, String> nextCallAction(Duration timeout) throws InterruptedException {
        return callActions.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Sends an event packet to the logged-in client; {@code fields} in order, {@code Event} first. */
    public void event(String... keyValues) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            b.append(keyValues[i]).append(": ").append(keyValues[i + 1]).append("\r\n");
        }
        b.append("\r\n");
        OutputStream out = loggedIn.get();
        if (out == null) {
            throw new IOException("no client logged in");
        }
        synchronized (out) {
            out.write(b.toString().getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
    }

    /** Writes half an event packet, then closes the connection: the PBX went away mid-stream. */
    public void dropMidStream() throws IOException {
        OutputStream out = loggedIn.getAndSet(null);
        Socket s = current.get();
        if (out != null) {
            synchronized (out) {
                out.write("Event: Newchannel\r\nPrivilege: call,all\r\nChannel: PJSIP/10".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        }
        if (s != null) {
            s.close();
        }
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket s = server.accept();
                connections.incrementAndGet();
                Socket previous = current.getAndSet(s);
                if (previous != null) {
                    previous.close();
                }
                Thread t = new Thread(() -> serve(s), "ami-simulator-session");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (!closed) {
                    System.err.println("AMI simulator accept: " + e);
                }
            }
        }
    }

    private void serve(Socket s) {
        String challenge = null;
        try (s) {
            s.setSoTimeout(60_000);
            OutputStream out = s.getOutputStream();
            write(out, BANNER + "\r\n");
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            Map<String, String> packet = new LinkedHashMap<>();
            String line;
            while ((line = in.readLine()) != null) {
                if (!line.isEmpty()) {
                    int colon = line.indexOf(':');
                    if (colon > 0) {
                        packet.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
                    }
                    continue;
                }
                if (packet.isEmpty()) {
                    continue;
                }
                String action = packet.getOrDefault("action", "").toLowerCase(Locale.ROOT);
                String id = packet.containsKey("actionid") ? "ActionID: " + packet.get("actionid") + "\r\n" : "";
                switch (action) {
                    case "challenge" -> {
                        challenge = Long.toString(100_000_000L + (long) (Math.random() * 800_000_000L));
                        write(out, "Response: Success\r\n" + id + "Challenge: " + challenge + "\r\n\r\n");
                    }
                    case "login" -> {
                        if (authenticated(packet, challenge)) {
                            write(out, "Response: Success\r\n" + id + "Message: Authentication accepted\r\n\r\n");
                            write(out, "Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: 1234\r\nLastReload: 1234\r\n"
                                    + "Status: Fully Booted\r\n\r\n");
                            loggedIn.set(out);
                            loginEvents.add(logins.incrementAndGet());
                        } else {
                            failedLogins.incrementAndGet();
                            write(out, "Response: Error\r\n" + id + "Message: Authentication failed\r\n\r\n");
                        }
                    }
                    case "coresettings" -> write(out, "Response: Success\r\n" + id + "AMIversion: 5.0.1\r\n"
                            + "AsteriskVersion: 18.20.0\r\nSystemName: \r\nCoreMaxCalls: 0\r\nCoreMaxLoadAvg: 0.000000\r\n"
                            + "CoreRunUser: asterisk\r\nCoreRunGroup: asterisk\r\nCoreMaxFilehandles: 0\r\n"
                            + "CoreRealTimeEnabled: No\r\nCoreCDRenabled: Yes\r\nCoreHTTPenabled: No\r\n\r\n");
                    case "command" -> write(out, "Response: Success\r\n" + id + "Message: Command output follows\r\n"
                            + "Output: Asterisk 18.20.0 built by root @ simulator on a x86_64 running Linux on 2024-01-01 00:00:00 UTC\r\n\r\n");
                    case "ping" -> write(out, "Response: Success\r\n" + id + "Ping: Pong\r\nTimestamp: 1732540000.000000\r\n\r\n");
                    case "logoff" -> {
                        write(out, "Response: Goodbye\r\n" + id + "Message: Thanks for all the fish.\r\n\r\n");
                        loggedIn.compareAndSet(out, null);
                        return;
                    }
                    case "hangup", "redirect", "bridge" -> {
                        callActions.add(Map.copyOf(packet));
                        String message = switch (action) {
                            case "hangup" -> "Channel Hungup";
                            case "redirect" -> "Redirect successful";
                            default -> "Channels have been bridged";
                        };
                        write(out, "Response: Success\r\n" + id + "Message: " + message + "\r\n\r\n");
                    }
                    default -> write(out, "Response: Error\r\n" + id + "Message: Invalid/unknown command\r\n\r\n");
                }
                packet = new LinkedHashMap<>();
            }
        } catch (IOException e) {
            // client gone or dropped by the test
        } finally {
            current.compareAndSet(s, null);
        }
    }

    private boolean authenticated(Map<String, String> packet, String challenge) {
        if (!username.equals(packet.get("username"))) {
            return false;
        }
        if ("md5".equalsIgnoreCase(packet.get("authtype")) && challenge != null) {
            return md5Hex(challenge + secret).equalsIgnoreCase(packet.getOrDefault("key", ""));
        }
        return secret.equals(packet.get("secret"));
    }

    static String md5Hex(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void write(OutputStream out, String text) throws IOException {
        synchronized (out) {
            out.write(text.getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        Socket s = current.getAndSet(null);
        if (s != null) {
            s.close();
        }
    }
}
