package io.glareresolver.cluster.component;

import io.glareresolver.sip.api.ClusterStatus;
import io.glareresolver.sip.api.ServerCluster;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Gogo command {@code cluster:status}: the cluster as this node sees it (members and their SIP
 * URIs, shared bindings, claimed pairs, relays, takeovers, unavailable operations). Read-only;
 * present only while the cluster is configured.
 */
@Component(service = ClusterStatusCommand.class, property = {
        "osgi.command.scope=cluster",
        "osgi.command.function=status"})
public final class ClusterStatusCommand {

    @Reference
    private ServerCluster cluster;

    public String status() {
        return describe(cluster.status());
    }

    static String describe(ClusterStatus s) {
        StringBuilder out = new StringBuilder();
        out.append(String.format("cluster %s, this node %s%n", s.clusterName(), s.thisNode()));
        out.append(String.format("%d live member(s):%n", s.members().size()));
        for (String m : s.members()) {
            out.append("  ").append(m).append(System.lineSeparator());
        }
        out.append(String.format("shared bindings  %s%n", count(s.sharedBindings())));
        out.append(String.format("claimed pairs    %s%n", count(s.claimedPairs())));
        out.append(String.format("relayed INVITEs  %d%n", s.relayedInvites()));
        out.append(String.format("pairs taken over %d%n", s.takenOver()));
        out.append(String.format("unavailable      %d (requests handled as on one node)", s.unavailable()));
        return out.toString();
    }

    private static String count(long n) {
        return n < 0 ? "? (no answer in time)" : Long.toString(n);
    }
}
