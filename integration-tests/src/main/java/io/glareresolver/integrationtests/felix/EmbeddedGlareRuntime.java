package io.glareresolver.integrationtests.felix;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.framework.wiring.FrameworkWiring;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The product's runtime embedded in the test JVM: an Apache Felix framework with exactly the
 * bundles and start levels of an assembled {@code felix-config} runtime folder, configured for a
 * test:
 * <ul>
 *   <li>framework storage, {@code etc/} and {@code deploy/} under a work folder in {@code target/}
 *       (storage cleaned on first init); {@code etc/} is a copy of the runtime's without the SIP
 *       server's own configuration, so nothing listens on a shipped port;</li>
 *   <li>the SIP server on a free loopback port with a users file in the work folder, configured
 *       through Config Admin <em>before</em> its bundle starts (its start is held back until then);</li>
 *   <li>HTTP on a free loopback port; the Web Console not started (its built-in admin/admin must
 *       never answer), or started with a random test password ({@code felix.webconsole.password});</li>
 *   <li>only our API packages shared with the test class path
 *       ({@code org.osgi.framework.system.packages.extra}), so the tests and the bundles see the
 *       same {@code io.glareresolver.sip.api} classes;</li>
 *   <li>Gogo kept off the test JVM's standard input.</li>
 * </ul>
 * Build one with {@link #builder()}; {@link #start()} returns when the SIP port is bound.
 */
public final class EmbeddedGlareRuntime implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedGlareRuntime.class);

    /** The SIP server's Config Admin PID. */
    public static final String SIP_SERVER_PID = "io.glareresolver.sip.server";
    /** The API package the SIP server bundle exports; the bundle exporting it is the SIP server. */
    public static final String SIP_API_PACKAGE = "io.glareresolver.sip.api";
    /**
     * The API packages shared with the test class path by default. Each is exported by the system
     * bundle at the version the runtime's own exporter declares plus a qualifier
     * ({@value #SHARED_QUALIFIER}), e.g. {@code 1.0.0.shared}: the higher version makes the
     * exporting bundle's substitutable import wire to the system bundle's copy. At an equal
     * version Felix 7.0.5 wires sip-server to its own export, and then the test's
     * {@code LocationService.class} is not the service's class (getServiceReference returns null).
     * The test class path must hold only the API classes, not sip-server's implementation: Felix
     * hides a service from a consumer that loads any of its objectClass names (sip-server also
     * registers an impl class name) from another class loader (see the pom's failsafe setup).
     */
    public static final List<String> DEFAULT_SHARED_PACKAGES = List.of(SIP_API_PACKAGE);
    static final String SHARED_QUALIFIER = "shared";
    static final String WEB_CONSOLE_BSN = "org.apache.felix.webconsole";
    private static final String SIP_CONFIG_FILE = SIP_SERVER_PID + ".cfg";

    private final Path runtimeDir;
    private final Path workDir;
    private final String configuredSystemPackagesExtra;
    private final List<String> sharedPackages;
    private String systemPackagesExtra;
    private final String domain;
    private final String realm;
    private final boolean webConsole;
    private final Duration timeout;
    private final Map<String, String> extraFrameworkProperties;

    private final List<String> frameworkErrors = new CopyOnWriteArrayList<>();
    private Framework framework;
    private RuntimeBundleSet bundleSet;
    private int sipPort;
    private int httpPort;
    private String webConsolePassword;

    private EmbeddedGlareRuntime(Builder b) {
        this.runtimeDir = b.runtimeDir.toAbsolutePath().normalize();
        this.workDir = b.workDir.toAbsolutePath().normalize();
        this.configuredSystemPackagesExtra = b.systemPackagesExtra;
        this.sharedPackages = List.copyOf(b.sharedPackages);
        this.domain = b.domain;
        this.realm = b.realm;
        this.webConsole = b.webConsole;
        this.timeout = b.timeout;
        this.extraFrameworkProperties = Map.copyOf(b.extraFrameworkProperties);
        this.sipPort = b.sipPort;
    }

    public static Builder builder() {
        return new Builder();
    }

    // ---------------------------------------------------------------- what a test needs to know

    public BundleContext bundleContext() {
        return running().getBundleContext();
    }

    public Framework framework() {
        return running();
    }

    public String sipHost() {
        return "127.0.0.1";
    }

    public int sipPort() {
        return sipPort;
    }

    /** {@code 127.0.0.1:port} of the SIP server. */
    public String sipAddress() {
        return sipHost() + ":" + sipPort;
    }

    /** The SIP domain: the host part of the users' addresses of record. */
    public String domain() {
        return domain;
    }

    public String realm() {
        return realm;
    }

    public int httpPort() {
        return httpPort;
    }

    /** The Web Console's test password, if the console was started. */
    public Optional<String> webConsolePassword() {
        return Optional.ofNullable(webConsolePassword);
    }

    /** The users file the SIP server reads; write it with {@link #users()}. */
    public Path usersFile() {
        return workDir.resolve("etc/sip-users.txt");
    }

    /** A writer for the users file (shared: every call returns the same writer). */
    public synchronized SipUsersFile users() {
        if (users == null) {
            users = new SipUsersFile(usersFile(), realm);
        }
        return users;
    }

    private SipUsersFile users;

    /** The hot-deploy folder FileInstall watches for this runtime. */
    public Path deployDir() {
        return workDir.resolve("deploy");
    }

    public Path etcDir() {
        return workDir.resolve("etc");
    }

    public RuntimeBundleSet bundleSet() {
        return bundleSet;
    }

    /** Framework ERROR events seen since start (bundle start failures and the like), for diagnostics. */
    public List<String> frameworkErrors() {
        return List.copyOf(frameworkErrors);
    }

    /** Config Admin, through reflection. */
    public ReflectiveConfigurationAdmin configurationAdmin() {
        return new ReflectiveConfigurationAdmin(bundleContext());
    }

    /** DS component states. */
    public ServiceComponents serviceComponents() {
        return new ServiceComponents(bundleContext());
    }

    /** The bundle that exports the SIP API (the SIP server). */
    public Optional<Bundle> sipServerBundle() {
        return Stream.of(bundleContext().getBundles()).filter(EmbeddedGlareRuntime::exportsSipApi).findFirst();
    }

    /**
     * Waits for a service whose interface is shared with the test class path (an API package in
     * {@code system.packages.extra}) and returns it.
     */
    public <T> T awaitService(Class<T> type, Duration wait) throws TimeoutException {
        BundleContext context = bundleContext();
        ServiceReference<T> reference;
        try {
            reference = BoundedWait.until("a " + type.getName() + " service", wait,
                    () -> Optional.ofNullable(context.getServiceReference(type)));
        } catch (TimeoutException e) {
            throw new TimeoutException(e.getMessage() + "; " + classSpaceReport(type));
        }
        T service = context.getService(reference);
        if (service == null) {
            throw new IllegalStateException("the " + type.getName() + " service went away");
        }
        return service;
    }

    /**
     * Why a service may be invisible to the test: services of the name regardless of class space,
     * and where their bundles wire the package from.
     */
    String classSpaceReport(Class<?> type) {
        StringBuilder report = new StringBuilder("services named ").append(type.getName()).append(": ");
        try {
            ServiceReference<?>[] all = bundleContext().getAllServiceReferences(type.getName(), null);
            if (all == null) {
                return report.append("none registered").toString();
            }
            String pkg = type.getPackageName();
            for (ServiceReference<?> ref : all) {
                Bundle provider = ref.getBundle();
                String wiredFrom = "its own export or none";
                BundleWiring wiring = provider == null ? null : provider.adapt(BundleWiring.class);
                if (wiring != null) {
                    for (BundleWire wire : wiring.getRequiredWires(BundleRevision.PACKAGE_NAMESPACE)) {
                        if (pkg.equals(wire.getCapability().getAttributes().get(BundleRevision.PACKAGE_NAMESPACE))) {
                            wiredFrom = wire.getProvider().getBundle().getSymbolicName() + " "
                                    + wire.getCapability().getAttributes().get("version");
                        }
                    }
                }
                report.append("[from ").append(provider == null ? "?" : provider.getSymbolicName())
                        .append(", package ").append(pkg).append(" wired to ").append(wiredFrom)
                        .append("; test class loader ").append(type.getClassLoader()).append("] ");
            }
        } catch (Exception e) {
            report.append("cannot inspect: ").append(e);
        }
        return report.toString();
    }

    // ---------------------------------------------------------------- life cycle

    /** Starts the framework, all bundles, and waits until the SIP server listens. */
    public synchronized EmbeddedGlareRuntime start() throws Exception {
        if (framework != null) {
            throw new IllegalStateException("already started");
        }
        long began = System.nanoTime();
        bundleSet = RuntimeBundleSet.read(runtimeDir, Map.of("glare.home", workDir.toString()));
        systemPackagesExtra = configuredSystemPackagesExtra != null ? configuredSystemPackagesExtra
                : sharedPackages(bundleSet, sharedPackages);
        if (sipPort == 0) {
            sipPort = LoopbackPorts.freeUdpAndTcpPort();
        }
        httpPort = LoopbackPorts.freeTcpPort();
        if (webConsole) {
            webConsolePassword = HexFormat.of().formatHex(new SecureRandom().generateSeed(12));
        }
        prepareFolders();

        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class, getClass().getClassLoader()).findFirst()
                .orElseThrow(() -> new IllegalStateException("no OSGi FrameworkFactory on the class path (org.apache.felix.framework)"));
        framework = factory.newFramework(frameworkProperties());
        framework.init();
        BundleContext context = framework.getBundleContext();
        context.addFrameworkListener(event -> {
            if (event.getType() == FrameworkEvent.ERROR) {
                String text = "bundle " + event.getBundle().getSymbolicName() + ": " + event.getThrowable();
                frameworkErrors.add(text);
                LOG.warn("framework error: {}", text, event.getThrowable());
            }
        });

        List<Bundle> heldBack = new ArrayList<>();
        for (RuntimeBundleSet.RuntimeBundle runtimeBundle : bundleSet.bundles()) {
            Bundle bundle = context.installBundle(runtimeBundle.jar().toUri().toString());
            bundle.adapt(BundleStartLevel.class).setStartLevel(runtimeBundle.startLevel());
            if (isFragment(bundle)) {
                continue;
            }
            if (exportsSipApi(bundle) || (WEB_CONSOLE_BSN.equals(bundle.getSymbolicName()))) {
                // the SIP server starts once Config Admin holds its test configuration; the console only on request
                heldBack.add(bundle);
            } else {
                bundle.start();
            }
        }
        framework.start();
        raiseStartLevel(bundleSet.maxStartLevel());

        ReflectiveConfigurationAdmin configAdmin = new ReflectiveConfigurationAdmin(context);
        BoundedWait.untilTrue("Config Admin", timeout, configAdmin::available);
        configAdmin.update(SIP_SERVER_PID, sipConfiguration());
        for (Bundle bundle : heldBack) {
            if (WEB_CONSOLE_BSN.equals(bundle.getSymbolicName()) && !webConsole) {
                LOG.info("Web Console installed but not started (test runtime)");
                continue;
            }
            bundle.start();
        }
        awaitSipPort();
        LOG.info("embedded runtime from {} up in {} ms: {} bundles, SIP {}, HTTP 127.0.0.1:{}, shared {}, work folder {}",
                runtimeDir, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began), context.getBundles().length - 1,
                sipAddress(), httpPort, systemPackagesExtra, workDir);
        return this;
    }

    /** Stops the framework and waits for it; leaves no JAIN-SIP thread that would keep the JVM alive. */
    public synchronized void stop() throws InterruptedException {
        if (framework == null) {
            return;
        }
        try {
            framework.stop();
            FrameworkEvent event = framework.waitForStop(timeout.toMillis());
            if (event.getType() == FrameworkEvent.WAIT_TIMEDOUT) {
                LOG.warn("framework did not stop within {} ms", timeout.toMillis());
            }
        } catch (BundleException e) {
            LOG.warn("framework stop failed", e);
        } finally {
            framework = null;
            endStrayJainSipThreads();
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    /** Installs and starts a bundle (an Arquillian deployment); fails if it does not start. */
    public Bundle deploy(String location, InputStream content) throws BundleException {
        Bundle bundle = bundleContext().installBundle(location, content);
        try {
            if (!isFragment(bundle)) {
                bundle.start();
            }
        } catch (BundleException e) {
            try {
                bundle.uninstall();
            } catch (BundleException | IllegalStateException ignored) {
                // already gone; report the start failure
            }
            throw e;
        }
        return bundle;
    }

    /** Uninstalls a bundle, refreshes the framework's wiring and waits for the refresh to finish. */
    public void undeploy(Bundle bundle) throws BundleException, InterruptedException, TimeoutException {
        if (bundle.getState() != Bundle.UNINSTALLED) {
            bundle.uninstall();
        }
        CountDownLatch refreshed = new CountDownLatch(1);
        framework.adapt(FrameworkWiring.class).refreshBundles(List.of(bundle), event -> refreshed.countDown());
        if (!refreshed.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new TimeoutException("package refresh after uninstalling " + bundle.getSymbolicName()
                    + " did not finish within " + timeout.toMillis() + " ms");
        }
    }

    // ---------------------------------------------------------------- internals

    private Framework running() {
        Framework f = framework;
        if (f == null) {
            throw new IllegalStateException("the embedded runtime is not running");
        }
        return f;
    }

    /**
     * Sets one SIP server setting on top of the current ones ({@code null} removes it: the shipped
     * default again); Config Admin delivers it asynchronously, so a caller waits for its effect.
     */
    public void sipServerSetting(String key, Object valueOrNull) {
        Map<String, Object> props = new LinkedHashMap<>(sipConfiguration());
        configurationAdmin().properties(SIP_SERVER_PID).ifPresent(current -> {
            for (java.util.Enumeration<String> keys = current.keys(); keys.hasMoreElements(); ) {
                String k = keys.nextElement();
                if (!k.equals("service.pid") && !k.equals("service.bundleLocation")) {
                    props.put(k, current.get(k));
                }
            }
        });
        if (valueOrNull == null) {
            props.remove(key);
        } else {
            props.put(key, valueOrNull);
        }
        configurationAdmin().update(SIP_SERVER_PID, props);
    }

    private Map<String, Object> sipConfiguration() {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("address", sipHost());
        config.put("port", sipPort);
        config.put("domain", domain);
        config.put("realm", realm);
        config.put("users.file", usersFile().toString());
        // every phone, endpoint and load generator of every test class is one source address here
        // (127.0.0.1), some at thousands of requests a second: the per-source limit (shipped: 500/s,
        // SourceProtectionTest and the runtime-process tests keep it) is lifted in this test runtime
        config.put("limit.requests-per-second", 0);
        return config;
    }

    /** {@code pkg;version=<exported version>.shared,...} for the packages the runtime exports. */
    static String sharedPackages(RuntimeBundleSet set, List<String> packages) {
        List<String> clauses = new ArrayList<>();
        for (String pkg : packages) {
            String version = set.exportedVersion(pkg).orElseThrow(() -> new IllegalStateException(
                    "no bundle in " + set.root() + " exports " + pkg + ": is sip-server in bundle/<N>/?"));
            String[] parts = version.split("\\.");
            String shared = parts.length >= 4 ? version + "-" + SHARED_QUALIFIER
                    : String.join(".", List.of(parts.length > 0 ? parts[0] : "0", parts.length > 1 ? parts[1] : "0",
                            parts.length > 2 ? parts[2] : "0", SHARED_QUALIFIER));
            clauses.add(pkg + ";version=" + shared);
        }
        return String.join(",", clauses);
    }

    /** The packages the system bundle shares with the test class path ({@code system.packages.extra}). */
    public String systemPackagesExtra() {
        return systemPackagesExtra;
    }

    private Map<String, String> frameworkProperties() {
        Map<String, String> props = new HashMap<>();
        bundleSet.properties().forEach((name, value) -> {
            // the launcher's auto-install lists and storage belong to the shipped runtime, not to the test
            if (!name.startsWith("felix.auto.") && !name.startsWith("org.osgi.framework.storage")
                    && !name.equals("felix.cache.rootdir")) {
                props.put(name, value);
            }
        });
        props.put(Constants.FRAMEWORK_STORAGE, workDir.resolve("felix-cache").toString());
        props.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        props.put(Constants.FRAMEWORK_BEGINNING_STARTLEVEL, "1");
        String shippedExtra = props.get(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA);
        props.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA,
                shippedExtra == null || shippedExtra.isBlank() ? systemPackagesExtra : shippedExtra + "," + systemPackagesExtra);
        props.put("felix.fileinstall.dir", deployDir() + "," + etcDir());
        props.put("felix.fileinstall.noInitialDelay", "true");
        props.put("org.osgi.service.http.port", Integer.toString(httpPort));
        props.put("org.apache.felix.http.host", "127.0.0.1");
        // Felix's implicit boot delegation lets a JDK ServiceLoader called from a bundle see the test
        // class path: the slf4j.api bundle then finds the test's slf4j-simple ("not a subtype") and
        // falls back to NOP, silencing every bundle's log. The shipped runtime has no such class path.
        props.put("felix.bootdelegation.implicit", "false");
        // Gogo must not read the test JVM's stdin (failsafe talks to its fork there) nor stop the framework at EOF
        props.put("gosh.args", "--nointeractive --noshutdown");
        // the shipped runtime gets the console password from bin/start; a test console gets a random one
        props.remove("felix.webconsole.password");
        if (webConsolePassword != null) {
            props.put("felix.webconsole.password", webConsolePassword);
        }
        props.putAll(extraFrameworkProperties);
        return props;
    }

    private void prepareFolders() throws IOException {
        deleteRecursively(etcDir());
        deleteRecursively(deployDir());
        Files.createDirectories(etcDir());
        Files.createDirectories(deployDir());
        Path shippedEtc = runtimeDir.resolve("etc");
        if (Files.isDirectory(shippedEtc)) {
            try (Stream<Path> files = Files.list(shippedEtc)) {
                for (Path file : files.filter(Files::isRegularFile).toList()) {
                    String name = file.getFileName().toString();
                    if (name.equals(SIP_CONFIG_FILE) || name.equals("sip-users.txt")) {
                        continue; // the test's SIP configuration comes through Config Admin below
                    }
                    if (name.startsWith("org.apache.felix.webconsole") || name.startsWith("webconsole")) {
                        continue; // the console is off or gets a random test password
                    }
                    Path copy = etcDir().resolve(name);
                    if (name.endsWith(".cfg") || name.endsWith(".config")) {
                        Files.writeString(copy, rewritePorts(Files.readString(file, StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
                    } else {
                        Files.copy(file, copy);
                    }
                }
            }
        }
        // an empty users file: tests add their users with users().write(...)
        Files.writeString(usersFile(), "", StandardCharsets.UTF_8);
    }

    // A shipped configuration may pin the HTTP port (8080): a test must not collide with a running runtime.
    private String rewritePorts(String cfg) {
        StringBuilder out = new StringBuilder();
        for (String line : cfg.split("\n", -1)) {
            String trimmed = line.stripLeading();
            if (trimmed.startsWith("org.osgi.service.http.port") && trimmed.contains("=")
                    && !trimmed.startsWith("org.osgi.service.http.port.")) {
                out.append("org.osgi.service.http.port=").append(line.contains("\"") ? "\"" + httpPort + "\"" : httpPort);
            } else {
                out.append(line);
            }
            out.append('\n');
        }
        return out.substring(0, out.length() - 1);
    }

    private void raiseStartLevel(int level) throws InterruptedException, TimeoutException {
        CountDownLatch reached = new CountDownLatch(1);
        framework.adapt(FrameworkStartLevel.class).setStartLevel(level, event -> {
            if (event.getType() == FrameworkEvent.STARTLEVEL_CHANGED) {
                reached.countDown();
            }
        });
        if (!reached.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new TimeoutException("framework did not reach start level " + level + " within " + timeout.toMillis() + " ms");
        }
    }

    private void awaitSipPort() throws TimeoutException {
        BoundedWait.untilTrue("the SIP server to listen on UDP " + sipAddress() + " (framework errors: " + frameworkErrors + ")",
                timeout, () -> udpPortTaken(sipPort));
    }

    private static boolean udpPortTaken(int port) {
        try (DatagramSocket probe = new DatagramSocket(null)) {
            probe.setReuseAddress(false);
            probe.bind(new InetSocketAddress(LoopbackPorts.loopback(), port));
            return false;
        } catch (BindException taken) {
            return true;
        } catch (SocketException e) {
            return false;
        }
    }

    static boolean isFragment(Bundle bundle) {
        return bundle.getHeaders().get(Constants.FRAGMENT_HOST) != null;
    }

    static boolean exportsSipApi(Bundle bundle) {
        String exports = bundle.getHeaders().get(Constants.EXPORT_PACKAGE);
        if (exports == null || bundle.getBundleId() == 0) {
            return false;
        }
        for (String clause : exports.split(",")) {
            if (clause.trim().startsWith(SIP_API_PACKAGE + ";") || clause.trim().equals(SIP_API_PACKAGE)) {
                return true;
            }
        }
        return false;
    }

    // JAIN-SIP RI: SipStack.stop() leaves a non-daemon EventScannerThread waiting; it would keep
    // the test JVM alive after the last test. Its stack is gone with the framework, so end it.
    private static void endStrayJainSipThreads() throws InterruptedException {
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.isAlive() && !thread.isDaemon() && thread.getName().startsWith("EventScannerThread")) {
                LOG.info("ending stray JAIN-SIP thread {} left after the framework stopped", thread.getName());
                thread.interrupt();
                thread.join(2_000);
                if (thread.isAlive()) {
                    LOG.warn("JAIN-SIP thread {} is still alive: the JVM may wait for it at exit", thread.getName());
                }
            }
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Builder; every setting has a test default except the runtime folder. */
    public static final class Builder {
        private Path runtimeDir;
        private Path workDir = Path.of("target", "felix");
        private int sipPort;
        private String systemPackagesExtra;
        private List<String> sharedPackages = DEFAULT_SHARED_PACKAGES;
        private String domain = "127.0.0.1";
        private String realm = "glare-resolver";
        private boolean webConsole;
        private Duration timeout = Duration.ofSeconds(60);
        private final Map<String, String> extraFrameworkProperties = new HashMap<>();

        private Builder() {
        }

        /** The assembled runtime ({@code felix-config/target/glare-runtime}). */
        public Builder runtimeDir(Path dir) {
            this.runtimeDir = dir;
            return this;
        }

        /** Where framework storage, etc/ and deploy/ go (under target/). */
        public Builder workDir(Path dir) {
            this.workDir = dir;
            return this;
        }

        /** 0 (default): a free loopback port. */
        public Builder sipPort(int port) {
            this.sipPort = port;
            return this;
        }

        /**
         * Packages shared with the test class path, in {@code system.packages.extra} syntax; null
         * (default): the {@link #sharedPackages shared packages} at their exported version + {@code .shared}.
         */
        public Builder systemPackagesExtra(String packages) {
            this.systemPackagesExtra = packages;
            return this;
        }

        /**
         * API packages (names only) to share with the test class path, each at the version a
         * runtime bundle exports it plus {@code .shared}; default {@link #DEFAULT_SHARED_PACKAGES}.
         * The test class path must hold only these packages' classes of the exporting bundles.
         */
        public Builder sharedPackages(List<String> packages) {
            this.sharedPackages = List.copyOf(packages);
            return this;
        }

        public Builder domain(String domain) {
            this.domain = domain;
            return this;
        }

        public Builder realm(String realm) {
            this.realm = realm;
            return this;
        }

        /** Start the Web Console with a random test password (default: installed, not started). */
        public Builder webConsole(boolean on) {
            this.webConsole = on;
            return this;
        }

        /** Bound of every wait (framework start, start levels, SIP port, refresh). */
        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        public Builder frameworkProperty(String name, String value) {
            extraFrameworkProperties.put(name, value);
            return this;
        }

        public EmbeddedGlareRuntime build() {
            Objects.requireNonNull(runtimeDir, "runtimeDir");
            return new EmbeddedGlareRuntime(this);
        }
    }
}
