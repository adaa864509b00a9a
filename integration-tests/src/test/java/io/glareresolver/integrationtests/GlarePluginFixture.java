package io.glareresolver.integrationtests;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

import io.glareresolver.endpoint.GlareEndpoint;
import io.glareresolver.endpoint.testing.InboundInviteGate;
import io.glareresolver.glare.api.GlareStatus;
import io.glareresolver.integrationtests.felix.BoundedWait;
import io.glareresolver.integrationtests.felix.EmbeddedGlareRuntime;
import io.glareresolver.integrationtests.felix.SipUsersFile.SipUser;
import io.glareresolver.sip.api.LocationService;

/**
 * The fixture of the tests that drive the glare plugin of the embedded runtime
 * ({@link EmbeddedGlareRuntime}, the Arquillian container's framework in the test's own JVM) with
 * glare-aware {@code endpoint} devices: a class's users and the plugin on with its defaults, the
 * devices a class has open (one live binding per user, all closed after the class), the plugin's
 * bundle and status, and the tight bounded polls a crossing is paced by.
 *
 * <p>One instance per test class, in a static field: the devices outlive a test method, the test
 * instance does not.
 */
final class GlarePluginFixture {

    /** The plugin's bundle, from the runtime's {@code deploy/}. */
    static final String BSN = "io.glareresolver.glare";
    static final Duration WAIT = Duration.ofSeconds(10);

    private final List<GlareEndpoint> open = new ArrayList<>();

    /**
     * Loads {@code users} into the users file (once: the last one present means all are) and turns
     * the plugin on with its defaults (enabled, {@code tiebreak.source=endpoint}), started again if
     * another class stopped it; returns the location service.
     */
    static LocationService pluginOnWithDefaults(EmbeddedGlareRuntime runtime, BundleContext context, SipUser... users)
            throws Exception {
        LocationService locations = runtime.awaitService(LocationService.class, WAIT);
        String last = TestUsers.aor(runtime, users[users.length - 1]);
        if (locations.endpointId(last).isEmpty()) {
            runtime.users().write(users);
        }
        BoundedWait.untilTrue("the SIP server to load this class's users", Duration.ofSeconds(20),
                () -> locations.endpointId(last).isPresent());
        // another class may have stopped the plugin (it starts it again afterwards, but be sure)
        Bundle plugin = plugin(context);
        if (plugin.getState() != Bundle.ACTIVE) {
            plugin.start();
        }
        configure(runtime, Map.of());
        BoundedWait.untilTrue("the plugin enabled with tiebreak.source=endpoint", WAIT,
                () -> status(context).map(s -> s.enabled() && s.tiebreakSource().equals("endpoint")).orElse(false));
        return locations;
    }

    /** Replaces the plugin's configuration: the defaults (enabled, endpoint policy) plus these values. */
    static void configure(EmbeddedGlareRuntime runtime, Map<String, ?> properties) {
        Map<String, Object> all = new HashMap<>();
        all.put("enabled", true);
        all.put("tiebreak.source", "endpoint");
        all.putAll(properties);
        runtime.configurationAdmin().update(GlareStatus.PID, all);
    }

    /** The plugin's bundle; fails the test if the runtime has none. */
    static Bundle plugin(BundleContext context) {
        for (Bundle b : context.getBundles()) {
            if (BSN.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("no bundle " + BSN + " in the runtime (felix-config should ship deploy/glare-bundle.jar)");
    }

    /** The plugin's status service, empty while the plugin is stopped. */
    static Optional<GlareStatus> status(BundleContext context) {
        ServiceReference<GlareStatus> ref = context.getServiceReference(GlareStatus.class);
        return ref == null ? Optional.empty() : Optional.ofNullable(context.getService(ref));
    }

    /**
     * Starts a device of {@code user} against the runtime (ACK timeout 5 s, glare timeout 8 s, then
     * {@code options}), open until {@link #closeEndpoints}; not registered.
     *
     * @param gate the gate of the device's incoming INVITEs (the second caller of a crossing), or null
     */
    GlareEndpoint endpoint(EmbeddedGlareRuntime runtime, SipUser user, UnaryOperator<GlareEndpoint.Builder> options,
                           Supplier<? extends CompletionStage<?>> gate) {
        GlareEndpoint.Builder b = options.apply(GlareEndpoint.builder().user(user.name()).password(user.password())
                .server(runtime.sipHost(), runtime.sipPort()).domain(runtime.domain()).id(user.endpointId())
                .ackTimeout(Duration.ofSeconds(5)).glareTimeout(Duration.ofSeconds(8)));
        GlareEndpoint ep = gate == null ? b.build() : InboundInviteGate.build(b, gate);
        synchronized (open) {
            open.add(ep);
        }
        return ep;
    }

    /**
     * A registered device of {@code user}, as {@link #endpoint} starts it. One live binding per user:
     * the user's older devices are closed (unregistered) first, and the new one registers only once
     * the location service has no binding of the user left.
     */
    GlareEndpoint registered(EmbeddedGlareRuntime runtime, LocationService locations, SipUser user,
                             UnaryOperator<GlareEndpoint.Builder> options, Supplier<? extends CompletionStage<?>> gate)
            throws Exception {
        synchronized (open) {
            for (GlareEndpoint old : new ArrayList<>(open)) {
                if (old.aor().startsWith(user.name() + "@")) {
                    old.close();
                    open.remove(old);
                }
            }
        }
        String aor = TestUsers.aor(runtime, user);
        BoundedWait.untilTrue(user.name() + " unregistered", WAIT, () -> locations.lookup(aor).isEmpty());
        GlareEndpoint ep = endpoint(runtime, user, options, gate);
        ep.register();
        return ep;
    }

    /** Closes every device still open (for {@code @AfterAll}). */
    void closeEndpoints() {
        // close() unregisters and stops each stack on a daemon thread
        synchronized (open) {
            open.forEach(GlareEndpoint::close);
            open.clear();
        }
    }

    static void awaitPending(GlareStatus status, int count, String what) throws TimeoutException {
        awaitPending(status, count, what, WAIT);
    }

    /** Waits until the plugin's pending table holds {@code count} INVITEs (a tight poll, see {@link #poll}). */
    static void awaitPending(GlareStatus status, int count, String what, Duration timeout) throws TimeoutException {
        poll(what + " (pending " + count + ")", timeout, () -> status.pendingInvites() == count);
    }

    /** Waits until no crossing is in progress and the pending table is empty. */
    static void awaitQuiet(GlareStatus status) throws TimeoutException {
        poll("no crossing in progress and the pending table empty", WAIT,
                () -> status.counters().inProgress() == 0 && status.pendingInvites() == 0);
    }

    /**
     * A tight bounded poll, 0.2 ms between looks: a crossing's timing depends on it (the gate opens
     * as soon as the plugin counted the crossing; {@link BoundedWait} pauses 20 ms).
     */
    static void poll(String what, Duration timeout, BooleanSupplier condition) throws TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new TimeoutException("timed out after " + timeout.toMillis() + " ms waiting for " + what);
            }
            LockSupport.parkNanos(200_000);
        }
    }
}
