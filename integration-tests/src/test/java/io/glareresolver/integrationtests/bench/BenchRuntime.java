package io.glareresolver.integrationtests.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.glareresolver.integrationtests.felix.SipUsersFile;
import io.glareresolver.integrationtests.felix.SipUsersFile.SipUser;

/**
 * The real runtime for the benchmark: a copy of the felix-config assembly started with
 * {@code bin/start --interactive} as its own process on free loopback ports, the glare plugin in
 * {@code deploy/} as shipped, the Gogo shell driven through standard input.
 *
 * <p>A copy of {@code operations.GlareRuntimeProcess} (which leaves the plugin out of
 * {@code deploy/} because its tests hot-deploy it), kept separate so the benchmark can tune the
 * process (log level, heap) without touching the operations tests; it adds the process id for
 * {@code jcmd} (heap after GC, JFR). Everything waits with a bound.
 */
final class BenchRuntime implements AutoCloseable {

    static final Path RUNTIME = Path.of(System.getProperty("glare.runtime.dir",
            "../felix-config/target/glare-runtime")).toAbsolutePath().normalize();
    static final Duration WAIT = Duration.ofSeconds(60);
    private static final Set<String> LEFT_BEHIND = Set.of("felix-cache", "glare.pid", "webconsole.password",
            "org.apache.felix.webconsole.internal.servlet.OsgiManager.cfg", "sip-users.txt");

    final Path home;
    final Path log;
    final String host;
    final int sipPort;
    final long pid;
    private final Process process;
    private final OutputStream shell;
    private int commands;
    /** Where the next command's output starts in the log (the log is only appended to). */
    private long scanFrom;

    private BenchRuntime(Path home, Path log, String host, int sipPort, Process process) throws Exception {
        this.home = home;
        this.log = log;
        this.host = host;
        this.sipPort = sipPort;
        this.process = process;
        this.shell = process.getOutputStream();
        Path pidFile = home.resolve("glare.pid");
        pollRaw("the runtime's pid file", () -> Files.exists(pidFile) && !read(pidFile).isBlank());
        this.pid = Long.parseLong(read(pidFile).strip());
    }

    /**
     * Starts a fresh copy under {@code work} with these SIP users.
     *
     * @param heap the runtime's heap ({@code GLARE_HEAP}, -Xms = -Xmx)
     * @param logLevel {@code GLARE_LOG_LEVEL}: the benchmark runs at {@code warn} (a log line
     *     per INVITE at {@code info} is not what is measured; DEPENDENCIES.md: logging caps a JAIN-SIP proxy)
     */
    /**
     * Extra JVM options for the runtime ({@code glare.bench.serverOpts}, to compare settings: GC, RI
     * timer, ...). The default is the high-rate set-up README Performance describes: ZGC (with the
     * 6 GB heap of {@link GlareBenchIT#HEAP}). RawLoadProbeIT 2026-12-07, 30 s warm-up, 15 s closed
     * loop then 15 s at 1,500/s: G1 (bin/start's default) with 2 GB 2,667 setups/s, 0.570 ms CPU per
     * call, p99 at 1,500/s 69 ms; G1 6 GB 2,613 / 0.596 / 92 ms; ZGC 2 GB 2,329 / 0.734 / 14 ms;
     * ZGC 6 GB 2,881 / 0.542 / 7.9 ms.
     */
    static final String SERVER_OPTS = System.getProperty("glare.bench.serverOpts", "-XX:+UseZGC");

    static BenchRuntime start(Path work, String heap, String logLevel, List<SipUser> users) throws Exception {
        return start(work, heap, logLevel, users, "127.0.0.1", "", "");
    }

