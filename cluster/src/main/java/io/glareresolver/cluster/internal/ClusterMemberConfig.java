package io.glareresolver.cluster.internal;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.NetworkConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * The Hazelcast member configuration of a node, from its {@link ClusterSettings}: a member that
 * joins only the listed members over TCP (multicast and cloud auto-detection off: a SIP server must
 * not join whatever cluster it finds on the LAN), binds only the configured address, and keeps the
 * three maps {@link ClusterMaps} describes.
 */
public final class ClusterMemberConfig {

    /** The member attribute that carries the node name, so that live members are known by name. */
    public static final String NODE_ATTRIBUTE = "glare.node";

    /**
     * How long a claim of a pair lives without a write: Timer C (3 min, RFC 3261 §16.6) plus a
     * margin, so a claim its node never released (the node died) ends by itself.
     */
    public static final int PAIR_TTL_SECONDS = 300;

    private ClusterMemberConfig() {
    }

    public static Config of(ClusterSettings settings) {
        Config config = new Config();
        config.setClusterName(settings.clusterName());
        config.setInstanceName("glare-cluster-" + settings.nodeName());
        // SLF4J like the rest of the server; no phone-home; the component shuts the member down
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        // bind the configured address only, not every address of the host; named as the local address
        // rather than as an interface pattern, so that any address routed to this host works (on
        // Linux 127.0.0.2 is no interface's address, yet reachable: two nodes on one machine)
        config.setProperty("hazelcast.socket.bind.any", "false");
        config.setProperty("hazelcast.local.localAddress", settings.address());
        // a node killed with -9 leaves the member list after 10 s without heartbeat (default 60 s):
        // until then its claims hold and INVITEs relayed to it fail
        config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        config.setProperty("hazelcast.max.no.heartbeat.seconds", "10");
        // a member list nobody answers on must not hold the component's activation for 5 min
        config.setProperty("hazelcast.max.join.seconds", "30");
        config.getMemberAttributeConfig().setAttribute(NODE_ATTRIBUTE, settings.nodeName());

        NetworkConfig network = config.getNetworkConfig();
        network.setPort(settings.port()).setPortAutoIncrement(false).setPortCount(1);
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        List<String> members = new ArrayList<>(settings.members());
        if (members.isEmpty()) {
            members.add(settings.memberAddress());
        }
        join.getTcpIpConfig().setEnabled(true).setMembers(members);

        // bindings may be read from this member's backup copy: a synchronous backup is as current as
        // the owner once a publish returned, and a lookup then needs no other member (nor its answer)
        config.addMapConfig(new MapConfig(ClusterMaps.BINDINGS).setBackupCount(settings.backupCount())
                .setAsyncBackupCount(0).setReadBackupData(true));
        config.addMapConfig(new MapConfig(ClusterMaps.PAIRS).setBackupCount(settings.backupCount())
                .setAsyncBackupCount(0).setTimeToLiveSeconds(PAIR_TTL_SECONDS));
        return config;
    }
}
