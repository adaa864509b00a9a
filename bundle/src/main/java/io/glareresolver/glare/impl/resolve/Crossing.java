package io.glareresolver.glare.impl.resolve;

import io.glareresolver.glare.api.CrossingOutcome;
import io.glareresolver.glare.api.CrossingRecord;
import io.glareresolver.glare.impl.crossing.CrossingPlan;
import io.glareresolver.glare.impl.crossing.TiebreakSource;
import io.glareresolver.protocol.TiebreakValue;

import io.glareresolver.glare.api.CrossingMessage;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One detected crossing and what has happened to its two INVITEs so far. Mutations are
 * synchronised on this object; the SIP actions they lead to are taken by the caller outside it.
 */
final class Crossing {

    final CrossingPlan plan;
    final TiebreakSource source;
    final TrackedInvite first;
    final TrackedInvite second;
    final Instant detectedAt;
    final long secondReceivedNanos;

    // guarded by this
    private int finalAnswers;
    long latencyMicros = -1;
    /** The lower side's INVITE waits (held, or its 486 held) until the higher side's INVITE has ended. */
    boolean lowerWaitsForHigher;
    boolean lowerReleased;
    boolean recorded;
    /** The record kept in the statistics, once the crossing ended; replaced when a late ACK completes it. */
    CrossingRecord lastRecord;

    Crossing(CrossingPlan plan, TiebreakSource source, TrackedInvite first, TrackedInvite second, Instant detectedAt) {
        this.plan = plan;
        this.source = source;
        this.first = first;
        this.second = second;
        this.detectedAt = detectedAt;
        this.secondReceivedNanos = second.invite.receivedNanos();
    }

    boolean resolved() {
        return plan.resolved();
    }

    /** @return H's INVITE (the one that ends NG); only for a resolved crossing */
    TrackedInvite higher() {
        return plan.secondIsHigher() ? second : first;
    }

    /** @return L's INVITE (the one that becomes the session); only for a resolved crossing */
    TrackedInvite lower() {
        return plan.secondIsHigher() ? first : second;
    }

    boolean isHigher(TrackedInvite t) {
        return resolved() && t == higher();
    }

    /**
     * One of the two INVITEs got its final answer now.
     *
     * @return the decision latency in microseconds when this was the second of the two, else -1
     */
    synchronized long finalAnswer(long nowNanos) {
        finalAnswers++;
        if (finalAnswers == 2 && latencyMicros < 0) {
            latencyMicros = Math.max(0, (nowNanos - secondReceivedNanos) / 1000);
            return latencyMicros;
        }
        return -1;
    }

    synchronized boolean bothEnded() {
        return first.ended && second.ended;
    }

    /** DESIGN §4 step 5: exactly one session, on L's INVITE. */
    synchronized CrossingOutcome outcome(boolean aborted) {
        if (aborted) {
            return CrossingOutcome.ABORTED;
        }
        if (!resolved()) {
            return CrossingOutcome.UNRESOLVED;
        }
        TrackedInvite h = higher();
        TrackedInvite l = lower();
        if (l.answered && h.answered) {
            return CrossingOutcome.BOTH_OK;
        }
        if (l.answered) {
            return CrossingOutcome.SESSION_ESTABLISHED;
        }
        if (h.answered) {
            return CrossingOutcome.WRONG_SIDE;
        }
        if (l.finalStatus == 0 || h.finalStatus == 0 || l.finalStatus == 408 || h.finalStatus == 408) {
            return CrossingOutcome.TIMEOUT;
        }
        return CrossingOutcome.BOTH_NG;
    }

    /** Builds the crossing's record as it stands and remembers it as the one kept. Caller holds the lock. */
    CrossingRecord recordNow(CrossingOutcome outcome) {
        lastRecord = record(outcome);
        return lastRecord;
    }

    synchronized CrossingRecord record(CrossingOutcome outcome) {
        TrackedInvite l = resolved() ? lower() : first;
        TrackedInvite h = resolved() ? higher() : second;
        return new CrossingRecord(detectedAt, l.party.aor(), h.party.aor(), value(l), value(h),
                l.party.callId(), h.party.callId(), h == second,
                h.party.mediaPort().orElse(-1), l.answerPort.orElse(-1), l.party.mediaPort().orElse(-1),
                plan.secondAction() + " / " + plan.firstAction() + (plan.basis() == io.glareresolver.glare.impl.crossing.OrderBasis.VALUES ? "" : " (" + plan.basis() + ")"), outcome, latencyMicros,
                messages(l, h));
    }

    /** Both INVITEs' messages on one time line: the ladder (L's INVITE goes L to H, H's goes H to L). */
    private static List<CrossingMessage> messages(TrackedInvite l, TrackedInvite h) {
        long origin = Math.min(l.invite.receivedNanos(), h.invite.receivedNanos());
        List<CrossingMessage> all = new ArrayList<>(l.trail.arrows(l.party.callId(), CrossingMessage.LOWER,
                CrossingMessage.HIGHER, origin));
        all.addAll(h.trail.arrows(h.party.callId(), CrossingMessage.HIGHER, CrossingMessage.LOWER, origin));
        all.sort(Comparator.comparingLong(CrossingMessage::offsetMicros));
        return all;
    }

    private long value(TrackedInvite t) {
        return t.party.effectiveTiebreak(source).map(TiebreakValue::value).orElse(-1L);
    }
}
