package io.glareresolver.sip.api;

import java.util.Collection;
import java.util.Optional;

/**
 * The registrar's location service (RFC 3261 §10), published as an OSGi service by the
 * {@code sip-server} bundle. Read-only for plugins.
 */
public interface LocationService {

    /** The live registration of an address of record ({@code user@host}), if it has unexpired bindings. */
    Optional<Registration> lookup(String aor);

    /** All live registrations, a snapshot. */
    Collection<Registration> registrations();

    /** The endpoint ID of a configured user ({@code user@host} or plain user name), registered or not. */
    Optional<Long> endpointId(String aor);
}
