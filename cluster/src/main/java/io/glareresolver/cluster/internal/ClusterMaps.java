package io.glareresolver.cluster.internal;

/**
 * The names of the shared data structures, one place for the member configuration and the
 * cluster. All keys and values are strings ({@link FieldText}).
 */
public final class ClusterMaps {

    /** Replicated map: node name → the SIP URI it announced ({@code ""} until it announces). */
    public static final String NODES = "glare.nodes";

    /** Map: {@code aor + "\n" + node} → {@link RegistrationText} of that node's bindings of the AOR. */
    public static final String BINDINGS = "glare.bindings";

    /** Map: {@link PairClaim#key} → {@link PairClaim#encode}. */
    public static final String PAIRS = "glare.pairs";

    private ClusterMaps() {
    }
}
