package io.glareresolver.glare.impl.stats;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LatencyRecorderTest {

    @Test
    void percentilesAreNearestRankOverTheRecentWindow() {
        LatencyRecorder r = new LatencyRecorder(100);
        assertEquals(0, r.percentile(50), "nothing recorded");
        for (int i = 1; i <= 100; i++) {
            r.record(i * 10L);
        }
        assertEquals(500, r.percentile(50));
        assertEquals(990, r.percentile(99));
        assertEquals(1000, r.percentile(100));
        // the window keeps the last 100: ten more large samples push out the ten smallest
        for (int i = 0; i < 10; i++) {
            r.record(1_000_000);
        }
        assertEquals(600, r.percentile(50));
    }

    @Test
    void theHistogramCountsEverySampleOnce() {
        LatencyRecorder r = new LatencyRecorder(4);
        r.record(50);
        r.record(100);
        r.record(101);
        r.record(5_000_000);
        Map<Long, Long> h = r.histogram();
        assertEquals(2, h.get(100L));
        assertEquals(1, h.get(250L));
        assertEquals(1, h.get(Long.MAX_VALUE));
        assertEquals(4, h.values().stream().mapToLong(Long::longValue).sum());
    }

    @Test
    void decisionTimesInNanosecondsKeepTheirOwnBucketsCountAndMaximum() {
        LatencyRecorder r = new LatencyRecorder(3, CrossingStatistics.DECISION_BOUNDS_NANOS);
        assertEquals(0, r.count());
        assertEquals(0, r.max());
        r.record(800);
        r.record(90_000_000);
        r.record(2_000);
        r.record(3_000);
        r.record(4_000);
        assertEquals(5, r.count());
        assertEquals(90_000_000, r.max(), "the maximum is since start, not over the window");
        assertEquals(4_000, r.percentile(100), "percentiles are over the window of 3");
        Map<Long, Long> h = r.histogram();
        assertEquals(1, h.get(1_000L));
        assertEquals(1, h.get(2_500L));
        assertEquals(2, h.get(5_000L));
        assertEquals(1, h.get(Long.MAX_VALUE));
    }

    @Test
    void statisticsReportNoDecisionUntilOneWasMade() {
        CrossingStatistics s = new CrossingStatistics(10);
        assertEquals(io.glareresolver.glare.api.DecisionTime.NONE, s.decisionTime());
        s.decisionTime(12_345, -1);
        assertEquals(new io.glareresolver.glare.api.DecisionTime(1, 12_345, 12_345, 12_345), s.decisionTime());
    }

    @Test
    void cpuTimeOfADecisionIsKeptBesideItsWallClockTime() {
        CrossingStatistics s = new CrossingStatistics(10);
        s.decisionTime(4_000_000, 3_000);   // preempted for ~4 ms, ran 3 us
        s.decisionTime(9_000, 8_000);
        s.decisionTime(7_000, -1);          // no thread CPU clock: only the wall-clock time counts
        io.glareresolver.glare.api.DecisionTime d = s.decisionTime();
        assertEquals(3, d.decisions());
        assertEquals(4_000_000, d.maxNanos());
        assertEquals(4_000_000, d.p99Nanos());
        assertEquals(8_000, d.cpuP99Nanos(), "the CPU percentiles are over the CPU times only");
        assertEquals(3_000, d.cpuP50Nanos());
    }

    @Test
    void threadCpuClockCountsWorkNotWaiting() {
        long before = ThreadCpuClock.now();
        org.junit.jupiter.api.Assumptions.assumeTrue(before >= 0, "this JVM has no thread CPU clock");
        java.util.concurrent.locks.LockSupport.parkNanos(200_000_000L);
        long afterWait = ThreadCpuClock.now();
        long x = 0;
        long end = System.nanoTime() + 50_000_000L;
        while (System.nanoTime() < end) {
            x += Long.numberOfTrailingZeros(x + System.nanoTime());
        }
        long afterWork = ThreadCpuClock.now();
        assertTrue(afterWait - before < 100_000_000L, "200 ms parked counted as " + (afterWait - before) + " ns of CPU");
        assertTrue(afterWork - afterWait > 10_000_000L, "50 ms of work counted as " + (afterWork - afterWait) + " ns (" + x + ")");
    }
}
