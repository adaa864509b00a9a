package io.glareresolver.integrationtests.linphone;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 * One linphone 5.1 phone (Debian package {@code linphone-cli}) as its user runs it headless:
 * liblinphone's own {@code linphone-daemon}, one process per phone, started with the daemon's stock
 * {@code --auto-answer}, a {@code linphonerc} of its own in a fresh folder under {@code target/}
 * (also its {@code HOME}; its sqlite databases, call history and ZRTP cache are in there), one
 * account registered with the server. The test drives it as a remote control does, over the
 * daemon's standard input ({@code call sip:bob@…}, {@code terminate <id>}, {@code quit}), and reads
 * what the daemon prints on its standard output: one {@code Status:} response per command, in
 * order, and {@code call-state-changed} events ({@code LinphoneCallIncomingReceived},
 * {@code LinphoneCallConnected}, {@code LinphoneCallEnd}, …), each with the daemon's own number for
 * the call ({@code Id}) and the caller ({@code From}: the INVITE's From, on both phones).
 *
 * <p>linphone reports the SIP Call-ID nowhere but in its log: the same call on two phones is the
 * one with the same caller, outgoing on one and incoming on the other.
 *
 * <p>Nothing of linphone's SIP behaviour is changed (its own glare handling included: an INVITE
 * from the address it is calling itself is refused with 486). Its configuration only holds what a
 * user enters (proxy, identity, password) and what this machine needs: SIP on UDP only, bound to
 * 127.0.0.1 on a free port (TCP and TLS off), RTP ports of its own, no video, no echo canceller,
 * and, as there is no sound card here, a file of silence that liblinphone plays in place of a
 * microphone (its {@code hold_music} setting: with no capture card liblinphone streams that file;
 * what it receives goes nowhere).
 */
public final class LinphonePhone implements AutoCloseable {

    /** The daemon's call states ({@code LinphoneCall…}) that end a call. */
    private static final List<String> ENDED = List.of("End", "Error", "Released");

    /** One call state change the phone reported: linphone's state, its call number, the caller. */
    public record Event(String type, String call, String from, long atMillis) implements PhoneEvent {
        @Override
        public String toString() {
            return type + " #" + call + (from.isEmpty() ? "" : " from " + from);
        }
    }

    /** One response of the daemon to a command: its status and fields. */
    public record Response(String status, Map<String, String> fields) {
        public boolean ok() {
            return "Ok".equals(status);
        }

