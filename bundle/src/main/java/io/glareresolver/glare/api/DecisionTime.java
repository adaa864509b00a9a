package io.glareresolver.glare.api;

/**
 * The plugin's own time to decide a crossing, measured inside the server: from the second INVITE
 * of a pair entering the plugin to the plugin returning what the proxy does with it (detection,
 * tie-break, the header edits). Excludes the SIP stack and the network, unlike
 * {@link CrossingCounters#latencyP50Micros()}, which runs until both sides hold a final answer.
 *
 * @param decisions crossings decided since the plugin started
 * @param p50Nanos  median over the most recent {@value #WINDOW} decisions, in nanoseconds (0 when none)
 * @param p99Nanos  99th percentile over the most recent {@value #WINDOW} decisions, in nanoseconds
 * @param maxNanos  the longest decision since the plugin started, in nanoseconds
 * @param cpuP50Nanos median of the CPU time the deciding thread itself spent on the same decisions
 *                  (the thread's CPU clock; 0 where the JVM has none): unlike the wall-clock figures it
 *                  leaves out the time the thread waited for a core, which on a saturated machine is
 *                  most of the wall-clock tail (taken for the decisions whose first INVITE was already
 *                  pending when the second entered the plugin, i.e. nearly all: the clock costs a system
 *                  call, so an INVITE that cannot cross does not read it)
 * @param cpuP99Nanos 99th percentile of that CPU time
 * @since 1.2 (the CPU-time figures since 1.4)
 */
public record DecisionTime(long decisions, long p50Nanos, long p99Nanos, long maxNanos, long cpuP50Nanos,
                           long cpuP99Nanos) {

    /** Wall-clock figures only (no thread CPU clock). */
    public DecisionTime(long decisions, long p50Nanos, long p99Nanos, long maxNanos) {
        this(decisions, p50Nanos, p99Nanos, maxNanos, 0, 0);
    }

    /**
     * How many of the most recent decisions the percentiles are taken over: recent enough that the
     * figures show the server as it runs now, not its first decisions after a start or hot deploy
     * (interpreted code, cold caches), which {@link #maxNanos()} keeps.
     */
    public static final int WINDOW = 1_000;

    /** No decision measured yet. */
    public static final DecisionTime NONE = new DecisionTime(0, 0, 0, 0);
}
