package io.glareresolver.glare.impl.resolve;

import io.glareresolver.glare.api.CrossingMessage;
import io.glareresolver.glare.api.CrossingOutcome;
import io.glareresolver.glare.api.CrossingRecord;
import io.glareresolver.glare.impl.crossing.CrossingPlan;
import io.glareresolver.glare.impl.crossing.OrderBasis;
import io.glareresolver.glare.impl.crossing.ServerCrossing;
import io.glareresolver.glare.impl.crossing.TiebreakSource;
import io.glareresolver.protocol.TiebreakValue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One detected crossing: its two INVITEs and the state machine that carries it out. Guarded by
 * the monitor of {@link #first} (see {@link TrackedInvite#lock()}); the SIP actions the machine
 * asks for are taken by the resolver outside it.
 */
final class Crossing {

    final CrossingPlan plan;
    final TiebreakSource source;
    final TrackedInvite first;
    final TrackedInvite second;
    final Instant detectedAt;
    final long secondReceivedNanos;
    /** Set once, right after construction, under the lock. */
    ServerCrossing machine;

    // guarded by first's monitor
    long latencyMicros = -1;
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

    TrackedInvite of(ServerCrossing.Invite which) {
        return which == ServerCrossing.Invite.FIRST ? first : second;
    }

    /** @return the INVITE that becomes (or became) the session: the machine's choice, else the plan's L */
    TrackedInvite session() {
        return machine.session().map(this::of).orElseGet(() -> plan.resolved() ? lower() : second);
    }

    /** @return H's INVITE by the plan; the second one for a crossing that could not be ordered */
    TrackedInvite higher() {
        return !plan.resolved() || plan.secondIsHigher() ? second : first;
    }

    /** @return L's INVITE by the plan; the first one for a crossing that could not be ordered */
    TrackedInvite lower() {
        return higher() == first ? second : first;
    }

    /** Both INVITEs have a final answer now: the decision latency in microseconds, once; else -1. */
    long finalAnswered(long nowNanos) {
        if (latencyMicros < 0 && machine.finalStatus(ServerCrossing.Invite.FIRST) != 0
                && machine.finalStatus(ServerCrossing.Invite.SECOND) != 0) {
            latencyMicros = Math.max(0, (nowNanos - secondReceivedNanos) / 1000);
            return latencyMicros;
        }
        return -1;
    }

    CrossingOutcome outcome() {
        return machine.outcome(first.aborted || second.aborted);
    }

    /** Builds the crossing's record as it stands and remembers it as the one kept. Caller holds the lock. */
    CrossingRecord recordNow(CrossingOutcome outcome) {
        TrackedInvite l = lower();
        TrackedInvite h = higher();
        String plannedAs = plan.secondAction() + " / " + plan.firstAction()
                + (plan.basis() == OrderBasis.VALUES ? "" : " (" + plan.basis() + ")")
                + machine.session().map(s -> session() == l ? "" : ", session on " + s.name().toLowerCase() + " INVITE").orElse("");
        TrackedInvite s = session();
        lastRecord = new CrossingRecord(detectedAt, l.party.aor(), h.party.aor(), value(l), value(h),
                l.party.callId(), h.party.callId(), h == second,
                h.party.mediaPort().orElse(-1), s.answerPort.orElse(-1), l.party.mediaPort().orElse(-1),
                plannedAs, outcome, latencyMicros, messages(l, h));
        return lastRecord;
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