        @Override
        public String toString() {
            return status + (fields.isEmpty() ? "" : " " + fields);
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(LinphonePhone.class);
    private static final Path DAEMON = Path.of("/usr/bin/linphone-daemon");
    private static final String PROMPT = "daemon-linphone>";
    private static final Pattern FIELD = Pattern.compile("^([A-Z][A-Za-z-]*):\\s?(.*)$");
    private static final Pattern ADDRESS = Pattern.compile("<?(sips?:[^>;\\s]+)");
    private static final AtomicInteger PHONES = new AtomicInteger();

    private final String user;
    private final int sipPort;
    private final Path dir;
    private final Process process;
    private final OutputStream commands;
    private final ArrayDeque<CompletableFuture<Response>> pending = new ArrayDeque<>();
    private final PhoneEventLog<Event> events = new PhoneEventLog<>();
    private final Thread reader;

    private LinphonePhone(String user, int sipPort, Path dir, Process process) {
        this.user = user;
        this.sipPort = sipPort;
        this.dir = dir;
        this.process = process;
        this.commands = process.getOutputStream();
        this.reader = new Thread(this::readOutput, "linphone-" + user);
        reader.setDaemon(true);
        reader.start();
    }

    /** Fails the test with what to install when linphone is missing. */
    public static void requireLinphone() {
        if (!Files.isExecutable(DAEMON)) {
            fail("linphone-daemon is missing: install the Debian package linphone-cli (apt-get install linphone-cli)");
        }
    }

    /**
     * Starts a phone for {@code user} that registers at {@code proxy} (host:port) as
     * {@code sip:user@domain}, answering every call at once, and waits (bounded) until the daemon
     * answers its first command.
     */
    public static LinphonePhone start(Path folder, String user, String password, String proxy, String domain)
            throws IOException, InterruptedException {
        int n = PHONES.incrementAndGet();
        // a fresh folder per start: linphone keeps its databases and log there from run to run
        Path dir = Files.createTempDirectory(Files.createDirectories(folder), "linphone-" + user + "-" + n + "-")
                .toAbsolutePath();
        int sipPort = LoopbackPorts.freeUdpAndTcpPort();
        int rtpBase = 50_000 + (n % 50) * 200;
        Path silence = dir.resolve("silence.wav");
        SilenceWav.write(silence, 10);
        Path rc = dir.resolve("linphonerc");
        // what the user enters (proxy, identity, password) and what this machine needs; linphone
        // rewrites the file as it runs (it keeps the HA1, not the password): written afresh each start
        Files.writeString(rc, String.join("\n",
                "[sip]",
                "sip_port=" + sipPort,
                "sip_tcp_port=0",
                "sip_tls_port=0",
                "bind_address=127.0.0.1",
                "guess_hostname=0",
                "register_only_when_network_is_up=0",
                "default_proxy=0",
                "",
                "[net]",
                "firewall_policy=0",
                "",
                "[rtp]",
                "audio_rtp_port=" + rtpBase + "-" + (rtpBase + 99),
                "video_rtp_port=" + (rtpBase + 100) + "-" + (rtpBase + 199),
                "",
                "[video]",
                "capture=0",
                "display=0",
                "automatically_initiate=0",
                "automatically_accept=0",
                "",
                "[sound]",
                "echocancellation=0",
                // no sound card: liblinphone streams this file instead of a microphone (its default,
                // /usr/share/linphone/sounds/linphone/dont_wait_too_long.mkv, is not where Debian puts it)
                "hold_music=" + silence,
                "",
                "[storage]",
                "backend=sqlite3",
                "uri=" + dir.resolve("linphone.db"),
                "call_logs_db_uri=" + dir.resolve("call-history.db"),
                "zrtp_secrets_db_uri=" + dir.resolve("zrtp-secrets.db"),
                "",
                "[proxy_0]",
                "reg_proxy=<sip:" + proxy + ";transport=udp>",
                "reg_identity=\"" + user + "\" <sip:" + user + "@" + domain + ">",
                "reg_expires=300",
                "reg_sendregister=1",
                "publish=0",
                "",
                "[auth_info_0]",
                "username=" + user,
                "passwd=" + password,
                "domain=" + domain,
                ""));
        ProcessBuilder pb = new ProcessBuilder(DAEMON.toString(), "--config", rc.toString(),
                "--log", dir.resolve("linphone.log").toString(), "--auto-answer", "--disable-stats-events")
                .directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("HOME", dir.toString());
        pb.environment().remove("XDG_DATA_HOME");
        pb.environment().remove("XDG_CONFIG_HOME");
        Process p = pb.start();
        LinphonePhone phone = new LinphonePhone(user, sipPort, dir, p);
        try {
            Response version = phone.command("version", Duration.ofSeconds(10));
            LOG.info("linphone {} started ({}): SIP udp 127.0.0.1:{}, RTP {}-{}, auto answer, folder {}", user,
                    version.fields().getOrDefault("Version", version.toString()), sipPort, rtpBase, rtpBase + 199, dir);
            return phone;
        } catch (IOException e) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            throw new IOException("linphone-daemon for " + user + " did not answer:\n" + phone.log(), e);
        }
    }

    public String user() {
        return user;
    }

    /** The port linphone listens on for SIP (UDP; TCP and TLS are off). */
    public int sipPort() {
        return sipPort;
    }

    /**
     * Dials {@code uri} as the user does ({@code call <uri>}); returns linphone's number for the
     * new call.
     */
    public String dial(String uri) throws IOException {
        Response r = command("call " + uri, Duration.ofSeconds(5));
        if (!r.ok()) {
            throw new IOException("linphone " + user + " did not place a call to " + uri + ": " + r);
        }
        return r.fields().getOrDefault("Id", "");
    }

