package io.glareresolver.glare.impl.resolve;

import io.glareresolver.glare.impl.crossing.CrossingParty;
import io.glareresolver.glare.impl.crossing.ServerCrossing;
import io.glareresolver.sip.api.HeaderEdits;
import io.glareresolver.sip.api.InitialInvite;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import io.glareresolver.sip.api.Registration;

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
    /** The caller's device: the INVITE's Contact (a user may have several registered phones). */
    final Optional<String> device;
    /** What the server saw and sent for this INVITE (the console's ladder diagram). */
    final MessageTrail trail = new MessageTrail();

    /** Set once, under the first INVITE's lock, when the INVITE becomes part of a crossing. */
    volatile Crossing crossing;
    /** Its place in the crossing, set with {@link #crossing}. */
    volatile ServerCrossing.Invite role;

    // guarded by lock()
    /** A provisional response 101–199 came from its callee. */
    boolean provisional;
    /** The devices (binding contacts) that sent those provisional responses; null entries: unknown. */
    final List<String> provisionalFrom = new ArrayList<>(2);
    /** The device whose answer was the final response (null: unknown or the proxy's own). */
    String answeredBy;
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
        this.device = invite.callerContact();
    }

    /** The monitor for this INVITE's state: its crossing's first INVITE once it has one. */
    Object lock() {
        Crossing c = crossing;
        return c == null ? this : c.first;
    }

    /** How far it had got, for a crossing that starts now. Caller holds {@link #lock()}. */
    ServerCrossing.FirstProgress progress() {
        return progress(Optional.empty());
    }

    /**
     * How far it had got at one device of its callee, {@code crossingDevice} (the one whose own
     * INVITE crosses it): another phone of the same user ringing says nothing about that one.
     * Caller holds {@link #lock()}.
     */
    ServerCrossing.FirstProgress progress(Optional<String> crossingDevice) {
        if (finalStatus == 0) {
            boolean rang = provisional && (crossingDevice.isEmpty() || provisionalFrom.stream()
                    .anyMatch(d -> d == null || Registration.sameDevice(d, crossingDevice.get())));
            return rang ? ServerCrossing.FirstProgress.RINGING : ServerCrossing.FirstProgress.PENDING;
        }
        return finalStatus < 300 ? ServerCrossing.FirstProgress.ANSWERED : ServerCrossing.FirstProgress.REJECTED;
    }

    /** True if a response from {@code device} is about the device {@code crossingDevice} (or either is unknown). */
    static boolean sameOrUnknown(Optional<String> device, Optional<String> crossingDevice) {
        return device.isEmpty() || crossingDevice.isEmpty() || Registration.sameDevice(device.get(), crossingDevice.get());
    }
}
