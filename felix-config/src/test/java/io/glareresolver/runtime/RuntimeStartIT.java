package io.glareresolver.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starts the assembled runtime with its own start script, as a user would, and checks what the
 * README promises: every bundle active, the Web Console refusing admin/admin and anonymous
 * access and accepting the generated password, and (with the SIP server in the bundle set) SIP
 * OPTIONS answered 200. Runs on a copy of the runtime with free ports, so it neither disturbs
 * nor is disturbed by a runtime started by hand.
 */
class RuntimeStartIT {

    private static final Path RUNTIME = Path.of(System.getProperty("glare.runtime.dir", "target/glare-runtime"));
    private static final Duration STARTUP = Duration.ofSeconds(90);
    private static final Set<String> LEFT_BEHIND = Set.of("felix-cache", "glare.pid",
            ConsolePassword.PASSWORD_FILE, ConsolePassword.CONSOLE_CFG, "sip-users.txt");

    @TempDir
    Path work;

    private Process runtime;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @AfterEach
    void stopRuntime() throws InterruptedException {
        if (runtime != null && runtime.isAlive()) {
            runtime.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
        }
    }

    @Test
    void startsEveryBundleAndGuardsTheConsoleWithTheGeneratedPassword() throws Exception {
        Path home = copyOfRuntime();
        int httpPort = freeTcpPort();
        int sipPort = freeSipPort();
        Files.writeString(home.resolve("etc/io.glareresolver.sip.server.cfg"), "\nport = " + sipPort + "\n",
                StandardOpenOption.APPEND);
        Path log = work.resolve("runtime.log");

        // started from another directory, with standard input not a terminal: Gogo must not read it
        runtime = start(home, httpPort, log);

        Path passwordFile = home.resolve("etc").resolve(ConsolePassword.PASSWORD_FILE);
        poll("the generated password file", () -> Files.exists(passwordFile), log);
        String password = Files.readString(passwordFile).strip();
        URI bundles = URI.create("http://127.0.0.1:" + httpPort + "/system/console/bundles.json");
        long expectedBundles = bundleJars(home) + 1; // + the framework
        String allActive = "all " + expectedBundles + " bundles active";
        poll(allActive, () -> get(bundles, "admin", password).body().contains(allActive), log);

        assertEquals(401, get(bundles, null, null).statusCode(), "anonymous access");
        assertEquals(401, get(bundles, "admin", "admin").statusCode(), "the console's built-in default");
        assertEquals(401, get(bundles, "admin", password + "x").statusCode(), "a wrong password");
        assertEquals(200, get(bundles, "admin", password).statusCode(), "the generated password");

        Path cfg = home.resolve("etc").resolve(ConsolePassword.CONSOLE_CFG);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(passwordFile)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(cfg)));
        assertFalse(Files.readString(cfg).contains(password), "the console configuration holds only the hash");
        assertTrue(Files.readString(log).contains(passwordFile.toString()), "the start says where the password is");
        assertFalse(Files.readString(log).contains(password), "and never shows it");

        if (hasSipServer(home)) {
            String components = get(URI.create("http://127.0.0.1:" + httpPort + "/system/console/components.json"),
                    "admin", password).body();
            assertTrue(components.contains("io.glareresolver.sip"), "SIP server components listed: " + components);
            assertEquals("SIP/2.0 200 OK", optionsStatusLine(sipPort), "OPTIONS to the server");
        }

        Process second = new ProcessBuilder(home.resolve("bin/start").toString())
                .redirectErrorStream(true).start();
        assertTrue(second.waitFor(30, TimeUnit.SECONDS), "a second start in the same folder ends at once");
        String secondOutput = new String(second.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, second.exitValue(), secondOutput);
        assertTrue(secondOutput.contains("already running"), secondOutput);

        runtime.destroy(); // SIGTERM: Felix's shutdown hook stops the framework
        assertTrue(runtime.waitFor(30, TimeUnit.SECONDS), "the runtime stops on SIGTERM\n" + tail(log));
    }

    private Path copyOfRuntime() throws IOException {
        assertTrue(Files.isRegularFile(RUNTIME.resolve("bin/felix.jar")), "assembled runtime at " + RUNTIME);
        Path home = Files.createDirectories(work.resolve("glare-runtime"));
        try (Stream<Path> files = Files.walk(RUNTIME)) {
            for (Path source : (Iterable<Path>) files::iterator) {
                Path relative = RUNTIME.relativize(source);
                if (relative.toString().isEmpty() || isLeftBehind(relative)) {
                    continue;
                }
                Path target = home.resolve(relative.toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        return home;
    }

    /** Run-time state of a runtime started by hand is not copied: the copy starts as on a fresh machine. */
    private static boolean isLeftBehind(Path relative) {
        for (Path part : relative) {
            if (LEFT_BEHIND.contains(part.toString())) {
                return true;
            }
        }
        return false;
    }

    private Process start(Path home, int httpPort, Path log) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/start").toString())
                .directory(work.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().put("JAVA_OPTS", "-Dglare.http.port=" + httpPort);
        builder.environment().put("GLARE_HEAP", "256m");
        return builder.start();
    }

    private HttpResponse<String> get(URI uri, String user, String password) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5));
        if (user != null) {
            request.header("Authorization", "Basic " + Base64.getEncoder()
                    .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
        }
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException("GET " + uri + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Bounded wait for a condition of the starting runtime; fails with the runtime's log if it never holds. */
    private void poll(String what, Supplier<Boolean> condition, Path log) throws Exception {
        long deadline = System.nanoTime() + STARTUP.toNanos();
        String lastError = "";
        while (System.nanoTime() < deadline) {
            if (!runtime.isAlive()) {
                fail("the runtime ended (exit " + runtime.exitValue() + ") before " + what + "\n" + tail(log));
            }
            try {
                if (condition.get()) {
                    return;
                }
            } catch (IllegalStateException e) {
                lastError = e.getMessage(); // not listening yet
            }
            runtime.waitFor(250, TimeUnit.MILLISECONDS);
        }
        fail("no " + what + " within " + STARTUP + " " + lastError + "\n" + tail(log));
    }

    /** Sends OPTIONS over UDP (retransmitted as RFC 3261 §17.1.2.1 does) and returns the status line. */
    private static String optionsStatusLine(int sipPort) throws IOException {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            int local = socket.getLocalPort();
            String id = UUID.randomUUID().toString();
            String request = "OPTIONS sip:127.0.0.1:" + sipPort + " SIP/2.0\r\n"
                    + "Via: SIP/2.0/UDP 127.0.0.1:" + local + ";branch=z9hG4bK" + id + ";rport\r\n"
                    + "Max-Forwards: 70\r\n"
                    + "From: <sip:check@127.0.0.1>;tag=" + id.substring(0, 8) + "\r\n"
                    + "To: <sip:127.0.0.1:" + sipPort + ">\r\n"
                    + "Call-ID: " + id + "@127.0.0.1\r\n"
                    + "CSeq: 1 OPTIONS\r\n"
                    + "Contact: <sip:check@127.0.0.1:" + local + ">\r\n"
                    + "Accept: application/sdp\r\n"
                    + "Content-Length: 0\r\n\r\n";
            byte[] bytes = request.getBytes(StandardCharsets.US_ASCII);
            DatagramPacket out = new DatagramPacket(bytes, bytes.length, InetAddress.getLoopbackAddress(), sipPort);
            byte[] buffer = new byte[4096];
            for (int timeoutMs = 500; timeoutMs <= 4000; timeoutMs *= 2) {
                socket.send(out);
                socket.setSoTimeout(timeoutMs);
                try {
                    DatagramPacket in = new DatagramPacket(buffer, buffer.length);
                    while (true) {
                        socket.receive(in);
                        String response = new String(in.getData(), 0, in.getLength(), StandardCharsets.UTF_8);
                        String statusLine = response.lines().findFirst().orElse("");
                        if (!statusLine.startsWith("SIP/2.0 1")) { // skip provisional responses
                            return statusLine;
                        }
                    }
                } catch (SocketTimeoutException retransmit) {
                    // next round, doubled timer
                }
            }
            return "no response";
        }
    }

    /** bundle/N/*.jar plus what FileInstall hot-deploys from deploy/ (the glare plugin). */
    private static long bundleJars(Path home) throws IOException {
        long deployed;
        try (Stream<Path> jars = Files.list(home.resolve("deploy"))) {
            deployed = jars.filter(p -> p.toString().endsWith(".jar")).count();
        }
        try (Stream<Path> jars = Files.walk(home.resolve("bundle"), 2)) {
            return jars.filter(p -> p.toString().endsWith(".jar")).count() + deployed;
        }
    }

    private static boolean hasSipServer(Path home) throws IOException {
        try (Stream<Path> jars = Files.walk(home.resolve("bundle"), 2)) {
            return jars.anyMatch(p -> p.getFileName().toString().startsWith("sip-server-"));
        }
    }

    private static int freeTcpPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** A port free for both SIP transports. */
    private static int freeSipPort() throws IOException {
        for (int attempt = 0; attempt < 20; attempt++) {
            try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
                 ServerSocket tcp = new ServerSocket(udp.getLocalPort(), 1, InetAddress.getLoopbackAddress())) {
                return udp.getLocalPort();
            } catch (IOException taken) {
                // TCP side in use: try another
            }
        }
        throw new IOException("no port free for both UDP and TCP");
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
