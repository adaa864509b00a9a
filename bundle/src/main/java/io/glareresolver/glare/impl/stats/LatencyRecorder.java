package io.glareresolver.glare.impl.stats;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Durations: fixed histogram buckets since start, the longest since start, plus the most recent
 * {@code window} samples for percentiles. Bounded memory whatever the call rate. The unit is the
 * caller's (the crossing latency in microseconds, the plugin's decision time in nanoseconds).
 */
public final class LatencyRecorder {

    /** Bucket upper bounds in microseconds for crossing latencies; the last bucket is open. */
    static final long[] BOUNDS_MICROS = {100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000,
            250_000, 500_000, 1_000_000, Long.MAX_VALUE};

    private final long[] bounds;
    private final LongAdder[] buckets;
    private final long[] window;
    private long written; // guarded by this
    private long max; // guarded by this

    /** A recorder of crossing latencies in microseconds ({@link #BOUNDS_MICROS}). */
    public LatencyRecorder(int window) {
        this(window, BOUNDS_MICROS);
    }

    /**
     * @param window how many recent samples the percentiles are taken over
     * @param bounds ascending bucket upper bounds, the last one {@link Long#MAX_VALUE}
     */
    public LatencyRecorder(int window, long[] bounds) {
        if (window < 1) {
            throw new IllegalArgumentException("window must be at least 1");
        }
        if (bounds.length == 0 || bounds[bounds.length - 1] != Long.MAX_VALUE) {
            throw new IllegalArgumentException("the last bucket must be open (Long.MAX_VALUE)");
        }
        this.bounds = bounds.clone();
        this.buckets = new LongAdder[bounds.length];
        this.window = new long[window];
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = new LongAdder();
        }
    }

    public void record(long duration) {
        long m = Math.max(0, duration);
        for (int i = 0; i < bounds.length; i++) {
            if (m <= bounds[i]) {
                buckets[i].increment();
                break;
            }
        }
        synchronized (this) {
            window[(int) (written % window.length)] = m;
            written++;
            max = Math.max(max, m);
        }
    }

    /** @return samples recorded since start */
    public synchronized long count() {
        return written;
    }

    /** @return the longest sample since start, 0 when none */
    public synchronized long max() {
        return max;
    }

    /**
     * Nearest-rank percentile of the recent window.
     *
     * @param p 0 &lt; p &le; 100
     * @return the duration in the recorder's unit, or 0 when nothing was recorded
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
        for (int i = 0; i < bounds.length; i++) {
            h.put(bounds[i], buckets[i].sum());
        }
        return h;
    }
}
