package io.glareresolver.glare.impl.stats;

import io.glareresolver.glare.api.CrossingCounters;
import io.glareresolver.glare.api.CrossingOutcome;
import io.glareresolver.glare.api.CrossingRecord;
import io.glareresolver.glare.api.DecisionTime;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** The plugin's counters and the bounded list of recent crossings. Thread-safe. */
public final class CrossingStatistics {

    private final LongAdder crossingsSeen = new LongAdder();
    private final LongAdder resolved = new LongAdder();
    private final Map<CrossingOutcome, LongAdder> outcomes = new EnumMap<>(CrossingOutcome.class);
    private final LongAdder portsKept = new LongAdder();
    private final LongAdder portsChanged = new LongAdder();
    private final LongAdder malformedRefused = new LongAdder();
    private final LongAdder untracked = new LongAdder();
    private final AtomicLong inProgress = new AtomicLong();
    private final LatencyRecorder latency = new LatencyRecorder(10_000);
    /** Decision time bucket bounds in nanoseconds; the last bucket is open. */
    static final long[] DECISION_BOUNDS_NANOS = {1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000,
            500_000, 1_000_000, 10_000_000, Long.MAX_VALUE};
    private final LatencyRecorder decisionTime = new LatencyRecorder(DecisionTime.WINDOW, DECISION_BOUNDS_NANOS);
    private final LatencyRecorder decisionCpuTime = new LatencyRecorder(DecisionTime.WINDOW, DECISION_BOUNDS_NANOS);
    private final Deque<CrossingRecord> recent = new ArrayDeque<>();
    private volatile int recentMaximum;

    public CrossingStatistics(int recentMaximum) {
        for (CrossingOutcome o : CrossingOutcome.values()) {
            outcomes.put(o, new LongAdder());
        }
        this.recentMaximum = recentMaximum;
    }

    public void crossingDetected(boolean decided) {
        crossingsSeen.increment();
        if (decided) {
            resolved.increment();
        }
        inProgress.incrementAndGet();
    }

    public void decisionLatency(long micros) {
        latency.record(micros);
    }

    /**
     * The plugin took {@code wallNanos} to decide one crossing, of which the deciding thread ran on a
     * core for {@code cpuNanos} (negative: no thread CPU clock, only the wall-clock time is kept).
     */
    public void decisionTime(long wallNanos, long cpuNanos) {
        decisionTime.record(wallNanos);
        if (cpuNanos >= 0) {
            decisionCpuTime.record(cpuNanos);
        }
    }

    public DecisionTime decisionTime() {
        if (decisionTime.count() == 0) {
            return DecisionTime.NONE;
        }
        // a recorder with nothing in it reports 0, as DecisionTime documents for "no thread CPU clock"
        return new DecisionTime(decisionTime.count(), decisionTime.percentile(50), decisionTime.percentile(99),
                decisionTime.max(), decisionCpuTime.percentile(50), decisionCpuTime.percentile(99));
    }

    /**
     * A crossing's record was completed after it ended (the end-to-end ACK of the 2xx came later):
     * the recent list shows the completed one in its place.
     */
    public void recordAmended(CrossingRecord before, CrossingRecord after) {
        synchronized (recent) {
            List<CrossingRecord> copy = new ArrayList<>(recent);
            for (int i = 0; i < copy.size(); i++) {
                if (copy.get(i) == before) {
                    copy.set(i, after);
                    recent.clear();
                    recent.addAll(copy);
                    return;
                }
            }
        }
    }

    public void portChecked(boolean kept) {
        (kept ? portsKept : portsChanged).increment();
    }

    public void malformedRefused() {
        malformedRefused.increment();
    }

    public void untracked() {
        untracked.increment();
    }

    /** A crossing ended: count its outcome and keep its record. */
    public void crossingEnded(CrossingRecord record) {
        outcomes.get(record.outcome()).increment();
        inProgress.decrementAndGet();
        synchronized (recent) {
            recent.addFirst(record);
            while (recent.size() > recentMaximum) {
                recent.removeLast();
            }
        }
    }

    public void recentMaximum(int maximum) {
        this.recentMaximum = Math.max(1, maximum);
    }

    public List<CrossingRecord> recent(int max) {
        List<CrossingRecord> out = new ArrayList<>();
        synchronized (recent) {
            Iterator<CrossingRecord> it = recent.iterator();
            while (it.hasNext() && out.size() < max) {
                out.add(it.next());
            }
        }
        return out;
    }

    public CrossingCounters snapshot() {
        Map<CrossingOutcome, Long> abnormal = new EnumMap<>(CrossingOutcome.class);
        for (CrossingOutcome o : CrossingOutcome.values()) {
            if (o.abnormal()) {
                abnormal.put(o, outcomes.get(o).sum());
            }
        }
        return new CrossingCounters(crossingsSeen.sum(), resolved.sum(),
                outcomes.get(CrossingOutcome.SESSION_ESTABLISHED).sum(), abnormal, portsKept.sum(),
                portsChanged.sum(), malformedRefused.sum(), untracked.sum(), inProgress.get(),
                latency.percentile(50), latency.percentile(99), latency.histogram());
    }
}
