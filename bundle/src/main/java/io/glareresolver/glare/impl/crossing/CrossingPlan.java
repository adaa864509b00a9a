package io.glareresolver.glare.impl.crossing;

import io.glareresolver.protocol.Comparison;

import java.util.Objects;

/**
 * The server's one decision for a crossing (DESIGN §4): who is higher, and what to do with each
 * of the two INVITEs. Immutable; made by {@link CrossingResolver#plan}.
 *
 * @param first        the INVITE forwarded first
 * @param second       the INVITE whose arrival made the crossing
 * @param comparison   the tie-break of {@code first}'s caller against {@code second}'s
 * @param firstAction  what to do about the first INVITE
 * @param secondAction what to do with the second INVITE
 */
public record CrossingPlan(CrossingParty first, CrossingParty second, Comparison comparison,
                           FirstInviteAction firstAction, SecondInviteAction secondAction) {

    public CrossingPlan {
        Objects.requireNonNull(first, "first");
        Objects.requireNonNull(second, "second");
        Objects.requireNonNull(comparison, "comparison");
        Objects.requireNonNull(firstAction, "firstAction");
        Objects.requireNonNull(secondAction, "secondAction");
    }

    /** @return true when one side was chosen, so exactly one session is expected */
    public boolean resolved() {
        return comparison.decided();
    }

    /** @return the higher side's INVITE (its caller answers the other INVITE 200 OK); only when {@link #resolved()} */
    public CrossingParty higher() {
        requireResolved();
        return comparison.firstIsHigher() ? first : second;
    }

    /** @return the lower side's INVITE: the one that becomes the session; only when {@link #resolved()} */
    public CrossingParty lower() {
        requireResolved();
        return comparison.firstIsHigher() ? second : first;
    }

    /** @return true when the second INVITE is the higher side's */
    public boolean secondIsHigher() {
        return comparison.secondIsHigher();
    }

    private void requireResolved() {
        if (!resolved()) {
            throw new IllegalStateException("crossing not resolved: " + comparison);
        }
    }
}
