package io.glareresolver.integrationtests.asterisk;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test fixture: Asterisk's side of one FastAGI session, as Asterisk's {@code res_agi} speaks it
 * (https://docs.asterisk.org/Configuration/Interfaces/Asterisk-Gateway-Interface-AGI/): it connects
 * to the FastAGI server, sends the {@code agi_*} environment ("agi_name: value" lines ended by an
 * empty line, arguments as {@code agi_arg_N}), then answers each command line with
 * {@code 200 result=...} until the server closes the connection. Channel variables live in a map:
 * {@code GET VARIABLE NAME} answers {@code 200 result=1 (value)} or {@code 200 result=0};
 * {@code SET VARIABLE NAME "value"} stores and answers {@code 200 result=1}; anything else
 * {@code 510 Invalid or unknown command}. Not product code.
 */
public final class AsteriskAgiCall {

    /** What happened in one session. */
    public record Result(Map<String, String> variablesSet, List<String> commands, boolean closedByServer) {
        public String get(String name) {
            return variablesSet.get(name);
        }
    }

    private final Map<String, String> environment = new LinkedHashMap<>();
    private final Map<String, String> channelVariables = new LinkedHashMap<>();
    private final List<String> arguments = new ArrayList<>();

    private AsteriskAgiCall() {
    }

    /**
     * A call on {@code channel} from {@code callerId} dialling {@code extension}, running
     * {@code AGI(agi://host:port/<script>,args...)}.
     */
    public static AsteriskAgiCall of(String script, int port, String channel, String callerId, String extension) {
        AsteriskAgiCall c = new AsteriskAgiCall();
        String uniqueId = "1732540000." + Math.abs(channel.hashCode() % 100000);
        c.environment.put("agi_network", "yes");
        c.environment.put("agi_network_script", script);
        c.environment.put("agi_request", "agi://127.0.0.1:" + port + "/" + script);
        c.environment.put("agi_channel", channel);
        c.environment.put("agi_language", "en");
        c.environment.put("agi_type", channel.contains("/") ? channel.substring(0, channel.indexOf('/')) : "PJSIP");
        c.environment.put("agi_uniqueid", uniqueId);
        c.environment.put("agi_version", "18.20.0");
        c.environment.put("agi_callerid", callerId == null ? "unknown" : callerId);
        c.environment.put("agi_calleridname", "unknown");
        c.environment.put("agi_callingpres", "0");
        c.environment.put("agi_callingani2", "0");
        c.environment.put("agi_callington", "0");
        c.environment.put("agi_callingtns", "0");
        c.environment.put("agi_dnid", extension == null ? "unknown" : extension);
        c.environment.put("agi_rdnis", "unknown");
        c.environment.put("agi_context", "glare-internal");
        c.environment.put("agi_extension", extension == null ? "s" : extension);
        c.environment.put("agi_priority", "4");
        c.environment.put("agi_enhanced", "0.0");
        c.environment.put("agi_accountcode", "");
        c.environment.put("agi_threadid", "140234567890");
        return c;
    }

    public AsteriskAgiCall args(String... args) {
        arguments.addAll(List.of(args));
        return this;
    }

    public AsteriskAgiCall variable(String name, String value) {
        channelVariables.put(name, value);
        return this;
    }

    /** Runs the session against 127.0.0.1:{@code port}; every read bounded by {@code timeout}. */
    public Result run(int port, Duration timeout) throws IOException {
        StringBuilder env = new StringBuilder();
        environment.forEach((k, v) -> env.append(k).append(": ").append(v).append('\n'));
        for (int i = 0; i < arguments.size(); i++) {
            env.append("agi_arg_").append(i + 1).append(": ").append(arguments.get(i)).append('\n');
        }
        env.append('\n');
        return exchange(port, timeout, env.toString());
    }

    /** Sends {@code raw} bytes as the request (a malformed one) and then plays Asterisk as usual. */
    public static Result runRaw(int port, Duration timeout, String raw) throws IOException {
        return new AsteriskAgiCall().exchange(port, timeout, raw);
    }

    private Result exchange(int port, Duration timeout, String request) throws IOException {
        Map<String, String> set = new LinkedHashMap<>();
        List<String> commands = new ArrayList<>();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), (int) timeout.toMillis());
            s.setSoTimeout((int) timeout.toMillis());
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            String line;
            try {
                while ((line = in.readLine()) != null) {
                    commands.add(line);
                    out.write((answer(line, set) + "\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
            } catch (SocketTimeoutException e) {
                return new Result(set, commands, false);
            } catch (IOException e) {
                // the server closed while we wrote: it is done with the channel
            }
        }
        return new Result(set, commands, true);
    }

    private String answer(String line, Map<String, String> set) {
        String upper = line.toUpperCase(java.util.Locale.ROOT);
        if (upper.startsWith("GET VARIABLE ")) {
            String name = unquote(line.substring("GET VARIABLE ".length()).trim());
            String v = set.containsKey(name) ? set.get(name) : channelVariables.get(name);
            return v == null ? "200 result=0" : "200 result=1 (" + v + ")";
        }
        if (upper.startsWith("SET VARIABLE ")) {
            String rest = line.substring("SET VARIABLE ".length()).trim();
            int sp = rest.indexOf(' ');
            String name = unquote(sp < 0 ? rest : rest.substring(0, sp));
            String value = sp < 0 ? "" : unquote(rest.substring(sp + 1).trim());
            set.put(name, value);
            return "200 result=1";
        }
        return "510 Invalid or unknown command";
    }

    private static String unquote(String s) {
        if (s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")) {
            s = s.substring(1, s.length() - 1);
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '\\' && i + 1 < s.length()) {
                    c = s.charAt(++i);
                }
                b.append(c);
            }
            return b.toString();
        }
        return s;
    }
}
