package io.glareresolver.endpoint.fsm;

import java.util.Objects;

/**
 * What the driver must do, in order. Immutable.
 *
 * @param kind what to do
 * @param callId the dialog/transaction it applies to (own or peer INVITE), or null
 * @param port the remote media port for {@link Kind#START_P2P}; otherwise {@link Signal#NO_PORT}
 * @param status the response code for {@link Kind#SEND_NG}; otherwise 0
 */
public record Action(Kind kind, String callId, int port, int status) {

    /** The device's primitive operations. */
    public enum Kind {
        /** S61 / S111: open (bind) the media port. */
        OPEN_PORT,
        /** S62–S63: send our INVITE with the port and the additional information. */
        SEND_INVITE,
        /** S71–S73 / S113–S115: answer the peer INVITE 200 OK with our port. */
        SEND_OK,
        /** Variant: answer 200 OK without a port; the peer uses the port of our INVITE. */
        SEND_OK_WITHOUT_PORT,
        /** S75 / claim 8: answer the peer INVITE negatively ({@link #status}: 491, or 486 when busy). */
        SEND_NG,
        /** S79: ACK the 2xx to our own INVITE. */
        SEND_ACK,
        /** S95: end our own INVITE (CANCEL while pending; ACK + BYE if it was answered 2xx). */
        CANCEL_OWN,
        /** Variant: send our INVITE again (new transaction), same port and additional information. */
        RESEND_INVITE,
        /** End the dialog {@link #callId} with BYE. */
        SEND_BYE,
        /** S81 / S103 / S119: P2P with the peer on {@link #port}, over dialog {@link #callId}. */
        START_P2P,
        /** S85 / S93 / S107 / S121 / claim 6: close the media port (release the socket). */
        CLOSE_PORT
    }

    public Action {
        Objects.requireNonNull(kind);
    }

    static Action of(Kind kind) {
        return new Action(kind, null, Signal.NO_PORT, 0);
    }

    static Action on(Kind kind, String callId) {
        return new Action(kind, callId, Signal.NO_PORT, 0);
    }

    static Action ng(String callId, int status) {
        return new Action(Kind.SEND_NG, callId, Signal.NO_PORT, status);
    }

    static Action p2p(String callId, int remotePort) {
        return new Action(Kind.START_P2P, callId, remotePort, 0);
    }

    @Override
    public String toString() {
        return kind + (callId == null ? "" : "(" + callId + (status == 0 ? "" : ", " + status)
                + (port == Signal.NO_PORT ? "" : ", port " + port) + ")");
    }
}
