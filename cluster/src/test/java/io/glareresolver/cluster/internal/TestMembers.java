package io.glareresolver.cluster.internal;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/** Real Hazelcast members in the test JVM, on 127.0.0.1 and free ports, multicast off (the production config). */
final class TestMembers {

    private TestMembers() {
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Settings of {@code nodes.length} nodes of one cluster, each on its own free port. */
    static List<ClusterSettings> cluster(String clusterName, long timeoutMillis, String... nodes) {
        List<Integer> ports = new ArrayList<>();
        List<String> members = new ArrayList<>();
        for (int i = 0; i < nodes.length; i++) {
            int port = freePort();
            ports.add(port);
            members.add("127.0.0.1:" + port);
        }
        List<ClusterSettings> settings = new ArrayList<>();
        for (int i = 0; i < nodes.length; i++) {
            settings.add(new ClusterSettingsReader().read(Map.of(
                    ClusterSettingsReader.CLUSTER_NAME, clusterName,
                    ClusterSettingsReader.NODE_NAME, nodes[i],
                    ClusterSettingsReader.MEMBERS, String.join(",", members),
                    ClusterSettingsReader.PORT, ports.get(i),
                    ClusterSettingsReader.OPERATION_TIMEOUT, timeoutMillis)));
        }
        return settings;
    }

    static HazelcastInstance start(ClusterSettings settings) {
        Config config = ClusterMemberConfig.of(settings);
        // tests only: the first member need not wait 5 s for others before it forms the cluster
        config.setProperty("hazelcast.wait.seconds.before.join", "0");
        return Hazelcast.newHazelcastInstance(config);
    }

    /**
     * Polls {@code condition} every 20 ms until it holds, failing after {@code limit}: a bounded poll
     * (Hazelcast's membership and replica state have no event these tests could wait on as a whole).
     */
    static void await(String what, Duration limit, BooleanSupplier condition) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within " + limit + ": " + what);
            }
            try {
                Thread.sleep(20); // the poll's interval, not a wait for the condition
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for " + what);
            }
        }
    }
}
