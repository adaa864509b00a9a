package io.glareresolver.integrationtests;

import java.time.Duration;
import java.util.concurrent.TimeoutException;

import io.glareresolver.integrationtests.felix.BoundedWait;
import io.glareresolver.integrationtests.felix.EmbeddedGlareRuntime;
import io.glareresolver.integrationtests.felix.SipUsersFile.SipUser;
import io.glareresolver.sip.api.LocationService;

/** The SIP users of the integration tests (passwords are test data). */
public final class TestUsers {

    public static final SipUser ALICE = new SipUser("alice", "alice-secret-1", 1001);
    public static final SipUser BOB = new SipUser("bob", "bob-secret-2", 1002);
    public static final SipUser CAROL = new SipUser("carol", "carol-secret-3", 1003);
    public static final SipUser DAVE = new SipUser("dave", "dave-secret-4", 1004);
    public static final SipUser ERIN = new SipUser("erin", "erin-secret-5", 1005);
    public static final SipUser FRANK = new SipUser("frank", "frank-secret-6", 1006);
    /** Known to the server, never registered by any test. */
    public static final SipUser GRACE = new SipUser("grace", "grace-secret-7", 1007);
    public static final SipUser HEIDI = new SipUser("heidi", "heidi-secret-8", 1008);
    public static final SipUser IVAN = new SipUser("ivan", "ivan-secret-9", 1009);
    public static final SipUser JUDY = new SipUser("judy", "judy-secret-10", 1010);
    public static final SipUser MALLORY = new SipUser("mallory", "mallory-secret-11", 1011);

    private static final SipUser[] ALL = {ALICE, BOB, CAROL, DAVE, ERIN, FRANK, GRACE, HEIDI, IVAN, JUDY, MALLORY};

    private TestUsers() {
    }

    /**
     * Writes every test user into the runtime's users file (once) and waits until the SIP server
     * has loaded them (it reloads the file when it changes).
     */
    public static synchronized void install(EmbeddedGlareRuntime runtime, LocationService locations) throws TimeoutException {
        if (locations.endpointId(aor(runtime, MALLORY)).isEmpty()) {
            runtime.users().write(ALL);
        }
        BoundedWait.untilTrue("the SIP server to load the users file " + runtime.usersFile(), Duration.ofSeconds(20),
                () -> locations.endpointId(aor(runtime, MALLORY)).isPresent());
    }

    /** {@code user@domain}. */
    public static String aor(EmbeddedGlareRuntime runtime, SipUser user) {
        return user.name() + "@" + runtime.domain();
    }

    /** {@code user:password:algorithm}, the scripts' credential argument. */
    public static String credentials(SipUser user, String algorithm) {
        return user.name() + ":" + user.password() + ":" + algorithm;
    }
}
