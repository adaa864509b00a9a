package io.glareresolver.integrationtests.soak;

import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import io.glareresolver.integrationtests.felix.SipUsersFile;
import io.glareresolver.integrationtests.felix.SipUsersFile.SipUser;

/**
 * A copy of the felix-config assembly started with {@code bin/start --interactive} on free
 * loopback ports, without the plugin in {@code deploy/} (adapted from the operations tests'
 * {@code GlareRuntimeProcess}: under load the runtime's log grows by megabytes, so Gogo output is
 * read from the offset where the command began, not by re-reading the whole log).
 */
final class RedeployRuntime implements AutoCloseable {

    static final Path RUNTIME = Path.of(System.getProperty("glare.runtime.dir",
            "../felix-config/target/glare-runtime")).toAbsolutePath().normalize();
    static final Path PLUGIN_JAR = RUNTIME.resolve("deploy/glare-bundle.jar");
    static final Duration WAIT = Duration.ofSeconds(60);
    private static final Set<String> LEFT_BEHIND = Set.of("felix-cache", "glare.pid", "webconsole.password",
            "org.apache.felix.webconsole.internal.servlet.OsgiManager.cfg", "sip-users.txt", "glare-bundle.jar");

    final Path home;
    final Path log;
    final int httpPort;
    final int sipPort;
    final String password;
    private final Process process;
    private final OutputStream shell;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private int commands;

    private RedeployRuntime(Path home, Path log, int httpPort, int sipPort, Process process) throws Exception {
        this.home = home;
        this.log = log;
        this.httpPort = httpPort;
        this.sipPort = sipPort;
        this.process = process;
        this.shell = process.getOutputStream();
        Path passwordFile = home.resolve("etc/webconsole.password");
        poll("the generated console password", () -> Files.exists(passwordFile));
        this.password = Files.readString(passwordFile).strip();
    }

    /** Starts a fresh copy under {@code work} with these SIP users; returns once SIP and the console are up. */
    static RedeployRuntime start(Path work, SipUser... users) throws Exception {
        Path home = work.resolve("glare-runtime");
        deleteTree(home);
        copyRuntime(home);
        int sip = freeSipPort();
        int httpPort = freeTcpPort();
        Files.writeString(home.resolve("etc/io.glareresolver.sip.server.cfg"), "port = " + sip + "\n"
                // a load generator is one source address: the per-source limit (500/s) would cut it
                + "limit.requests-per-second = 0\n");
        new SipUsersFile(home.resolve("etc/sip-users.txt"), "glare-resolver").write(users);
        Path log = work.resolve("runtime.log");
        ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/start").toString(), "--interactive")
                .directory(work.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("JAVA_OPTS", "-Dglare.http.port=" + httpPort);
        builder.environment().put("GLARE_HEAP", "512m");
        RedeployRuntime r = new RedeployRuntime(home, log, httpPort, sip, builder.start());
        r.poll("the SIP server listening", () -> r.logFrom(0).lines().anyMatch(l -> l.contains("SIP server listening on") && l.contains("127.0.0.1:" + sip)));
        r.poll("the Web Console answering", () -> r.get("/system/console/bundles.json").statusCode() == 200);
        return r;
    }

    String sipHost() {
        return "127.0.0.1";
    }

    String domain() {
        return "127.0.0.1";
    }

    /**
     * The README's hot deploy: copy under another name, then rename over {@code deploy/glare-bundle.jar}
     * (FileInstall never reads half a jar).
     */
    void deployPlugin(Path jar) throws IOException {
        Path target = home.resolve("deploy/glare-bundle.jar");
        Path tmp = home.resolve("deploy/glare-bundle.jar.part");
        Files.copy(jar, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The Glare page's data ({@code GET /system/console/glare/data.json}); empty while the plugin is away. */
    String data() {
        HttpResponse<String> r = get("/system/console/glare/data.json");
        return r.statusCode() == 200 ? r.body() : "";
    }

    /** Runs one Gogo command and returns what it printed (bounded wait). */
    synchronized String gogo(String command) throws Exception {
        int n = ++commands;
        String begin = "@@begin-" + n + "@@";
        String end = "@@end-" + n + "@@";
        long from = Files.size(log);
        shell.write(("echo " + begin + "\n" + command + "\necho " + end + "\n").getBytes(StandardCharsets.UTF_8));
        shell.flush();
        poll("the output of '" + command + "'", () -> logFrom(from).contains(end));
        String text = logFrom(from);
        int start = text.indexOf(begin) + begin.length();
        return text.substring(start, text.indexOf(end, start)).replace("g! ", "").strip();
    }

    /** The log from a byte offset on. */
    String logFrom(long offset) {
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long length = f.length();
            if (length <= offset) {
                return "";
            }
            byte[] b = new byte[(int) Math.min(length - offset, 64L << 20)];
            f.seek(offset);
            f.readFully(b);
            return new String(b, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    long logSize() {
        try {
            return Files.size(log);
        } catch (IOException e) {
            return 0;
        }
    }

    HttpResponse<String> get(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path)).GET()
                .timeout(Duration.ofSeconds(5)).header("Authorization", "Basic " + Base64.getEncoder()
                        .encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8)));
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e.toString(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Bounded poll; a dead runtime or the bound fails with the log's tail. */
    void poll(String what, Supplier<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the runtime ended before " + what + "\n" + tail());
            }
            try {
                if (condition.get()) {
                    return;
                }
            } catch (IllegalStateException e) {
                last = e.getMessage();
            }
            process.waitFor(100, TimeUnit.MILLISECONDS);
        }
        throw new TimeoutException("no " + what + " within " + WAIT + " " + last + "\n" + tail());
    }

    String tail() {
        String text = logFrom(Math.max(0, logSize() - 8000));
        return text;
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            process.destroy(); // SIGTERM: Felix's shutdown hook stops the framework
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    /** The same plugin jar with another Bundle-Version: what a rebuilt plugin looks like to FileInstall. */
    static Path withBundleVersion(Path in, Path out, String version) throws IOException {
        try (JarInputStream jin = new JarInputStream(Files.newInputStream(in));
             OutputStream raw = Files.newOutputStream(out)) {
            Manifest m = new Manifest(jin.getManifest());
            m.getMainAttributes().put(new Attributes.Name("Bundle-Version"), version);
            try (JarOutputStream jout = new JarOutputStream(raw, m)) {
                JarEntry e;
                while ((e = jin.getNextJarEntry()) != null) {
                    jout.putNextEntry(new JarEntry(e.getName()));
                    jin.transferTo(jout);
                    jout.closeEntry();
                }
            }
        }
        return out;
    }

    private static void copyRuntime(Path home) throws IOException {
        try (Stream<Path> files = Files.walk(RUNTIME)) {
            for (Path source : (Iterable<Path>) files::iterator) {
                Path relative = RUNTIME.relativize(source);
                if (relative.toString().isEmpty() || leftBehind(relative)) {
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
    }

    private static boolean leftBehind(Path relative) {
        for (Path part : relative) {
            if (LEFT_BEHIND.contains(part.toString())) {
                return true;
            }
        }
        return false;
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted(Comparator.reverseOrder()).forEach(x -> {
                try {
                    Files.delete(x);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    private static int freeTcpPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static int freeSipPort() throws IOException {
        for (int attempt = 0; attempt < 20; attempt++) {
            try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
                 ServerSocket tcp = new ServerSocket(udp.getLocalPort(), 1, InetAddress.getLoopbackAddress())) {
                return udp.getLocalPort();
            } catch (IOException taken) {
                // try another
            }
        }
        throw new IOException("no port free for UDP and TCP");
    }
}
