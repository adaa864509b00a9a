package io.glareresolver.glare.api;

import java.util.List;
import java.util.Optional;

/** The glare plugin's state, read-only (OSGi service). Settings change through Config Admin. */
public interface GlareStatus {

    /** Config Admin PID of the plugin's settings. */
    String PID = "io.glareresolver.glare";

    /** @return true when the plugin resolves crossings; false when it is out of the path */
    boolean enabled();

    /** @return the {@code tiebreak.source} policy in force: {@code endpoint} or {@code registrar} */
    String tiebreakSource();

    /** @return the counters now */
    CrossingCounters counters();

    /** @return up to {@code max} most recent ended crossings, newest first */
    List<CrossingRecord> recentCrossings(int max);

    /** @return how many initial INVITEs the pending-INVITE table holds now */
    int pendingInvites();

    /**
     * @return the last configuration the plugin refused (which setting, why, when); the previous
     *         settings stayed in force. Empty when none was refused since the plugin started.
     * @since 1.1.0
     */
    default Optional<String> lastRefusedSetting() {
        return Optional.empty();
    }

    /**
     * @return the plugin's own decision time per crossing (inside the server, without the network)
     * @since 1.2
     */
    default DecisionTime decisionTime() {
        return DecisionTime.NONE;
    }
}
