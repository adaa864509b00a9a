package io.glareresolver.integrationtests.bench;

import java.util.Arrays;

/**
 * Durations in nanoseconds, appended from many threads, read as nearest-rank percentiles. Bounded:
 * at most {@code capacity} samples are kept (later ones only counted), so a long run cannot grow it.
 */
public final class Samples {

    private final long[] values;
    private int size;
    private long dropped;

    public Samples(int capacity) {
        this.values = new long[capacity];
    }

    synchronized void add(long nanos) {
        if (size < values.length) {
            values[size++] = nanos;
        } else {
            dropped++;
        }
    }

    public synchronized int count() {
        return size;
    }

    /** @return a sorted copy of the samples (nanoseconds) */
    public synchronized long[] sorted() {
        long[] copy = Arrays.copyOf(values, size);
        Arrays.sort(copy);
        return copy;
    }

    /** Nearest-rank percentile in milliseconds, NaN when empty. */
    public double percentileMillis(double p) {
        return percentileMillis(sorted(), p);
    }

    public static double percentileMillis(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] / 1e6;
    }

    public double maxMillis() {
        long[] s = sorted();
        return s.length == 0 ? Double.NaN : s[s.length - 1] / 1e6;
    }
}
