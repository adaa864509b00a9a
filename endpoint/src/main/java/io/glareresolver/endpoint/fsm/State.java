package io.glareresolver.endpoint.fsm;

/**
 * States of one call attempt of the seed's device, each named after what it waits for
 * (the shape of reSIProcate DUM's {@code InviteSession} states). Step numbers are the seed's
 * flowcharts (Fig. 5–8).
 */
public enum State {
    /** S51/S55: neither a call request nor a peer INVITE yet. */
    IDLE(false),
    /** S63 → S65/S77/S83: own INVITE sent, waits for its answer or a crossing peer INVITE. */
    AWAITING_ANSWER(true),
    /** S73 → S91/S97: answered the crossing peer INVITE 200 OK, waits for the NG to our own INVITE. */
    AWAITING_NG_AFTER_OK(true),
    /** S75 → S77/S83 (claims 5, 6): answered the crossing peer INVITE NG, waits for the OK to our own. */
    AWAITING_OK_AFTER_NG(true),
    /** Variant "NG delayed": holds the lower-ranked decision's NG until the peer's OK arrived. */
    AWAITING_OK_BEFORE_NG(true),
    /**
     * 491 + {@code accept-peer} (or a bare 491, whose peer INVITE is pending) received before the
     * peer INVITE: keeps the port, waits for that INVITE.
     */
    AWAITING_PEER_INVITE(true),
    /** Variant "higher side re-sends": the lower side holds the peer INVITE and waits for the re-sent one. */
    AWAITING_RESENT_INVITE(true),
    /** S99 → S101/S105 and S115 → S117: answered 200 OK, waits for the ACK. */
    AWAITING_ACK(true),
    /** S81 / S103 / S119: session up, P2P on the negotiated ports; waits for BYE or hang-up. */
    AWAITING_BYE(false),
    /** Terminal: the port is closed (S85, S93, S107, S121, claim 6) or the session ended. */
    CLOSED(false);

    private final boolean guarded;

    State(boolean guarded) {
        this.guarded = guarded;
    }

    /**
     * @return true when a timer guards the wait: if the awaited message does not come, the
     * driver delivers {@link Event#TIMEOUT} (S117: NO → S121 generalised to every wait).
     */
    public boolean guarded() {
        return guarded;
    }

    /** @return true once the P2P session is up */
    public boolean inSession() {
        return this == AWAITING_BYE;
    }
}
