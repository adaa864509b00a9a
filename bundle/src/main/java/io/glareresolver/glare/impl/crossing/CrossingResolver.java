package io.glareresolver.glare.impl.crossing;

import io.glareresolver.protocol.Comparison;
import io.glareresolver.protocol.Contender;
import io.glareresolver.protocol.TieBreak;

import java.util.Objects;

/**
 * DESIGN §4 steps 1–3 as a pure function: from the two crossing INVITEs and the
 * {@code tiebreak.source} policy, the plan for both sides. No SIP, no OSGi, no clock.
 */
public final class CrossingResolver {

    private CrossingResolver() {
    }

    /**
     * Decides a crossing once, for both sides.
     *
     * <p>Step 1: order the two sides by their effective values ({@link CrossingParty#effectiveTiebreak});
     * a side with no value is the one refused (seed claim 8), i.e. it answers the other's INVITE.
     * Step 2: "The session will be L's INVITE, answered 200 OK by H on H's advertised port; H's
     * INVITE ends with NG from L." Step 3: tell each side what to send, and act for a side that is
     * not glare-aware.
     *
     * @param first  the INVITE already forwarded
     * @param second the INVITE that crossed it
     */
    public static CrossingPlan plan(CrossingParty first, CrossingParty second, TiebreakSource source) {
        Objects.requireNonNull(source, "source");
        if (!first.leg().reverse().equals(second.leg())) {
            throw new IllegalArgumentException("not a crossing: " + first.leg() + " and " + second.leg());
        }
        Comparison c = TieBreak.compare(contender(first, source), contender(second, source));
        if (!c.decided()) {
            return new CrossingPlan(first, second, c, FirstInviteAction.NONE, SecondInviteAction.FORWARD_UNRESOLVED);
        }
        if (c.secondIsHigher()) {
            // L's INVITE (first) is already at H; H's INVITE (second) must end with NG from L.
            CrossingParty lower = first;
            CrossingParty higher = second;
            SecondInviteAction toSecond = lower.glareAware()
                    ? SecondInviteAction.FORWARD_WITH_REJECT
                    : SecondInviteAction.ANSWER_NG;
            FirstInviteAction aboutFirst = higher.glareAware()
                    ? FirstInviteAction.AWAIT_ANSWER
                    : FirstInviteAction.RETRY_AFTER_BUSY;
            return new CrossingPlan(first, second, c, aboutFirst, toSecond);
        }
        // H's INVITE (first) is already at L; L's INVITE (second) becomes the session.
        CrossingParty higher = first;
        SecondInviteAction toSecond = higher.glareAware()
                ? SecondInviteAction.FORWARD_WITH_ACCEPT
                : SecondInviteAction.HOLD_UNTIL_HIGHER_ENDS;
        return new CrossingPlan(first, second, c, FirstInviteAction.NG_WITH_ACCEPT_PEER, toSecond);
    }

    private static Contender contender(CrossingParty party, TiebreakSource source) {
        return party.effectiveTiebreak(source)
                .map(t -> Contender.of(party.aor(), t))
                .orElseGet(() -> Contender.without(party.aor()));
    }
}
