package io.glareresolver.integrationtests;

import java.time.Duration;
import java.util.HashMap;
import java.util.Optional;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

import io.glareresolver.glare.api.GlareStatus;
import io.glareresolver.integrationtests.felix.BoundedWait;
import io.glareresolver.integrationtests.felix.EmbeddedGlareRuntime;
import io.glareresolver.integrationtests.felix.SipUsersFile.SipUser;
import io.glareresolver.sip.api.LocationService;

/**
 * The runtime as a new user has it, for the third-party phone tests: a class's users in the users
 * file, the glare plugin active with its shipped settings (no property set:
 * {@code etc/io.glareresolver.glare.cfg} has every line commented).
 */
final class ShippedSettings {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private ShippedSettings() {
    }

    /** Loads {@code users} (once) and puts the plugin back to its shipped settings; returns the location service. */
    static LocationService apply(EmbeddedGlareRuntime runtime, BundleContext context, SipUser... users) throws Exception {
        LocationService locations = runtime.awaitService(LocationService.class, WAIT);
        String last = TestUsers.aor(runtime, users[users.length - 1]);
        if (locations.endpointId(last).isEmpty()) {
            runtime.users().write(users);
        }
        BoundedWait.untilTrue("the SIP server to load the test's users", Duration.ofSeconds(20),
                () -> locations.endpointId(last).isPresent());
        for (Bundle b : context.getBundles()) {
            if ("io.glareresolver.glare".equals(b.getSymbolicName()) && b.getState() != Bundle.ACTIVE) {
                b.start(); // another class may have stopped it
            }
        }
        runtime.configurationAdmin().update(GlareStatus.PID, new HashMap<>());
        BoundedWait.untilTrue("the plugin enabled with its shipped settings", WAIT,
                () -> status(context).map(s -> s.enabled() && s.tiebreakSource().equals("endpoint")).orElse(false));
        return locations;
    }

    static Optional<GlareStatus> status(BundleContext context) {
        return GlarePluginFixture.status(context);
    }
}
