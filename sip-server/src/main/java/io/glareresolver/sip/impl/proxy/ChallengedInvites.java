package io.glareresolver.sip.impl.proxy;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * When the proxy first saw each call it challenged (407), by Call-ID, so that the INVITE re-sent
 * with credentials can tell when its caller really dialled. RFC 3261 §22.2: the UAC "SHOULD
 * resubmit the request with the appropriate credentials"; §8.1.3.5: the re-sent request keeps
 * the Call-ID. A glare plugin needs that moment: a phone that dialled before it answered the
 * peer's INVITE crossed it, one that dialled after is making a new call.
 *
 * <p>Bounded: entries live for 64*T1 (the re-sent INVITE comes one round trip later or never)
 * and at most {@link #MAXIMUM} are kept; a flood of unanswered challenges costs a bounded table.
 */
final class ChallengedInvites {

    static final int MAXIMUM = 10_000;
    private static final long LIFETIME_NANOS = TimeUnit.SECONDS.toNanos(32);

    private final Map<String, Long> firstSeen = new ConcurrentHashMap<>();

    /** The INVITE of {@code callId}, received at {@code nanos}, was answered 407. */
    void challenged(String callId, long nanos) {
        if (firstSeen.size() >= MAXIMUM) {
            firstSeen.values().removeIf(t -> nanos - t > LIFETIME_NANOS);
            if (firstSeen.size() >= MAXIMUM) {
                return; // full of live entries: this call's dial time is then its authenticated INVITE's
            }
        }
        firstSeen.putIfAbsent(callId, nanos);
    }

    /**
     * The authenticated INVITE of {@code callId} arrived at {@code receivedNanos}: when its caller
     * first sent it, as far as the proxy saw (the earliest challenged attempt still remembered).
     */
    long dialled(String callId, long receivedNanos) {
        Long first = firstSeen.remove(callId);
        return first != null && receivedNanos - first <= LIFETIME_NANOS && first <= receivedNanos ? first : receivedNanos;
    }

    int size() {
        return firstSeen.size();
    }
}
