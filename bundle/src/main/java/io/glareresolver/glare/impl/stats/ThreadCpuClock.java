package io.glareresolver.glare.impl.stats;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * The current thread's CPU clock, for telling the time a decision ran on a core from the time its
 * thread waited for one (a saturated two-core server preempts threads for milliseconds).
 */
public final class ThreadCpuClock {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final boolean SUPPORTED = supported();

    private ThreadCpuClock() {
    }

    /** @return the CPU time of the current thread in nanoseconds, or -1 where the JVM does not measure it */
    public static long now() {
        return SUPPORTED ? THREADS.getCurrentThreadCpuTime() : -1;
    }

    /** Whether the JVM measures thread CPU time (on by default on HotSpot; a plugin does not switch it on for the whole JVM). */
    private static boolean supported() {
        return THREADS.isCurrentThreadCpuTimeSupported() && THREADS.isThreadCpuTimeEnabled();
    }
}
