package io.glareresolver.glare.impl.resolve;

import io.glareresolver.glare.impl.crossing.CrossingParty;
import io.glareresolver.sip.api.HeaderEdits;
import io.glareresolver.sip.api.InitialInvite;

import java.util.OptionalInt;

/** One initial INVITE the plugin follows: the proxy's handle, what the plugin knows of it, and its crossing. */
final class TrackedInvite {

    final InitialInvite invite;
    final CrossingParty party;
    /** The edits every forwarding of this INVITE carries (stamped tie-break, stripped instructions). */
    final HeaderEdits baseEdits;
    final long trackedNanos;
    /** What the server saw and sent for this INVITE (the console's ladder diagram). */
    final MessageTrail trail = new MessageTrail();

    /** Set once, when the INVITE becomes part of a crossing. */
    volatile Crossing crossing;

    // guarded by the crossing's monitor
    int finalStatus;
    OptionalInt answerPort = OptionalInt.empty();
    boolean ended;
    /** The proxy ended it because the plugin was unbound or the proxy stopped ({@code InviteEnd.ABORTED}). */
    boolean aborted;
    boolean answered;

    TrackedInvite(InitialInvite invite, CrossingParty party, HeaderEdits baseEdits, long trackedNanos) {
        this.invite = invite;
        this.party = party;
        this.baseEdits = baseEdits;
        this.trackedNanos = trackedNanos;
    }
}
