package io.glareresolver.endpoint.fsm;

import io.glareresolver.protocol.TiebreakValue;
import java.util.Objects;
import java.util.Optional;

/**
 * One {@link Event} with the data the seed stores "in RAM 23": the message's Call-ID, the peer's
 * AOR and tie-break, and the media port of its SDP. Immutable.
 */
public final class Signal {

    /** No media port in the message (no SDP, or SDP without an {@code m=} port). */
    public static final int NO_PORT = -1;

    private final Event event;
    private final String callId;
    private final String aor;
    private final TiebreakValue tiebreak;
    private final int mediaPort;
    private final String acceptPeerCallId;

    private Signal(Event event, String callId, String aor, TiebreakValue tiebreak, int mediaPort, String acceptPeerCallId) {
        this.event = Objects.requireNonNull(event);
        this.callId = callId;
        this.aor = aor;
        this.tiebreak = tiebreak;
        this.mediaPort = mediaPort;
        this.acceptPeerCallId = acceptPeerCallId;
    }

    /** A signal that carries no message data (HANG_UP, TIMEOUT, CALL_REQUESTED). */
    public static Signal of(Event event) {
        return new Signal(event, null, null, null, NO_PORT, null);
    }

    /** CALL_REQUESTED for our INVITE with this Call-ID. */
    public static Signal callRequested(String ownCallId) {
        return new Signal(Event.CALL_REQUESTED, ownCallId, null, null, NO_PORT, null);
    }

    /** A peer INVITE (one of the four PEER_INVITE events). */
    public static Signal peerInvite(Event event, String callId, String peerAor, TiebreakValue tiebreak, int mediaPort) {
        if (!event.isPeerInvite()) {
            throw new IllegalArgumentException(event + " is not a peer INVITE");
        }
        return new Signal(event, callId, peerAor, tiebreak, mediaPort, null);
    }

    /** A final response to our own INVITE. */
    public static Signal ownResponse(Event event, String callId, int mediaPort, String acceptPeerCallId) {
        return new Signal(event, callId, null, null, mediaPort, acceptPeerCallId);
    }

    /** An in-dialog or transaction message (ACK, CANCEL, BYE) for this Call-ID. */
    public static Signal message(Event event, String callId) {
        return new Signal(event, callId, null, null, NO_PORT, null);
    }

    public Event event() {
        return event;
    }

    public String callId() {
        return callId;
    }

    public Optional<String> aor() {
        return Optional.ofNullable(aor);
    }

    public Optional<TiebreakValue> tiebreak() {
        return Optional.ofNullable(tiebreak);
    }

    public int mediaPort() {
        return mediaPort;
    }

    public Optional<String> acceptPeerCallId() {
        return Optional.ofNullable(acceptPeerCallId);
    }

    @Override
    public String toString() {
        return event + (callId == null ? "" : " call-id=" + callId)
                + (tiebreak == null ? "" : " tiebreak=" + tiebreak)
                + (mediaPort == NO_PORT ? "" : " port=" + mediaPort);
    }
}
