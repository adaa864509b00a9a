package io.glareresolver.glare.impl.resolve;

import io.glareresolver.sip.api.BranchResponse;
import io.glareresolver.sip.api.HeaderEdits;

/**
 * Hears every SIP message of a followed INVITE as the resolver handles it: the same events that
 * drive the crossing's state machine, for tracing (the console's ladder diagram). Called on the
 * proxy's threads; an implementation must be quick and must not throw.
 */
interface LadderListener {

    /** The INVITE reached the server. */
    void inviteReceived(TrackedInvite t);

    /** A copy of the INVITE went to its callee (forwarded, or released after a hold), with these edits. */
    void inviteForwarded(TrackedInvite t, HeaderEdits edits, String note);

    /** The server answered the INVITE itself. */
    void answeredHere(TrackedInvite t, int status, String reason, HeaderEdits edits, String note);

    /** A response came from the INVITE's callee. */
    void responseReceived(TrackedInvite t, BranchResponse response);

    /** The callee's provisional response went on to the caller unchanged (RFC 3261 §16.7 step 5). */
    void provisionalRelayed(TrackedInvite t, BranchResponse response);

    /** The final response went to the caller: {@code status} 0 when relayed as received, else rewritten. */
    void finalSent(TrackedInvite t, BranchResponse received, int status, String reason, HeaderEdits edits);

    /** The caller's CANCEL (RFC 3261 §16.10: answered by the proxy, which CANCELs the branch). */
    void callerCancelled(TrackedInvite t);

    /** The server CANCELled the INVITE's branch. */
    void branchCancelled(TrackedInvite t, String why);

    /** The end-to-end ACK of a 2xx (RFC 3261 §13.2.2.4). */
    void ackOf2xx(TrackedInvite t);

    /** The hop-by-hop ACK of a non-2xx final response (RFC 3261 §17.1.1.3), which ended the transaction. */
    void ackOfFinal(TrackedInvite t);
}
