package io.glareresolver.integrationtests.phone;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import io.glareresolver.integrationtests.felix.BoundedWait;
import io.glareresolver.sip.api.LocationService;

/**
 * Whether a phone process registered, as the server sees it: the phones' own reports of their
 * REGISTER come too late or too early to read (baresip's REGISTER_OK is sent before its control
 * port opens; linphone reads the 200 OK a moment after the server stored the binding).
 */
public final class PhoneRegistration {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private PhoneRegistration() {
    }

    /**
     * Waits (bounded) until the server's location service has a binding of {@code aor} whose
     * contact carries the phone's own SIP port; on timeout fails with {@code phoneState} (what the
     * phone says of it) and the phone's log.
     */
    public static void awaitBinding(LocationService locations, String aor, String user, int sipPort,
                                    Callable<String> phoneState, Supplier<String> phoneLog) throws Exception {
        String port = ":" + sipPort;
        try {
            BoundedWait.untilTrue(user + " registered from port " + sipPort, WAIT,
                    () -> locations.lookup(aor).map(r -> r.bindings().stream()
                            .anyMatch(b -> b.contact().contains(port))).orElse(false));
        } catch (TimeoutException e) {
            throw new AssertionError(user + " did not register: " + phoneState.call() + "\n" + phoneLog.get(), e);
        }
    }
}
