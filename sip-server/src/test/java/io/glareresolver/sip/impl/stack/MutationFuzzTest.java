package io.glareresolver.sip.impl.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Fuzzes the running server with random mutations of a valid REGISTER and a valid INVITE over UDP:
 * byte flips, truncation, a duplicated header line, an injected CRLF. Every mutant must be
 * answered with a 4xx (505 for a mangled version) or dropped — never 2xx, never another 5xx, never
 * an exception shown to the peer — and after each batch the server answers OPTIONS and REGISTER
 * normally; at the end a registration and a call still work. The top Via is never mutated (it is
 * pointed at the test's socket, so no answer can leave loopback). Fixed seed, printed by jqwik.
 * 20 batches × 100 mutants = 2,000 mutants.
 */
class MutationFuzzTest {

    static final int BATCH = 100;
    static final String REGISTER = "REGISTER sip:127.0.0.1 SIP/2.0\r\n"
            + "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-fuzz;rport\r\n"
            + "Max-Forwards: 70\r\n"
            + "From: \"Alice\" <sip:alice@127.0.0.1>;tag=fz1\r\n"
            + "To: <sip:alice@127.0.0.1>\r\n"
            + "Call-ID: fuzz-register@127.0.0.1\r\n"
            + "CSeq: 7 REGISTER\r\n"
            + "Contact: <sip:alice@127.0.0.1:5999>;expires=600\r\n"
            + "Supported: glare\r\n"
            + "Content-Length: 0\r\n\r\n";
    static final String SDP = "v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n";
    static final String INVITE = "INVITE sip:bob@127.0.0.1 SIP/2.0\r\n"
            + "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-fuzz;rport\r\n"
            + "Max-Forwards: 70\r\n"
            + "From: <sip:alice@127.0.0.1>;tag=fz2\r\n"
            + "To: <sip:bob@127.0.0.1>\r\n"
            + "Call-ID: fuzz-invite@127.0.0.1\r\n"
            + "CSeq: 1 INVITE\r\n"
            + "Contact: <sip:alice@127.0.0.1:5999>\r\n"
            + "Supported: glare\r\n"
            + "Glare-Tiebreak: 1001;kind=id\r\n"
            + "Content-Type: application/sdp\r\n"
            + "Content-Length: " + SDP.length() + "\r\n\r\n" + SDP;

    enum Kind { FLIP, TRUNCATE, DUPLICATE_HEADER, INJECT_CRLF }

    /** One mutant: which base, what is done, where (a fraction of the mutable range), with which byte. */
    record Mutation(boolean invite, Kind kind, double where, int value) {
        byte[] apply(int serial) {
            String base = invite ? INVITE : REGISTER;
            // unique Call-ID and branch per mutant: each is a transaction of its own
            base = base.replace("fuzz-", "fuzz" + serial + "-");
            int viaStart = base.indexOf("\r\nVia:") + 2;
            int viaEnd = base.indexOf("\r\n", viaStart) + 2;
            byte[] b = base.getBytes(StandardCharsets.ISO_8859_1);
            // anywhere but the top Via line
            int span = b.length - (viaEnd - viaStart);
            int p = (int) (where * (span - 1));
            int pos = p < viaStart ? p : p + (viaEnd - viaStart);
            switch (kind) {
                case FLIP -> {
                    b[pos] = (byte) value;
                    return b;
                }
                case TRUNCATE -> {
                    return java.util.Arrays.copyOf(b, Math.max(1, pos));
                }
                case DUPLICATE_HEADER -> {
                    int lineStart = base.lastIndexOf("\r\n", Math.max(0, pos - 1)) + 2;
                    int lineEnd = base.indexOf("\r\n", lineStart);
                    if (lineStart <= viaStart || lineEnd < 0 || lineEnd <= lineStart || base.startsWith("\r\n", lineStart)) {
                        lineStart = base.indexOf("\r\nCall-ID:") + 2; // fall back to the header that matters most
                        lineEnd = base.indexOf("\r\n", lineStart);
                    }
                    String line = base.substring(lineStart, lineEnd + 2);
                    return (base.substring(0, lineEnd + 2) + line + base.substring(lineEnd + 2)).getBytes(StandardCharsets.ISO_8859_1);
                }
                case INJECT_CRLF -> {
                    String inject = (value & 1) == 0 ? "\r\n" : "\r\nX-Injected: " + value + "\r\n";
                    return (base.substring(0, pos) + inject + base.substring(pos)).getBytes(StandardCharsets.ISO_8859_1);
                }
                default -> throw new IllegalStateException();
            }
        }
    }

    static LiveServer live;
    static Path dir;
    static final AtomicInteger serial = new AtomicInteger();
    static final Map<String, AtomicInteger> outcomes = new java.util.concurrent.ConcurrentSkipListMap<>();

    @BeforeContainer
    static void start() throws Exception {
        dir = Files.createTempDirectory("mutation-fuzz");
        live = new LiveServer(dir);
    }

    @AfterContainer
    static void stop() throws Exception {
        try {
            live.stillServes();
            assertTrue(live.ownErrors().isEmpty(), "ERROR logged by our code for a peer's mistake: " + live.ownErrors());
            org.slf4j.LoggerFactory.getLogger(MutationFuzzTest.class).info("mutation fuzz: {} mutants, outcomes {}",
                    serial.get(), outcomes);
        } finally {
            live.close();
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Provide
    Arbitrary<List<Mutation>> batches() {
        Arbitrary<Mutation> one = Combinators.combine(Arbitraries.of(true, false), Arbitraries.of(Kind.class),
                Arbitraries.doubles().between(0, 1), Arbitraries.integers().between(0, 255)).as(Mutation::new);
        return one.list().ofSize(BATCH);
    }

    @Property(tries = 20, seed = "20261125", shrinking = ShrinkingMode.OFF)
    void mutantsGetA4xxOrNothingAndTheServerKeepsServing(@ForAll("batches") List<Mutation> batch) throws Exception {
        Map<String, byte[]> sends = new LinkedHashMap<>();
        Map<String, Mutation> byName = new LinkedHashMap<>();
        for (Mutation m : batch) {
            int n = serial.incrementAndGet();
            sends.put("m" + n, m.apply(n));
            byName.put("m" + n, m);
        }
        Map<String, RawPeer.Answer> answers = RawPeer.udp(sends, live.port(), 400);
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, RawPeer.Answer> e : answers.entrySet()) {
            RawPeer.Answer a = e.getValue();
            int code = a.finalStatus();
            outcomes.computeIfAbsent(a.outcome(), k -> new AtomicInteger()).incrementAndGet();
            boolean riParser400 = code == 400 && a.finalLine().startsWith("SIP/2.0 400 Bad Request (");
            if (!(code == 0 || (code >= 400 && code < 500) || code == 505)) {
                problems.add(e.getKey() + " " + byName.get(e.getKey()) + ": " + RawPeer.printable(a.finalLine()));
            }
            for (String m : a.messages()) {
                String head = m.split("\r\n\r\n", 2)[0];
                if (head.contains("\tat ") || (!riParser400 && !a.junk().isEmpty())) {
                    problems.add(e.getKey() + " " + byName.get(e.getKey()) + ": junk to the peer " + a.junk());
                }
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
        // still answering normally: OPTIONS to the server itself and a REGISTER (challenged)
        int n = serial.incrementAndGet();
        Map<String, byte[]> probes = new LinkedHashMap<>();
        probes.put("options" + n, ("OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-probe" + n
                + "\r\nMax-Forwards: 70\r\nFrom: <sip:alice@127.0.0.1>;tag=p\r\nTo: <sip:127.0.0.1>\r\nCall-ID: probe" + n
                + "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        probes.put("register" + n, REGISTER.replace("fuzz-", "probe" + n + "-").getBytes(StandardCharsets.ISO_8859_1));
        Map<String, RawPeer.Answer> probed = RawPeer.udp(probes, live.port(), 2000);
        assertEquals("200", probed.get("options" + n).outcome(), "OPTIONS after the batch");
        assertEquals("401", probed.get("register" + n).outcome(), "REGISTER after the batch");
    }
}
