package io.glareresolver.integrationtests.baresip;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.glareresolver.integrationtests.felix.LoopbackPorts;
import io.glareresolver.integrationtests.phone.PhoneEvent;
import io.glareresolver.integrationtests.phone.PhoneEventLog;
import io.glareresolver.integrationtests.phone.SilenceWav;

/**
 * One baresip 1.0 phone (Debian package {@code baresip}) as its user runs it: its own process, a
 * config folder of its own, one account registered with the server, the stock {@code menu} and
 * {@code ctrl_tcp} modules. The test drives it the way a user's remote control does, over
 * ctrl_tcp (netstring-framed JSON: {@code {"command":"dial","params":"sip:bob@…"}}), and reads the
 * phone's own events ({@code CALL_INCOMING}, {@code CALL_ESTABLISHED}, {@code CALL_CLOSED}, each
 * with the call's Call-ID as {@code id}). Nothing of baresip's SIP behaviour is changed: only its
 * sound devices are files (there is no sound card here), as baresip's own {@code aufile} module
 * provides.
 */
public final class BaresipPhone implements AutoCloseable {

    /** baresip's {@code answermode} account parameter. */
    public enum AnswerMode {
        /** answers every call at once with 200 (a desk phone set to auto answer) */
        AUTO("auto"),
        /** rings (180); a second call while one is up rings as call waiting; the user answers */
        MANUAL("manual");

        final String token;

        AnswerMode(String token) {
            this.token = token;
        }
    }

    /** One event the phone reported: its type, the call's direction and Call-ID, its parameter. */
    public record Event(String type, String direction, String callId, String param, long atMillis) implements PhoneEvent {
        @Override
        public String toString() {
            return type + (direction.isEmpty() ? "" : " " + direction) + (callId.isEmpty() ? "" : " " + callId)
                    + (param.isEmpty() ? "" : " (" + param + ")");
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(BaresipPhone.class);
    private static final Path BARESIP = Path.of("/usr/bin/baresip");
    private static final Pattern FIELD = Pattern.compile("\"(\\w+)\"\\s*:\\s*(\"((?:[^\"\\\\]|\\\\.)*)\"|true|false)");
    private static final AtomicInteger PHONES = new AtomicInteger();

    private final String user;
    private final int sipPort;
    private final Path dir;
    private final Process process;
    private final Socket control;
    private final OutputStream commands;
    private final PhoneEventLog<Event> events = new PhoneEventLog<>();
    private final Thread reader;

    private BaresipPhone(String user, int sipPort, Path dir, Process process, Socket control) throws IOException {
        this.user = user;
        this.sipPort = sipPort;
        this.dir = dir;
        this.process = process;
        this.control = control;
        this.commands = control.getOutputStream();
        this.reader = new Thread(this::readEvents, "baresip-" + user);
        reader.setDaemon(true);
        reader.start();
    }

    /** Fails the test with what to install when baresip is missing (.ci/run installs it). */
    public static void requireBaresip() {
        if (!Files.isExecutable(BARESIP)) {
            fail("baresip is missing: install the Debian package baresip (apt-get install baresip; .ci/run does it)");
        }
    }

    /**
     * Starts a phone for {@code user} that registers at {@code proxy} (host:port) for
     * {@code domain}, and waits (bounded) until baresip's control port answers.
     */
    public static BaresipPhone start(Path folder, String user, String password, String proxy, String domain,
                                     AnswerMode mode) throws IOException, InterruptedException {
        Path dir = Files.createDirectories(folder.resolve("baresip-" + user + "-" + PHONES.incrementAndGet()));
        int sipPort = sipPortWithFreeTlsNeighbour();
        int controlPort = LoopbackPorts.freeTcpPort();
        int rtpBase = 30_000 + (PHONES.get() % 100) * 200;
        Path tone = dir.resolve("source.wav");
        SilenceWav.write(tone, 120); // the phone's "microphone" (no sound card here)
        // the stock modules a user loads, sound as files (aufile), one account with an outbound proxy
        Files.writeString(dir.resolve("config"), String.join("\n",
                "poll_method epoll",
                "sip_listen 127.0.0.1:" + sipPort,
                "net_interface 127.0.0.1",
                "rtp_ports " + rtpBase + "-" + (rtpBase + 199),
                "audio_player aufile," + dir.resolve("played.wav"),
                "audio_source aufile," + tone,
                "audio_alert aufile," + dir.resolve("alert.wav"),
                "module_path /usr/lib/baresip/modules",
                "module g711.so",
                "module aufile.so",
                "module_app account.so",
                "module_app menu.so",
                "module_app ctrl_tcp.so",
                "ctrl_tcp_listen 127.0.0.1:" + controlPort,
                ""));
        Files.writeString(dir.resolve("accounts"), "<sip:" + user + "@" + domain + ">;auth_pass=" + password
                + ";outbound=\"sip:" + proxy + "\";regint=300;answermode=" + mode.token + "\n");
        Process p = new ProcessBuilder(BARESIP.toString(), "-f", dir.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("baresip.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                Socket s = new Socket();
                s.connect(new InetSocketAddress(LoopbackPorts.loopback(), controlPort), 1000);
                LOG.info("baresip {} started: SIP 127.0.0.1:{}, RTP {}-{}, {} answer, folder {}", user, sipPort,
                        rtpBase, rtpBase + 199, mode.token, dir);
                return new BaresipPhone(user, sipPort, dir, p, s);
            } catch (IOException e) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    p.destroyForcibly();
                    throw new IOException("baresip for " + user + " did not open its control port "
                            + controlPort + ":\n" + log(dir), e);
                }
                p.waitFor(100, TimeUnit.MILLISECONDS); // returns at once if baresip exits: then reported above
            }
        }
    }

