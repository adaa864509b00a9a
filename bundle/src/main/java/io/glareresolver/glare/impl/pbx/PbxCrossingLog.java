package io.glareresolver.glare.impl.pbx;

import io.glareresolver.glare.pbx.PbxCounters;
import io.glareresolver.glare.pbx.PbxCrossing;
import io.glareresolver.glare.pbx.PbxStatus;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/** Counters and the recent-crossings list of the PBX side. Thread-safe; plain Java. */
public class PbxCrossingLog implements PbxStatus {

    /** Length of the recent-crossings list. */
    public static final int RECENT_SIZE = 200;

    final AtomicLong agiRequests = new AtomicLong();
    final AtomicLong agiCrossings = new AtomicLong();
    final AtomicLong agiFailures = new AtomicLong();
    final AtomicLong amiCrossings = new AtomicLong();
    final AtomicLong amiResolved = new AtomicLong();
    final AtomicLong amiUnresolved = new AtomicLong();
    final AtomicLong amiActionFailures = new AtomicLong();
    final AtomicBoolean amiConnected = new AtomicBoolean();
    final AtomicLong amiConnects = new AtomicLong();
    private final Deque<PbxCrossing> recent = new ArrayDeque<>();

    public void agiRequest() {
        agiRequests.incrementAndGet();
    }

    public void agiFailure() {
        agiFailures.incrementAndGet();
    }

    public void agiCrossing(PbxCrossing crossing) {
        agiCrossings.incrementAndGet();
        remember(crossing);
    }

    public void amiCrossing(PbxCrossing crossing, boolean resolvable) {
        amiCrossings.incrementAndGet();
        if (!resolvable) {
            amiUnresolved.incrementAndGet();
        }
        remember(crossing);
    }

    public void amiActionDone(boolean accepted) {
        (accepted ? amiResolved : amiActionFailures).incrementAndGet();
    }

    public void amiConnected(boolean connected) {
        if (connected && !amiConnected.getAndSet(true)) {
            amiConnects.incrementAndGet();
        } else if (!connected) {
            amiConnected.set(false);
        }
    }

    private synchronized void remember(PbxCrossing crossing) {
        recent.addFirst(crossing);
        while (recent.size() > RECENT_SIZE) {
            recent.removeLast();
        }
    }

    @Override
    public PbxCounters counters() {
        return new PbxCounters(agiRequests.get(), agiCrossings.get(), agiFailures.get(), amiCrossings.get(),
                amiResolved.get(), amiUnresolved.get(), amiActionFailures.get(), amiConnected.get(), amiConnects.get());
    }

    @Override
    public synchronized List<PbxCrossing> recentCrossings() {
        return List.copyOf(recent);
    }
}
