package io.glareresolver.integrationtests.operations;

import java.io.IOException;
import java.io.OutputStream;
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
import java.util.List;
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
 * A copy of the felix-config assembly started as an administrator does it: {@code bin/start} as
 * a process, on free loopback ports (HTTP and SIP), without the glare plugin in {@code deploy/}
 * (the tests hot-deploy it). The Gogo shell reads the process's standard input
 * ({@code --interactive}), so {@link #gogo} runs shell commands in the runtime and returns what
 * they printed. Everything waits with a bound.
 */
final class GlareRuntimeProcess implements AutoCloseable {

    static final Path RUNTIME = Path.of(System.getProperty("glare.runtime.dir",
            "../felix-config/target/glare-runtime")).toAbsolutePath().normalize();
    static final Path PLUGIN_JAR = RUNTIME.resolve("deploy/glare-bundle.jar");
    static final Duration WAIT = Duration.ofSeconds(60);
    private static final Set<String> LEFT_BEHIND = Set.of("felix-cache", "glare.pid", "webconsole.password",
            "org.apache.felix.webconsole.internal.servlet.OsgiManager.cfg", "sip-users.txt", "glare-bundle.jar");

    final Path home;
    final Path log;
    final String host;
    final String domain;
    final int httpPort;
    final int sipPort;
    final String password;
    private final Process process;
    private final OutputStream shell;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private int commands;

    private GlareRuntimeProcess(Path home, Path log, String host, String domain, int httpPort, int sipPort,
                                Process process) throws Exception {
        this.home = home;
        this.log = log;
        this.host = host;
        this.domain = domain;
        this.httpPort = httpPort;
        this.sipPort = sipPort;
        this.process = process;
        this.shell = process.getOutputStream();
        Path passwordFile = home.resolve("etc/webconsole.password");
        pollRaw("the generated console password", () -> Files.exists(passwordFile));
        this.password = Files.readString(passwordFile).strip();
    }

    /** Starts a fresh copy under {@code work} with these SIP users; returns once the SIP server and the console are up. */
    static GlareRuntimeProcess start(Path work, SipUser... users) throws Exception {
        Path home = prepare(work, users);
        int sip = freeSipPort("127.0.0.1");
        Files.writeString(home.resolve("etc/io.glareresolver.sip.server.cfg"), "port = " + sip + "\n");
        return launch(work, home, "127.0.0.1", "127.0.0.1", sip, freeTcpPort(), "runtime.log");
    }

    /**
     * Starts one node of a cluster under {@code work}: SIP on {@code host} (a free port), serving
     * {@code domain}, with these lines as its {@code etc/io.glareresolver.cluster.cfg}.
     */
    static GlareRuntimeProcess startNode(Path work, String host, String domain, String clusterCfg, SipUser... users)
            throws Exception {
        Path home = prepare(work, users);
        int sip = freeSipPort(host);
        Files.writeString(home.resolve("etc/io.glareresolver.sip.server.cfg"),
                "address = " + host + "\nport = " + sip + "\ndomain = " + domain + "\n");
        Files.writeString(home.resolve("etc/io.glareresolver.cluster.cfg"), clusterCfg);
        return launch(work, home, host, domain, sip, freeTcpPort(), "runtime.log");
    }

    private static Path prepare(Path work, SipUser... users) throws IOException {
        Path home = work.resolve("glare-runtime");
        deleteTree(home);
        copyRuntime(home);
        new SipUsersFile(home.resolve("etc/sip-users.txt"), "glare-resolver").write(users);
        return home;
    }

    /** Stops this runtime and starts the same folder again (its etc/, deploy/ and felix-cache/ as they are). */
    GlareRuntimeProcess restart() throws Exception {
        close();
        return launch(home.getParent(), home, host, domain, sipPort, httpPort, "runtime-restarted.log");
    }

    private static GlareRuntimeProcess launch(Path work, Path home, String host, String domain, int sip, int httpPort,
                                              String logName) throws Exception {
        Path log = work.resolve(logName);
        ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/start").toString(), "--interactive")
                .directory(work.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("JAVA_OPTS", "-Dglare.http.port=" + httpPort);
        builder.environment().put("GLARE_HEAP", "256m");
        GlareRuntimeProcess r = new GlareRuntimeProcess(home, log, host, domain, httpPort, sip, builder.start());
        r.poll("the SIP server listening", () -> r.logText().lines().anyMatch(l -> l.contains("SIP server listening on") && l.contains(host + ":" + sip)));
        r.poll("the Web Console answering", () -> r.get("/system/console/bundles.json").statusCode() == 200);
        return r;
    }

    String sipHost() {
        return host;
    }

    String domain() {
        return domain;
    }

    /** {@code host:port} of the SIP server, as a phone's outbound proxy. */
    String sipAddress() {
        return host + ":" + sipPort;
    }

    String consoleUrl(String path) {
        return "http://127.0.0.1:" + httpPort + path;
    }

    /** Hot deploy: copies the plugin jar into deploy/ and waits for its Web Console page. */
    void deployPlugin(Path jar) throws Exception {
        Path target = home.resolve("deploy/glare-bundle.jar");
        // written under another name and renamed: FileInstall never sees half a jar
        Path tmp = home.resolve("deploy/glare-bundle.jar.part");
        Files.copy(jar, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    void awaitPluginPage(boolean present) throws Exception {
        poll("the Glare page " + (present ? "present" : "gone"),
                () -> get("/system/console/glare/data.json").statusCode() == (present ? 200 : 404));
    }

    void deletePlugin() throws IOException {
        Files.deleteIfExists(home.resolve("deploy/glare-bundle.jar"));
    }

    boolean pluginDeployed() {
        return Files.exists(home.resolve("deploy/glare-bundle.jar"));
    }

    /** The page's data ({@code GET /system/console/glare/data.json}). */
    String data() {
        return get("/system/console/glare/data.json").body();
    }

    /** Runs one Gogo command in the runtime and returns what it printed (bounded wait). */
    synchronized String gogo(String command) throws Exception {
        int n = ++commands;
        String begin = "@@begin-" + n + "@@";
        String end = "@@end-" + n + "@@";
        shell.write(("echo " + begin + "\n" + command + "\necho " + end + "\n").getBytes(StandardCharsets.UTF_8));
        shell.flush();
        poll("the output of '" + command + "'", () -> logText().contains(end));
        String text = logText();
        int from = text.indexOf(begin) + begin.length();
        return text.substring(from, text.indexOf(end, from)).replace("g! ", "").strip();
    }

    String logText() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }

    HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(URI.create(consoleUrl(path))).GET());
    }

    HttpResponse<String> post(String path, String form, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(consoleUrl(path)))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form));
        if (token != null) {
            b.header("X-Glare-Token", token);
        }
        return send(b);
    }

    private HttpResponse<String> send(HttpRequest.Builder b) {
        b.timeout(Duration.ofSeconds(5)).header("Authorization", "Basic " + Base64.getEncoder()
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

    /** Bounded poll; a dead runtime or the bound fails with the runtime's log tail. */
    void poll(String what, Supplier<Boolean> condition) throws Exception {
        pollRaw(what, condition);
    }

    private void pollRaw(String what, Supplier<Boolean> condition) throws Exception {
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
            process.waitFor(200, TimeUnit.MILLISECONDS);
        }
        throw new TimeoutException("no " + what + " within " + WAIT + " " + last + "\n" + tail());
    }

    boolean alive() {
        return process.isAlive();
    }

    String tail() {
        List<String> lines = logText().lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }

    /** {@code kill -STOP} / {@code kill -CONT}: the JVM hangs (as a node across a split looks), then goes on. */
    void signal(String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
        }
    }

    /** {@code kill -9}: the JVM ends at once, no shutdown hook runs (bin/start execs java, so this is its pid). */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
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

    static int freeTcpPort() throws IOException {
        return freeTcpPort("127.0.0.1");
    }

    static int freeTcpPort(String host) throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(host))) {
            return socket.getLocalPort();
        }
    }

    private static int freeSipPort(String host) throws IOException {
        for (int attempt = 0; attempt < 20; attempt++) {
            try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(host, 0));
                 ServerSocket tcp = new ServerSocket(udp.getLocalPort(), 1, InetAddress.getByName(host))) {
                return udp.getLocalPort();
            } catch (IOException taken) {
                // try another
            }
        }
        throw new IOException("no port free for UDP and TCP");
    }
}