    /** Hangs up every call of this phone that is not over ({@code terminate <id>}). */
    public void hangUp() throws IOException {
        List<String> open = openCalls(0);
        if (open.isEmpty()) {
            command("terminate", Duration.ofSeconds(5)); // the current call, if linphone knows one
        }
        for (String call : open) {
            hangUp(call);
        }
    }

    /** Hangs up one call ({@code terminate <id>}). */
    public Response hangUp(String call) throws IOException {
        return command("terminate " + call, Duration.ofSeconds(5));
    }

    /** The account's registration state as linphone reports it ({@code LinphoneRegistrationOk}, …). */
    public String registrationState() throws IOException {
        Response r = command("register-status ALL", Duration.ofSeconds(5));
        return r.fields().getOrDefault("State", r.toString());
    }

    /** The current call as linphone reports it ({@code State}, {@code From}, {@code Direction}). */
    public Response callStatus() throws IOException {
        return command("call-status", Duration.ofSeconds(5));
    }

    /**
     * Sends one command line and waits (bounded) for the daemon's response; commands are answered
     * in the order they were sent.
     */
    public Response command(String line, Duration timeout) throws IOException {
        CompletableFuture<Response> answer = new CompletableFuture<>();
        synchronized (pending) {
            pending.addLast(answer);
            commands.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            commands.flush();
        }
        try {
            return answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IOException("linphone " + user + ": no answer to '" + line + "' within " + timeout, e);
        } catch (ExecutionException e) {
            throw new IOException("linphone " + user + ": '" + line + "' failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for linphone " + user, e);
        }
    }

    /** Every event so far, in the order the phone reported them. */
    public List<Event> events() {
        return events.snapshot();
    }

    /** Events of state {@code type} ({@code Connected}, without {@code LinphoneCall}) at or after {@code sinceMillis}. */
    public List<Event> events(String type, long sinceMillis) {
        return events.ofType(type, sinceMillis);
    }

    /** Events of the calls this phone first reported at or after {@code sinceMillis}. */
    public List<Event> eventsOfCallsSince(long sinceMillis) {
        List<Event> all = events();
        List<String> calls = callsSince(all, sinceMillis);
        return all.stream().filter(e -> calls.contains(e.call())).toList();
    }

    /** The calls first reported at or after {@code sinceMillis} that reached {@code Connected}. */
    public List<String> establishedCalls(long sinceMillis) {
        List<Event> all = events();
        return callsSince(all, sinceMillis).stream()
                .filter(c -> all.stream().anyMatch(e -> e.call().equals(c) && e.type().equals("Connected"))).toList();
    }

    /** The calls first reported at or after {@code sinceMillis} that are not over. */
    public List<String> openCalls(long sinceMillis) {
        List<Event> all = events();
        return callsSince(all, sinceMillis).stream()
                .filter(c -> all.stream().noneMatch(e -> e.call().equals(c) && ENDED.contains(e.type()))).toList();
    }

    /** {@code incoming} or {@code outgoing}: how the call began on this phone. */
    public String direction(String call) {
        return events().stream().filter(e -> e.call().equals(call)).findFirst()
                .map(e -> e.type().startsWith("Incoming") ? "incoming" : "outgoing").orElse("");
    }

    /** The caller's address ({@code sip:user@domain}) of {@code call}: the same on both phones of a call. */
    public String caller(String call) {
        return events().stream().filter(e -> e.call().equals(call) && !e.from().isEmpty()).findFirst()
                .map(e -> address(e.from())).orElse("");
    }

    private static String address(String nameAddr) {
        Matcher m = ADDRESS.matcher(nameAddr);
        return m.find() ? m.group(1) : nameAddr;
    }

    private static List<String> callsSince(List<Event> all, long sinceMillis) {
        List<String> seenBefore = all.stream().filter(e -> e.atMillis() < sinceMillis).map(Event::call).distinct().toList();
        return all.stream().filter(e -> e.atMillis() >= sinceMillis).map(Event::call).distinct()
                .filter(c -> !seenBefore.contains(c)).toList();
    }