    /** baresip also binds SIP over TLS on the port above its SIP port: both must be free. */
    private static int sipPortWithFreeTlsNeighbour() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int port = LoopbackPorts.freeUdpAndTcpPort();
            try (ServerSocket tls = new ServerSocket(port + 1, 1, LoopbackPorts.loopback())) {
                return port;
            } catch (IOException taken) {
                // next
            }
        }
        throw new IOException("no free SIP port with a free neighbour for TLS");
    }

    public String user() {
        return user;
    }

    /** The port baresip listens on for SIP (UDP and TCP; TLS on the next one). */
    public int sipPort() {
        return sipPort;
    }

    /** Dials {@code uri} as the user does ({@code /dial}). */
    public void dial(String uri) throws IOException {
        command("dial", uri);
    }

    /** Answers the ringing call ({@code /accept}), as the user picks up. */
    public void accept() throws IOException {
        command("accept", null);
    }

    /** Hangs up the current call ({@code /hangup}). */
    public void hangUp() throws IOException {
        command("hangup", null);
    }

    private synchronized void command(String command, String params) throws IOException {
        String json = "{\"command\":\"" + command + "\"" + (params == null ? "" : ",\"params\":\"" + params + "\"")
                + ",\"token\":\"" + command + "\"}";
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        commands.write((body.length + ":").getBytes(StandardCharsets.US_ASCII));
        commands.write(body);
        commands.write(',');
        commands.flush();
    }

    /** Every event so far, in the order the phone reported them. */
    public List<Event> events() {
        return events.snapshot();
    }

    /** Events of {@code type} reported at or after {@code sinceMillis}. */
    public List<Event> events(String type, long sinceMillis) {
        return events.ofType(type, sinceMillis);
    }

    /** Waits, bounded, for an event matching {@code filter}; empty on timeout. */
    public Optional<Event> await(Predicate<Event> filter, Duration timeout) throws InterruptedException {
        return events.await(filter, timeout);
    }

    /** The call IDs this phone has seen since {@code sinceMillis} and not yet seen closed. */
    public List<String> openCalls(long sinceMillis) {
        List<Event> all = events().stream().filter(e -> e.atMillis() >= sinceMillis && !e.callId().isEmpty()).toList();
        return all.stream().map(Event::callId).distinct()
                .filter(id -> all.stream().noneMatch(e -> e.callId().equals(id) && e.type().equals("CALL_CLOSED")))
                .toList();
    }

    /** baresip's own console output (its log file), for failure messages. */
    public String log() {
        return log(dir);
    }

    private static String log(Path dir) {
        try {
            String text = Files.readString(dir.resolve("baresip.log"), StandardCharsets.UTF_8);
            return text.length() > 6000 ? text.substring(text.length() - 6000) : text;
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private void readEvents() {
        try (InputStream in = control.getInputStream()) {
            while (true) {
                int length = 0;
                for (int c = in.read(); c != ':'; c = in.read()) {
                    if (c < 0) {
                        return;
                    }
                    length = length * 10 + (c - '0');
                }
                String json = new String(in.readNBytes(length), StandardCharsets.UTF_8);
                if (in.read() != ',') {
                    LOG.warn("baresip {}: netstring not closed by ','", user);
                    return;
                }
                onMessage(json);
            }
        } catch (IOException e) {
            LOG.debug("baresip {}: control connection closed ({})", user, e.toString());
        }
    }

    private void onMessage(String json) {
        String type = "";
        String direction = "";
        String id = "";
        String param = "";
        boolean event = false;
        Matcher m = FIELD.matcher(json);
        while (m.find()) {
            String value = m.group(3) == null ? m.group(2) : m.group(3);
            switch (m.group(1)) {
                case "event" -> event = "true".equals(value);
                case "type" -> type = value;
                case "direction" -> direction = value;
                case "id" -> id = value;
                case "param" -> param = value;
                case "data" -> param = param.isEmpty() ? value : param;
                default -> { }
            }
        }
        if (!event) {
            type = "RESPONSE";
        }
        if (type.equals("CALL_RTCP") || type.equals("CALL_RTPESTAB")) {
            return; // media statistics: not what a call's course is about
        }
        Event e = new Event(type, direction, id, param, System.currentTimeMillis());
        LOG.debug("baresip {}: {}", user, e);
        events.append(e);
    }

    /** Quits baresip ({@code /quit}), which unregisters; killed if it has not ended within 5 s. */
    @Override
    public void close() throws InterruptedException {
        try {
            command("quit", null);
        } catch (IOException e) {
            LOG.debug("baresip {}: quit not sent ({})", user, e.toString());
        }
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        try {
            control.close();
        } catch (IOException e) {
            LOG.debug("baresip {}: {}", user, e.toString());
        }
    }
}
