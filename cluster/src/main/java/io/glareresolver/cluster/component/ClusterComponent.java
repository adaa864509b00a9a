package io.glareresolver.cluster.component;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;

import io.glareresolver.cluster.internal.ClusterMemberConfig;
import io.glareresolver.cluster.internal.ClusterSettings;
import io.glareresolver.cluster.internal.ClusterSettingsReader;
import io.glareresolver.cluster.internal.HazelcastServerCluster;
import io.glareresolver.sip.api.ClusterStatus;
import io.glareresolver.sip.api.ClusterUnavailableException;
import io.glareresolver.sip.api.Registration;
import io.glareresolver.sip.api.ServerCluster;

import java.time.Clock;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's member of the cluster, published as the {@link ServerCluster} service. Only with a
 * configuration (policy REQUIRE): without {@code etc/io.glareresolver.cluster.cfg} there is no
 * service and the SIP server stays one node in memory. A changed configuration restarts the
 * component, and with it the member (no {@code @Modified}: the member's address, port and cluster
 * cannot change while it runs). Immediate: the member joins when the configuration arrives, not
 * when the first SIP request asks for the service, so the other nodes see this one from the start.
 */
@Component(service = ServerCluster.class, immediate = true, configurationPid = ClusterSettings.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = ClusterConfig.class)
public final class ClusterComponent implements ServerCluster {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterComponent.class);

    private HazelcastInstance member;
    private HazelcastServerCluster cluster;

    @Activate
    void activate(Map<String, Object> props) {
        ClusterSettings settings = new ClusterSettingsReader().read(props);
        Config config = ClusterMemberConfig.of(settings);
        try {
            // bounded by the member config: no port auto-increment (fails at once when the port is
            // taken), join attempts limited by hazelcast.max.join.seconds
            member = Hazelcast.newHazelcastInstance(config);
        } catch (RuntimeException e) {
            LOG.error("cluster member could not start on {} (cluster {}, members {}): {}; this node stays alone",
                    settings.memberAddress(), settings.clusterName(), settings.members(), e.toString());
            throw new IllegalStateException("cluster member could not start on " + settings.memberAddress(), e);
        }
        try {
            cluster = new HazelcastServerCluster(member, settings, Clock.systemUTC());
        } catch (RuntimeException e) {
            // SCR calls no deactivate after a failed activate: the member must not outlive it
            member.shutdown();
            LOG.error("cluster member on {} started but its maps could not be opened: {}", settings.memberAddress(),
                    e.toString());
            throw e;
        }
        List<String> seen = cluster.status().members();
        LOG.info("cluster {} joined as node {} ({}), {} member(s) seen: {}", settings.clusterName(),
                settings.nodeName(), settings.memberAddress(), seen.size(), seen);
    }

    @Deactivate
    void deactivate() {
        if (cluster != null) {
            cluster.close();
        }
        if (member != null) {
            member.shutdown();
            LOG.info("cluster member {} shut down", cluster == null ? "" : cluster.nodeName());
        }
    }

    @Override
    public String nodeName() {
        return cluster.nodeName();
    }

    @Override
    public void announce(String sipUri) {
        cluster.announce(sipUri);
    }

    @Override
    public void publish(Registration registration) {
        cluster.publish(registration);
    }

    @Override
    public List<Registration.Binding> bindingsElsewhere(String aor) throws ClusterUnavailableException {
        return cluster.bindingsElsewhere(aor);
    }

    @Override
    public Collection<Registration> registrationsElsewhere() throws ClusterUnavailableException {
        return cluster.registrationsElsewhere();
    }

    @Override
    public String claimPair(String aorA, String aorB, String callId) throws ClusterUnavailableException {
        return cluster.claimPair(aorA, aorB, callId);
    }

    @Override
    public void releasePair(String aorA, String aorB, String callId) {
        cluster.releasePair(aorA, aorB, callId);
    }

    @Override
    public Optional<String> sipUriOf(String node) {
        return cluster.sipUriOf(node);
    }

    @Override
    public boolean isNode(String host, int port, boolean udp) {
        return cluster.isNode(host, port, udp);
    }

    @Override
    public ClusterStatus status() {
        return cluster.status();
    }
}
