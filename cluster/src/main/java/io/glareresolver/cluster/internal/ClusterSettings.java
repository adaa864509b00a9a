package io.glareresolver.cluster.internal;

import java.time.Duration;
import java.util.List;

/**
 * The cluster bundle's settings (PID {@value #PID}), validated. Immutable.
 *
 * @param clusterName      Hazelcast cluster name: members with another name never join
 * @param nodeName         this node's name in the cluster, never empty
 * @param members          the Hazelcast members to join, {@code host:port} each (this one may be among them)
 * @param address          the local address the member binds to and announces
 * @param port             the member's port (no auto-increment: a node has one known address)
 * @param backupCount      synchronous backups of each entry (1: one member may die without losing data)
 * @param operationTimeout how long any SPI call waits for the cluster at most
 */
public record ClusterSettings(String clusterName, String nodeName, List<String> members, String address, int port,
                              int backupCount, Duration operationTimeout) {

    public static final String PID = "io.glareresolver.cluster";

    public static final String DEFAULT_CLUSTER_NAME = "glare-resolver";
    public static final String DEFAULT_ADDRESS = "127.0.0.1";
    public static final int DEFAULT_PORT = 5701;
    public static final int DEFAULT_BACKUP_COUNT = 1;
    public static final long DEFAULT_OPERATION_TIMEOUT_MS = 500;

    public ClusterSettings {
        members = List.copyOf(members);
        if (nodeName == null || nodeName.isEmpty()) {
            nodeName = hostPort(address, port);
        }
    }

    /** The defaults: a cluster of this node alone on 127.0.0.1:5701. */
    public static ClusterSettings defaults() {
        return new ClusterSettings(DEFAULT_CLUSTER_NAME, "", List.of(), DEFAULT_ADDRESS, DEFAULT_PORT,
                DEFAULT_BACKUP_COUNT, Duration.ofMillis(DEFAULT_OPERATION_TIMEOUT_MS));
    }

    /** {@code address:port} of this member, as the other members name it in their member lists. */
    public String memberAddress() {
        return hostPort(address, port);
    }

    private static String hostPort(String address, int port) {
        return (address.indexOf(':') >= 0 ? "[" + address + "]" : address) + ":" + port;
    }
}
