package io.glareresolver.integrationtests.netsip;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Runs one of the Net::SIP scripts of {@code src/test/perl} (Debian: libnet-sip-perl) and parses
 * its events ({@code EVENT <agent> <WHAT> key=value ...} on standard output). Every run is bounded
 * in time; its output and SIP trace are kept under {@code target/perl-logs/} and quoted in full by
 * every failed expectation.
 */
public final class NetSipScript {

    private static final Path PERL_DIR = Path.of(System.getProperty("glare.test.perl.dir", "src/test/perl"));
    private static final Path LOG_DIR = Path.of("target", "perl-logs");
    private static final AtomicInteger RUNS = new AtomicInteger();

    static {
        // one test run's logs only: numbering restarts in every JVM
        try (Stream<Path> old = Files.exists(LOG_DIR) ? Files.list(LOG_DIR) : Stream.empty()) {
            for (Path file : old.toList()) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clear " + LOG_DIR, e);
        }
    }

    /** One event line. */
    public record Event(String agent, String what, Map<String, String> values) {
        public String get(String key) {
            return values.get(key);
        }

        public int code() {
            return Integer.parseInt(values.getOrDefault("code", "0"));
        }

        @Override
        public String toString() {
            return agent + " " + what + " " + values;
        }
    }

    /** A finished run. */
    public record Run(String command, int exitCode, List<Event> events, String stdout, String stderr) {

        public List<Event> all(String agent, String what) {
            return events.stream().filter(e -> e.agent().equals(agent) && e.what().equals(what)).toList();
        }

        public Optional<Event> first(String agent, String what) {
            return all(agent, what).stream().findFirst();
        }

        public Optional<Event> first(String agent, String what, Predicate<Event> filter) {
            return all(agent, what).stream().filter(filter).findFirst();
        }

        /** The event, or a failure quoting the whole run. */
        public Event expect(String agent, String what) {
            return first(agent, what).orElseGet(() -> fail("expected event '" + agent + " " + what + "'\n" + transcript()));
        }

        public Event expect(String agent, String what, Predicate<Event> filter, String description) {
            return first(agent, what, filter)
                    .orElseGet(() -> fail("expected event '" + agent + " " + what + "' " + description + "\n" + transcript()));
        }

        /** Response codes the agent received for a method, in order (retransmissions included). */
        public List<Integer> responseCodes(String agent, String method) {
            return all(agent, "RESPONSE").stream().filter(e -> method.equals(e.get("method"))).map(Event::code).toList();
        }

        /** Response codes the agent sent for a method, in order (retransmissions included). */
        public List<Integer> sentCodes(String agent, String method) {
            return all(agent, "SENT_RESPONSE").stream().filter(e -> method.equals(e.get("method"))).map(Event::code)
                    .toList();
        }

        /** Everything the script printed, for a failure message. */
        public String transcript() {
            return "--- " + command + " (exit " + exitCode + ")\n--- stdout:\n" + stdout + "--- stderr (SIP trace):\n" + stderr;
        }
    }

    private NetSipScript() {
    }

    /** Fails with a clear message if Net::SIP is not installed. */
    public static void requireNetSip() {
        try {
            Process check = new ProcessBuilder("perl", "-MNet::SIP", "-MDigest::SHA", "-e", "print $Net::SIP::VERSION")
                    .redirectErrorStream(true).start();
            String out = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!check.waitFor(20, TimeUnit.SECONDS) || check.exitValue() != 0) {
                fail("Net::SIP is missing: install the Debian package libnet-sip-perl"
                        + " (apt-get install libnet-sip-perl; .ci/run does it). perl said: " + out);
            }
        } catch (IOException e) {
            fail("perl is not installed: install perl and the Debian package libnet-sip-perl", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted while checking for Net::SIP", e);
        }
    }

    /**
     * Runs {@code src/test/perl/<script>} with the arguments and waits at most {@code timeout}
     * (the script's own deadline is set a few seconds shorter, so it reports before it is killed).
     */
    public static Run run(String script, Duration timeout, String... args) {
        List<String> command = new ArrayList<>();
        command.add("perl");
        command.add(PERL_DIR.resolve(script).toString());
        command.addAll(Arrays.asList(args));
        command.add("--timeout");
        command.add(Long.toString(Math.max(5, timeout.toSeconds() - 3)));
        String shown = String.join(" ", command);
        try {
            Files.createDirectories(LOG_DIR);
            String base = String.format("%03d-%s", RUNS.incrementAndGet(), script.replace(".pl", ""));
            Path out = LOG_DIR.resolve(base + ".out");
            Path err = LOG_DIR.resolve(base + ".err");
            Process process = new ProcessBuilder(command)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .start();
            boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            String stdout = Files.readString(out, StandardCharsets.UTF_8);
            String stderr = Files.readString(err, StandardCharsets.UTF_8);
            Run run = new Run(shown, finished ? process.exitValue() : -1, parse(stdout), stdout, stderr);
            if (!finished) {
                fail("Net::SIP script did not finish within " + timeout.toSeconds() + " s\n" + run.transcript());
            }
            return run;
        } catch (IOException e) {
            return fail("cannot run " + shown + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted while running " + shown, e);
        }
    }

    static List<Event> parse(String stdout) {
        List<Event> events = new ArrayList<>();
        for (String line : stdout.split("\n")) {
            String[] words = line.trim().split(" ");
            if (words.length < 3 || !words[0].equals("EVENT")) {
                continue;
            }
            Map<String, String> values = new LinkedHashMap<>();
            for (int i = 3; i < words.length; i++) {
                int eq = words[i].indexOf('=');
                if (eq > 0) {
                    values.put(words[i].substring(0, eq), words[i].substring(eq + 1));
                }
            }
            events.add(new Event(words[1], words[2], values));
        }
        return events;
    }
}
