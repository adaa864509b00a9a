package io.glareresolver.glare.impl.stats;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