    /**
     * The same as one node of a cluster: SIP on {@code host}, serving {@code domain} (empty: the
     * default), with {@code clusterCfg} as {@code etc/io.glareresolver.cluster.cfg} (empty: none).
     */
    static BenchRuntime start(Path work, String heap, String logLevel, List<SipUser> users, String host, String domain,
                              String clusterCfg) throws Exception {
        Path home = work.resolve("glare-runtime");
        deleteTree(home);
        copyRuntime(home);
        int sip = freeSipPort(host);
        int httpPort = freeTcpPort();
        Files.writeString(home.resolve("etc/io.glareresolver.sip.server.cfg"), "address = " + host + "\nport = " + sip + "\n"
                + (domain.isEmpty() ? "" : "domain = " + domain + "\n")
                // a load generator is one source address: the per-source limit (500/s) would cut it
                + "limit.requests-per-second = 0\n");
        if (!clusterCfg.isEmpty()) {
            Files.writeString(home.resolve("etc/io.glareresolver.cluster.cfg"), clusterCfg);
        }
        new SipUsersFile(home.resolve("etc/sip-users.txt"), "glare-resolver").write(users.toArray(SipUser[]::new));
        Path log = work.resolve("runtime.log");
        ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/start").toString(), "--interactive")
                .directory(work.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("JAVA_OPTS", ("-Dglare.http.port=" + httpPort + " " + SERVER_OPTS).strip());
        builder.environment().put("GLARE_HEAP", heap);
        builder.environment().put("GLARE_LOG_LEVEL", logLevel);
        BenchRuntime r = new BenchRuntime(home, log, host, sip, builder.start());
        r.poll("the glare plugin bound to the SIP server", () -> {
            try {
                return r.gogoQuiet("glare:status").contains("glare plugin: enabled");
            } catch (Exception e) {
                return false;
            }
        });
        return r;
    }

    String host() {
        return host;
    }

    /** Runs one Gogo command in the runtime and returns what it printed (bounded wait). */
    synchronized String gogo(String command) throws Exception {
        String out = gogoQuiet(command);
        if (out == null) {
            throw new TimeoutException("no output of '" + command + "' within " + WAIT + "\n" + tail());
        }
        return out;
    }

    private synchronized String gogoQuiet(String command) throws Exception {
        int n = ++commands;
        String begin = "@@begin-" + n + "@@";
        String end = "@@end-" + n + "@@";
        shell.write(("echo " + begin + "\n" + command + "\necho " + end + "\n").getBytes(StandardCharsets.UTF_8));
        shell.flush();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline && process.isAlive()) {
            String text = logFrom(scanFrom);
            int from = text.indexOf(begin);
            int to = from < 0 ? -1 : text.indexOf(end, from + begin.length());
            if (to >= 0) {
                scanFrom += text.substring(0, to).getBytes(StandardCharsets.UTF_8).length;
                return text.substring(from + begin.length(), to).replace("g! ", "").strip();
            }
            process.waitFor(50, TimeUnit.MILLISECONDS);
        }
        return null;
    }

    /** The log from a byte offset (the runtime only appends to it). */
    private String logFrom(long offset) {
        try (var ch = Files.newByteChannel(log)) {
            long size = ch.size();
            if (offset >= size) {
                return "";
            }
            ch.position(offset);
            var buf = java.nio.ByteBuffer.allocate((int) Math.min(Integer.MAX_VALUE - 8, size - offset));
            while (buf.hasRemaining() && ch.read(buf) > 0) {
                // read it all
            }
            return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Switches the plugin with {@code glare:enable} / {@code glare:disable} and waits until status shows it. */
    void plugin(boolean enabled) throws Exception {
        gogo(enabled ? "glare:enable" : "glare:disable");
        String want = "glare plugin: " + (enabled ? "enabled" : "disabled");
        poll("'" + want + "' in glare:status", () -> {
            try {
                return gogo("glare:status").contains(want);
            } catch (Exception e) {
                return false;
            }
        });
    }

    /** {@code glare:status} parsed into the figures the benchmark reports. */
    PluginStatus status() throws Exception {
        return PluginStatus.parse(gogo("glare:status"));
    }

    /** Full GC, then the heap in use (KB) from {@code jcmd GC.heap_info}. */
    long heapAfterGcKb() throws Exception {
        jcmd("GC.run");
        String info = jcmd("GC.heap_info");
        Matcher m = Pattern.compile("used (\\d+)K").matcher(info);
        if (!m.find()) {
            throw new IllegalStateException("no 'used NK' in jcmd GC.heap_info:\n" + info);
        }
        return Long.parseLong(m.group(1));
    }

    /** Runs {@code jcmd <pid> args...} (JDK 17's jcmd beside the running java) and returns its output. */
    String jcmd(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(jdkTool("jcmd"));
        cmd.add(Long.toString(pid));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new TimeoutException("jcmd " + String.join(" ", args));
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    static String jdkTool(String name) {
        Path home = Path.of(System.getProperty("java.home"));
        Path tool = home.resolve("bin").resolve(name);
        return Files.isExecutable(tool) ? tool.toString() : name;
    }

    void poll(String what, Supplier<Boolean> condition) throws Exception {
        pollRaw(what, condition);
    }

    private void pollRaw(String what, Supplier<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the runtime ended before " + what + "\n" + tail());
            }
            if (condition.get()) {
                return;
            }
            process.waitFor(200, TimeUnit.MILLISECONDS);
        }
        throw new TimeoutException("no " + what + " within " + WAIT + "\n" + tail());
    }

    boolean alive() {
        return process.isAlive();
    }

    String tail() {
        List<String> lines = read(log).lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
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