    /** Waits, bounded, for an event matching {@code filter}; empty on timeout. */
    public Optional<Event> await(Predicate<Event> filter, Duration timeout) throws InterruptedException {
        return events.await(filter, timeout);
    }

    /** The tail of linphone's own log (SIP messages included), for failure messages. */
    public String log() {
        try {
            String text = Files.readString(dir.resolve("linphone.log"), StandardCharsets.UTF_8);
            return text.length() > 8000 ? text.substring(text.length() - 8000) : text;
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    // --- the daemon's output: "Status: …" answers a command, "Event-type: …" starts an event ----

    private String block; // "response", "event" or null
    private String blockStatus;
    private Map<String, String> blockFields = new LinkedHashMap<>();

    private void readOutput() {
        try (InputStreamReader in = new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)) {
            char[] chunk = new char[8192];
            StringBuilder partial = new StringBuilder();
            for (int n = in.read(chunk); n >= 0; n = in.read(chunk)) {
                partial.append(chunk, 0, n);
                for (int nl = partial.indexOf("\n"); nl >= 0; nl = partial.indexOf("\n")) {
                    String line = partial.substring(0, nl);
                    partial.delete(0, nl + 1);
                    onLine(line);
                }
                // the prompt ends what the daemon prints after a command, with no line break
                while (partial.indexOf(PROMPT) == 0) {
                    partial.delete(0, PROMPT.length());
                }
                if (!in.ready()) {
                    endBlock(); // the daemon writes each answer and event at once: all of it is read
                }
            }
        } catch (IOException e) {
            LOG.debug("linphone {}: output closed ({})", user, e.toString());
        } finally {
            endBlock();
            synchronized (pending) {
                pending.forEach(f -> f.completeExceptionally(new IOException("linphone-daemon ended")));
                pending.clear();
            }
        }
    }

    private void onLine(String line) {
        while (line.startsWith(PROMPT)) {
            line = line.substring(PROMPT.length()); // the prompt, then the echoed command
        }
        Matcher m = FIELD.matcher(line.strip());
        if (m.matches()) {
            onField(m.group(1), m.group(2).strip());
        }
    }

    private void onField(String key, String value) {
        switch (key) {
            case "Status" -> {
                endBlock();
                block = "response";
                blockStatus = value;
            }
            case "Event-type" -> {
                endBlock();
                block = "event";
                blockStatus = value;
            }
            default -> {
                if (block != null) {
                    blockFields.put(key, value);
                }
                if ("event".equals(block) && key.equals("Id")) {
                    endBlock(); // a call event's last field
                }
            }
        }
    }

    private void endBlock() {
        if (block == null) {
            return;
        }
        Map<String, String> fields = blockFields;
        String status = blockStatus;
        String kind = block;
        block = null;
        blockFields = new LinkedHashMap<>();
        if (kind.equals("response")) {
            CompletableFuture<Response> answer;
            synchronized (pending) {
                answer = pending.pollFirst();
            }
            Response r = new Response(status, Map.copyOf(fields));
            if (answer == null) {
                LOG.warn("linphone {}: a response no command waits for: {}", user, r);
            } else {
                answer.complete(r);
            }
        } else if (status.equals("call-state-changed") && fields.containsKey("Event")) {
            String type = fields.get("Event").replaceFirst("^LinphoneCall", "");
            Event e = new Event(type, fields.getOrDefault("Id", ""), fields.getOrDefault("From", ""),
                    System.currentTimeMillis());
            LOG.debug("linphone {}: {}", user, e);
            events.append(e);
        } else {
            LOG.debug("linphone {}: event {} {}", user, status, fields);
        }
    }

    /** Quits linphone ({@code quit}, which unregisters); killed if it has not ended within 5 s. */
    @Override
    public void close() throws InterruptedException {
        try {
            if (process.isAlive()) {
                command("quit", Duration.ofSeconds(5));
            }
        } catch (IOException e) {
            LOG.debug("linphone {}: quit not answered ({})", user, e.toString());
        }
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            LOG.warn("linphone {} did not quit within 5 s: killed", user);
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        reader.join(2000);
    }
}
