package io.glareresolver.glare.impl.resolve;

import io.glareresolver.glare.impl.crossing.CrossingParty;
import io.glareresolver.glare.impl.crossing.ServerCrossing;
import io.glareresolver.sip.api.HeaderEdits;
import io.glareresolver.sip.api.InitialInvite;

import java.util.OptionalInt;

/**
 * One initial INVITE the plugin follows: the proxy's handle, what the plugin knows of it, and its
 * crossing. Its fields are guarded by {@link #lock()}: the INVITE itself until it is part of a
 * crossing, then the crossing's first INVITE (one lock per crossing).
 */
final class TrackedInvite {

    final InitialInvite invite;
    final CrossingParty party;
    /** The edits every forwarding of this INVITE carries (stamped tie-break, stripped instructions). */
    final HeaderEdits baseEdits;
    final long trackedNanos;
    /** What the server saw and sent for this INVITE (the console's ladder diagram). */
    final MessageTrail trail = new MessageTrail();

    /** Set once, under the first INVITE's lock, when the INVITE becomes part of a crossing. */
    volatile Crossing crossing;
    /** Its place in the crossing, set with {@link #crossing}. */
    volatile ServerCrossing.Invite role;

    // guarded by lock()
    /** A provisional response 101–199 came from its callee. */
    boolean provisional;
    /** The final status its caller got (0 while none). */
    int finalStatus;
    long finalNanos;
    OptionalInt answerPort = OptionalInt.empty();
    boolean ended;
    /** The proxy ended it because the plugin was unbound or the proxy stopped ({@code InviteEnd.ABORTED}). */
    boolean aborted;

    TrackedInvite(InitialInvite invite, CrossingParty party, HeaderEdits baseEdits, long trackedNanos) {
        this.invite = invite;
        this.party = party;
        this.baseEdits = baseEdits;
        this.trackedNanos = trackedNanos;
    }

    /** The monitor for this INVITE's state: its crossing's first INVITE once it has one. */
    Object lock() {
        Crossing c = crossing;
        return c == null ? this : c.first;
    }

    /** How far it had got, for a crossing that starts now. Caller holds {@link #lock()}. */
    ServerCrossing.FirstProgress progress() {
        if (finalStatus == 0) {
            return provisional ? ServerCrossing.FirstProgress.RINGING : ServerCrossing.FirstProgress.PENDING;
        }
        return finalStatus < 300 ? ServerCrossing.FirstProgress.ANSWERED : ServerCrossing.FirstProgress.REJECTED;
    }
}
