package io.glareresolver.cluster.internal;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClusterMemberConfigTest {

    @Test
    void joinsOnlyTheListedMembersOnTheConfiguredAddress() {
        ClusterSettings settings = new ClusterSettingsReader().read(Map.of("cluster.name", "east", "node.name", "sip-2",
                "members", "127.0.0.1:5701,127.0.0.2:5701", "address", "127.0.0.2", "backup-count", "2"));
        Config config = ClusterMemberConfig.of(settings);
        assertEquals("east", config.getClusterName());
        JoinConfig join = config.getNetworkConfig().getJoin();
        assertFalse(join.getMulticastConfig().isEnabled(), "no multicast");
        assertFalse(join.getAutoDetectionConfig().isEnabled(), "no auto-detection");
        assertTrue(join.getTcpIpConfig().isEnabled());
        assertEquals(List.of("127.0.0.1:5701", "127.0.0.2:5701"), join.getTcpIpConfig().getMembers());
        assertEquals(5701, config.getNetworkConfig().getPort());
        assertFalse(config.getNetworkConfig().isPortAutoIncrement());
        assertEquals("127.0.0.2", config.getProperty("hazelcast.local.localAddress"));
        assertEquals("false", config.getProperty("hazelcast.socket.bind.any"));
        assertEquals("slf4j", config.getProperty("hazelcast.logging.type"));
        assertEquals("false", config.getProperty("hazelcast.phone.home.enabled"));
        assertEquals("false", config.getProperty("hazelcast.shutdownhook.enabled"));
        assertEquals("sip-2", config.getMemberAttributeConfig().getAttribute(ClusterMemberConfig.NODE_ATTRIBUTE));
        assertEquals(2, config.getMapConfig(ClusterMaps.BINDINGS).getBackupCount());
        assertTrue(config.getMapConfig(ClusterMaps.BINDINGS).isReadBackupData(), "lookups read the local backup");
        assertFalse(config.getMapConfig(ClusterMaps.PAIRS).isReadBackupData(), "claims always go to the owner");
        assertEquals(2, config.getMapConfig(ClusterMaps.PAIRS).getBackupCount());
        assertEquals(300, config.getMapConfig(ClusterMaps.PAIRS).getTimeToLiveSeconds());
    }

    @Test
    void withoutMembersTheNodeIsACluster() {
        Config config = ClusterMemberConfig.of(ClusterSettings.defaults());
        assertEquals(List.of("127.0.0.1:5701"), config.getNetworkConfig().getJoin().getTcpIpConfig().getMembers());
        assertEquals("glare-resolver", config.getClusterName());
    }
}
