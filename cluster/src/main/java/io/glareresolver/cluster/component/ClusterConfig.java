package io.glareresolver.cluster.component;

import io.glareresolver.cluster.internal.ClusterSettings;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Metatype description of PID {@value ClusterSettings#PID}. Method names map to property keys
 * ({@code cluster_name} is {@code cluster.name}, {@code $_$} is {@code -}); the component reads the
 * raw map with {@link io.glareresolver.cluster.internal.ClusterSettingsReader}, which logs a bad
 * value and uses its default.
 */
@ObjectClassDefinition(id = ClusterSettings.PID, name = "Glare Resolver cluster",
        description = "Several SIP server nodes sharing their registrations and, for each pair of parties with an "
                + "INVITE in progress, the node that handles it (crossing INVITEs meet on one node). Without this "
                + "configuration the server is one node with everything in memory. A change restarts the "
                + "node's cluster member.")
public @interface ClusterConfig {

    @AttributeDefinition(name = "Cluster name", description = "members with another name never join this "
            + "cluster; the same on every node")
    String cluster_name() default ClusterSettings.DEFAULT_CLUSTER_NAME;

    @AttributeDefinition(name = "Node name", required = false, description = "this node's name, unique in the "
            + "cluster (logs, shell, relay decisions); empty: address:port of its cluster member")
    String node_name() default "";

    @AttributeDefinition(name = "Members", required = false, description = "comma-separated host:port of the "
            + "cluster members to join (the same list on every node, this one may be in it), e.g. "
            + "127.0.0.1:5701,127.0.0.2:5701; no multicast or auto-discovery. Empty: this node alone")
    String members() default "";

    @AttributeDefinition(name = "Member address", description = "local IP address the cluster member binds to "
            + "and announces (no wildcard, no host name)")
    String address() default ClusterSettings.DEFAULT_ADDRESS;

    @AttributeDefinition(name = "Member port", description = "TCP port of the cluster member (no auto-increment: "
            + "the other nodes list it)", min = "1", max = "65535")
    int port() default ClusterSettings.DEFAULT_PORT;

    @AttributeDefinition(name = "Backup count", description = "synchronous copies of each registration and claim "
            + "on other members: with 1, one node may die (kill -9) without losing data", min = "0", max = "6")
    int backup$_$count() default ClusterSettings.DEFAULT_BACKUP_COUNT;

    @AttributeDefinition(name = "Operation timeout (ms)", description = "the longest a SIP request waits for the "
            + "cluster; past it the request is handled as on one node (its own bindings, no relay)",
            min = "1", max = "60000")
    int operation$_$timeout() default (int) ClusterSettings.DEFAULT_OPERATION_TIMEOUT_MS;
}
