package io.glareresolver.glare.impl.stats;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Decision latencies: fixed histogram buckets since start, plus the most recent {@code window}
 * samples for percentiles. Bounded memory whatever the call rate.
 */
public final class LatencyRecorder {

    /** Bucket upper bounds in microseconds; the last bucket is open. */
    static final long[] BOUNDS_MICROS = {100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000,
            250_000, 500_000, 1_000_000, Long.MAX_VALUE};

    private final LongAdder[] buckets = new LongAdder[BOUNDS_MICROS.length];
    private final long[] window;
    private long written; // guarded by this

    public LatencyRecorder(int window) {
        if (window < 1) {
            throw new IllegalArgumentException("window must be at least 1");
        }
        this.window = new long[window];
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = new LongAdder();
        }
    }

    public void record(long micros) {
        long m = Math.max(0, micros);
        for (int i = 0; i < BOUNDS_MICROS.length; i++) {
            if (m <= BOUNDS_MICROS[i]) {
                buckets[i].increment();
                break;
            }
        }
        synchronized (this) {
            window[(int) (written % window.length)] = m;
            written++;
        }
    }

    /**
     * Nearest-rank percentile of the recent window.
     *
     * @param p 0 &lt; p &le; 100
     * @return the latency in microseconds, or 0 when nothing was recorded
     */
    public long percentile(double p) {
        long[] sample;
        synchronized (this) {
            int n = (int) Math.min(written, window.length);
            if (n == 0) {
                return 0;
            }
            sample = Arrays.copyOf(window, n);
        }
        Arrays.sort(sample);
        int rank = (int) Math.ceil(p / 100.0 * sample.length);
        return sample[Math.min(sample.length, Math.max(1, rank)) - 1];
    }

    /** @return counts by bucket upper bound, in ascending order */
    public Map<Long, Long> histogram() {
        Map<Long, Long> h = new LinkedHashMap<>();
        for (int i = 0; i < BOUNDS_MICROS.length; i++) {
            h.put(BOUNDS_MICROS[i], buckets[i].sum());
        }
        return h;
    }
}
