package io.glareresolver.glare.pbx;

import java.util.List;

/**
 * The PBX side of the glare plugin as the console shows it: counters and recent crossings seen by
 * the FastAGI script {@code glare} and by the AMI watcher. Always registered (also when neither is
 * configured: then all counters stay 0).
 */
public interface PbxStatus {

    /** Configuration PID of the FastAGI server (off unless a configuration exists). */
    String AGI_PID = "io.glareresolver.glare.pbx.agi";

    /** Configuration PID of the AMI watcher (off unless a configuration exists). */
    String AMI_PID = "io.glareresolver.glare.pbx.ami";

    /** @return a snapshot of the counters */
    PbxCounters counters();

    /** @return the most recent crossings, newest first */
    List<PbxCrossing> recentCrossings();
}
