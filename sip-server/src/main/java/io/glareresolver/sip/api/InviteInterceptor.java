package io.glareresolver.sip.api;

/**
 * A plugin's view of the proxy's INVITE path (OSGi whiteboard service).
 *
 * <p>Threading: callbacks come on the SIP stack's threads and must not block. The same
 * {@link InitialInvite} object is passed to every callback about one proxied INVITE, so a plugin
 * may key its own state by it (identity) or by {@link InitialInvite#id()}.
 *
 * <p>Ordering: interceptors run in descending {@code service.ranking}. For
 * {@link #onInitialInvite}, a {@link InviteAction.Kind#FORWARD} action passes the (edited) INVITE to
 * the next interceptor; {@code ANSWER} and {@code HOLD} stop the chain. For
 * {@link #onFinalResponse}, a {@code RELAY} (possibly rewritten) passes on; {@code HOLD} stops it.
 */
public interface InviteInterceptor {

    /**
     * An initial (out-of-dialog) INVITE from a registered, authenticated caller to a registered
     * callee, before it is forwarded. Called once per INVITE server transaction (never for
     * retransmissions).
     *
     * @return what the proxy does with it; never null
     */
    InviteAction onInitialInvite(InitialInvite invite);

    /**
     * A final response from the forwarded branch, before it is relayed to the caller.
     * 2xx responses are always relayed (RFC 3261 §16.7 step 9: a proxy forwards every 2xx);
     * a rewrite or hold returned for a 2xx is ignored and logged.
     *
     * @return what the proxy does with it; never null
     */
    default ResponseAction onFinalResponse(InitialInvite invite, BranchResponse response) {
        return ResponseAction.relay();
    }

    /**
     * A provisional response (101–199) from the forwarded branch, after the proxy relayed it to
     * the caller. Observation only: RFC 3261 §16.7 step 5, "Any provisional response other than a
     * 100 (Trying) MUST be forwarded immediately", so nothing an interceptor does can hold it.
     *
     * @since 1.2
     */
    default void onProvisionalResponse(InitialInvite invite, BranchResponse response) {
    }

    /**
     * The caller's ACK of the 2xx this INVITE was answered with, seen as the proxy forwards it
     * toward the callee. RFC 3261 §13.2.2.4: "The UAC core MUST generate an ACK request for each
     * 2xx received"; it is end to end, outside the INVITE transaction. It always follows
     * {@link #onFinalResponse} for the 2xx, but may come before or after {@link #onEnd}
     * ({@link InviteEnd#ANSWERED}), which is reported from another thread. Called at most once per INVITE (retransmitted
     * ACKs are not reported), and only when the ACK arrives within 64*T1 = 32 s of the 2xx — the
     * time a UAS retransmits its 2xx for (§13.3.1.4). Observation only.
     *
     * @since 1.2
     */
    default void onAck(InitialInvite invite) {
    }

    /** The caller sent CANCEL for this INVITE. The proxy answers the CANCEL and cancels the branch itself. */
    default void onCancel(InitialInvite invite) {
    }

    /**
     * The caller's INVITE transaction is over: a 2xx was relayed, or a non-2xx final response
     * was sent and its ACK received (or Timer H fired), or the caller never got an answer.
     * Called exactly once per INVITE that was passed to {@link #onInitialInvite}.
     */
    default void onEnd(InitialInvite invite, InviteEnd end) {
    }
}
