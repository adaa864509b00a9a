package io.glareresolver.sip.impl.cluster;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.glareresolver.sip.api.ClusterUnavailableException;
import io.glareresolver.sip.api.ServerCluster;

/**
 * The server's link to the other nodes: the {@link ServerCluster} service while the cluster bundle
 * publishes one, nothing otherwise (one node, everything in memory). It lives with the registrar's
 * data, so neither the SIP stack's restarts nor the cluster bundle's coming and going lose a
 * registration: when a cluster appears, this node's registrations are published to it again.
 *
 * <p>A cluster that does not answer in time makes this node act as one node for that request;
 * the reason is logged at most once a minute (a split would otherwise log on every call).
 */
public final class ClusterLink {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterLink.class);
    private static final long LOG_EVERY_NANOS = 60_000_000_000L;

    private volatile ServerCluster cluster;
    private volatile String sipUri;
    private final AtomicLong lastLogged = new AtomicLong(System.nanoTime() - LOG_EVERY_NANOS);
    private final AtomicLong asOneNode = new AtomicLong();

    /** The cluster, if this node is in one. */
    public Optional<ServerCluster> current() {
        return Optional.ofNullable(cluster);
    }

    /**
     * A cluster service appeared: this node announces its SIP address to it and publishes what it
     * registered meanwhile ({@code republish}).
     */
    public void bind(ServerCluster c, Consumer<ServerCluster> republish) {
        cluster = c;
        String uri = sipUri;
        if (uri != null) {
            c.announce(uri);
        }
        republish.accept(c);
        LOG.info("in cluster as node {}: registrations are shared, crossings across nodes are resolved", c.nodeName());
    }

    public void unbind(ServerCluster c) {
        if (cluster == c) {
            cluster = null;
            LOG.info("cluster gone: this node goes on alone with its own registrations");
        }
    }

    /** The SIP server listens at {@code uri}: the other nodes relay to it. */
    public void announce(String uri) {
        sipUri = uri;
        ServerCluster c = cluster;
        if (c != null) {
            c.announce(uri);
        }
    }

    /**
     * The cluster could not answer for {@code what}: counted, and logged with the reason at most
     * once a minute.
     */
    public void actedAsOneNode(String what, ClusterUnavailableException e) {
        long n = asOneNode.incrementAndGet();
        long now = System.nanoTime();
        long last = lastLogged.get();
        if (now - last >= LOG_EVERY_NANOS && lastLogged.compareAndSet(last, now)) {
            LOG.warn("cluster unavailable for {} ({}): handled as one node (an INVITE as a plain RFC 3261 call, "
                    + "to the bindings this node has); {} such requests so far, logged at most once a minute", what,
                    e.getMessage(), n);
        }
    }

    /** Requests handled as one node because the cluster did not answer. */
    public long actedAsOneNode() {
        return asOneNode.get();
    }
}
