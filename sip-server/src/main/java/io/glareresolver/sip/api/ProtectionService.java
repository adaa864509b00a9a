package io.glareresolver.sip.api;

/**
 * The SIP server's per-source protection (since 1.4.0), published as an OSGi service by the
 * {@code sip-server} bundle: requests refused for their source's rate, requests dropped from banned
 * sources, digest failures, bans, and the sources banned now. Read-only.
 */
public interface ProtectionService {

    /** The counters since the server component started, and the sources banned now. */
    ProtectionCounters counters();
}
