package io.glareresolver.glare.impl.pbx;

import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Outgoing PBX calls not yet answered or ended, keyed by (caller, callee), so that a call from Y
 * to X placed while X to Y is pending is found as a crossing. An entry older than
 * {@code timeout} is dropped (its end was never reported). Thread-safe.
 */
public final class PendingPbxCalls {

    private record Entry(PbxCall call, Instant since) {
    }

    private final Map<String, Entry> byLeg = new LinkedHashMap<>();
    private final Duration timeout;
    private final int maximum;

    public PendingPbxCalls(Duration timeout, int maximum) {
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.maximum = maximum;
    }

    private static String key(String caller, String callee) {
        return caller + '\u0000' + callee;
    }

    /**
     * Registers {@code call}, unless the reverse call is pending: then that one is taken out of the
     * table and returned (a crossing; {@code call} itself is not recorded: it is decided now).
     */
    public synchronized Optional<PbxCall> offer(PbxCall call, Instant now) {
        expire(now);
        Entry reverse = byLeg.remove(key(call.callee(), call.caller()));
        if (reverse != null) {
            return Optional.of(reverse.call());
        }
        if (byLeg.size() < maximum) {
            byLeg.put(key(call.caller(), call.callee()), new Entry(call, now));
        }
        return Optional.empty();
    }

    /** Forgets every call on {@code channel} (answered, failed or hung up). @return true if one was pending */
    public synchronized boolean endChannel(String channel) {
        return byLeg.values().removeIf(e -> e.call().channel().equals(channel));
    }

    /** @return the number of pending calls */
    public synchronized int size() {
        return byLeg.size();
    }

    /** Forgets everything (e.g. the AMI connection was lost: its events for these calls are gone). */
    public synchronized void clear() {
        byLeg.clear();
    }

    private void expire(Instant now) {
        Instant limit = now.minus(timeout);
        for (Iterator<Entry> i = byLeg.values().iterator(); i.hasNext(); ) {
            if (i.next().since().isBefore(limit)) {
                i.remove();
            }
        }
    }
}
