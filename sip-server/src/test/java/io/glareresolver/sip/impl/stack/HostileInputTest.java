package io.glareresolver.sip.impl.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The hostile-input corpus ({@code src/test/resources/hostile/}, one malformed message a file),
 * sent over UDP and TCP to the running server. The corpus README's table names each file's
 * expected outcome per transport; the test reads the table from there, so the table and the
 * assertion cannot drift apart. After the corpus the server must still register and connect a call.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HostileInputTest {

    static final Path CORPUS = Path.of("src/test/resources/hostile");
    /** {@code | file | UDP | TCP | why |} rows of the corpus README. */
    static final Pattern ROW = Pattern.compile("(?m)^\\|\\s*`([^`]+)`\\s*\\|\\s*([^|]+?)\\s*\\|\\s*([^|]+?)\\s*\\|(.*)\\|\\s*$");

    /** An expected outcome: a status code, "dropped", alternatives with "or"; "(RI)" marks a 400 whose text is the RI's parser message. */
    record Expect(String udp, String tcp) {
        static boolean matches(String expected, RawPeer.Answer got) {
            for (String alt : expected.split("\\s+or\\s+")) {
                if (alt.replace("(RI)", "").trim().equals(got.outcome())) {
                    return true;
                }
            }
            return false;
        }

        static boolean riText(String expected) {
            return expected.contains("(RI)");
        }
    }

    @TempDir
    Path dir;

    static Map<String, Expect> table() throws Exception {
        String readme = Files.readString(CORPUS.resolve("README.md"));
        Map<String, Expect> out = new LinkedHashMap<>();
        Matcher m = ROW.matcher(readme);
        while (m.find()) {
            out.put(m.group(1), new Expect(m.group(2), m.group(3)));
        }
        return out;
    }

    /** The corpus bytes, with the two generated oversize cases expanded. */
    static Map<String, byte[]> corpus() throws Exception {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (var files = Files.list(CORPUS)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".sip")).sorted().toList()) {
                out.put(f.getFileName().toString(), expand(Files.readAllBytes(f)));
            }
        }
        return out;
    }

    /** {@code {{PAD n}}}: n bytes of 'a'; {@code {{VIA n}}}: n extra Via header lines. */
    static byte[] expand(byte[] raw) {
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        Matcher pad = Pattern.compile("\\{\\{PAD (\\d+)}}").matcher(text);
        if (pad.find()) {
            text = text.substring(0, pad.start()) + "a".repeat(Integer.parseInt(pad.group(1))) + text.substring(pad.end());
        }
        Matcher via = Pattern.compile("\\{\\{VIA (\\d+)}}").matcher(text);
        if (via.find()) {
            StringBuilder b = new StringBuilder();
            int n = Integer.parseInt(via.group(1));
            for (int i = 0; i < n; i++) {
                b.append(i == 0 ? "" : "\r\n").append("Via: SIP/2.0/UDP 192.0.2.").append(i % 250 + 1)
                        .append(";branch=z9hG4bK-hop").append(i);
            }
            text = text.substring(0, via.start()) + b + text.substring(via.end());
        }
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void everyHostileMessageGetsItsNamedOutcomeAndTheServerKeepsServing() throws Exception {
        Map<String, byte[]> corpus = corpus();
        Map<String, Expect> table = table();
        assertTrue(corpus.size() >= 25, "the corpus is there: " + corpus.size());
        assertEquals(corpus.keySet(), table.keySet(), "every corpus file has exactly one row in the README table");
        try (LiveServer live = new LiveServer(dir)) {
            Map<String, RawPeer.Answer> udp = RawPeer.udp(corpus, live.port(), 2500);
            Map<String, RawPeer.Answer> tcp = RawPeer.tcp(corpus, live.port(), 3000);
            List<String> problems = new ArrayList<>();
            StringBuilder seen = new StringBuilder();
            for (String name : corpus.keySet()) {
                Expect e = table.get(name);
                check(problems, name, "UDP", e.udp(), udp.get(name));
                check(problems, name, "TCP", e.tcp(), tcp.get(name));
                seen.append(String.format("%n  %-42s udp %-8s tcp %-8s | %s | %s", name, udp.get(name).outcome(),
                        tcp.get(name).outcome(), RawPeer.printable(udp.get(name).finalLine()),
                        RawPeer.printable(tcp.get(name).finalLine())));
            }
            LoggerFactory.getLogger(getClass()).info("hostile corpus outcomes:{}", seen);
            live.stillServes();
            assertTrue(live.ownErrors().isEmpty(), "ERROR logged by our code for a peer's mistake: " + live.ownErrors());
            assertTrue(problems.isEmpty(), String.join("\n", problems) + "\nall outcomes:" + seen);
        }
    }

    private static void check(List<String> problems, String name, String transport, String expected, RawPeer.Answer got) {
        if (!Expect.matches(expected, got)) {
            problems.add(name + " over " + transport + ": expected " + expected + ", got " + RawPeer.printable(got.finalLine()));
        }
        if (got.finalStatus() >= 500 && got.finalStatus() != 505) {
            problems.add(name + " over " + transport + ": a server error for the peer's mistake: " + got.finalLine());
        }
        if (!Expect.riText(expected)) {
            for (String j : got.junk()) {
                problems.add(name + " over " + transport + ": junk to the peer: " + j);
            }
        }
    }
}
