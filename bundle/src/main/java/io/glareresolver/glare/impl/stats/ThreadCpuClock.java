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

    private static boolean supported() {
        try {
            if (!THREADS.isCurrentThreadCpuTimeSupported()) {
                return false;
            }
            if (!THREADS.isThreadCpuTimeEnabled()) {
                THREADS.setThreadCpuTimeEnabled(true);
            }
            return THREADS.getCurrentThreadCpuTime() >= 0;
        } catch (UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }
}
