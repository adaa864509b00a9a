package io.glareresolver.sip.impl.proxy;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * INVITEs answered 2xx, kept until their end-to-end ACK passes through the proxy, so that the
 * interceptors that took part hear of it once. Bounded in time and size: RFC 3261 §13.3.1.4, the
 * UAS retransmits its 2xx "for 64*T1 seconds" (32 s), after which no ACK is expected; and at most
 * {@link #MAXIMUM} entries, the oldest dropped first, so a flood of calls whose callers never ACK
 * cannot grow it. Keyed like a dialog's first transaction: Call-ID, From tag and CSeq number
 * (an ACK "MUST contain ... the same Call-ID, From, ... and the CSeq number" of the INVITE, §17.1.1.3,
 * and §13.2.2.4 for 2xx).
 */
final class AnsweredInvites<T> {

    /** 64*T1 with T1 = 500 ms. */
    static final long RETENTION_NANOS = TimeUnit.SECONDS.toNanos(32);
    static final int MAXIMUM = 20_000;

    private record Entry<T>(T invite, long sinceNanos) {
    }

    // insertion order is arrival order, so expired entries sit at the head
    private final LinkedHashMap<String, Entry<T>> entries = new LinkedHashMap<>();

    static String key(String callId, String fromTag, long cseq) {
        return callId + '|' + fromTag + '|' + cseq;
    }

    synchronized void put(String key, T invite, long nowNanos) {
        expire(nowNanos);
        entries.put(key, new Entry<>(invite, nowNanos));
        if (entries.size() > MAXIMUM) {
            Iterator<Map.Entry<String, Entry<T>>> it = entries.entrySet().iterator();
            it.next();
            it.remove();
        }
    }

    /** @return the INVITE this ACK acknowledges, once; null for a retransmitted, late or unknown ACK */
    synchronized T take(String key, long nowNanos) {
        expire(nowNanos);
        Entry<T> e = entries.remove(key);
        return e == null ? null : e.invite();
    }

    synchronized int size() {
        return entries.size();
    }

    private void expire(long nowNanos) {
        Iterator<Entry<T>> it = entries.values().iterator();
        while (it.hasNext()) {
            if (nowNanos - it.next().sinceNanos() < RETENTION_NANOS) {
                return;
            }
            it.remove();
        }
    }
}
