package io.glareresolver.glare.impl.resolve;

import io.glareresolver.glare.impl.resolve.MessageTrail.Hop;
import io.glareresolver.sip.api.BranchResponse;
import io.glareresolver.sip.api.HeaderEdits;

import java.util.Map;

/** The ladder listener that writes each message into the INVITE's {@link MessageTrail}. */
final class MessageTrailRecorder implements LadderListener {

    @Override
    public void inviteReceived(TrackedInvite t) {
        t.trail.add(Hop.CALLER_TO_SERVER, "INVITE", MessageTrail.glareHeaders(t.invite::headers), "");
    }

    @Override
    public void inviteForwarded(TrackedInvite t, HeaderEdits edits, String note) {
        t.trail.add(Hop.SERVER_TO_CALLEE, "INVITE",
                MessageTrail.afterEdits(MessageTrail.glareHeaders(t.invite::headers), edits), note);
    }

    @Override
    public void answeredHere(TrackedInvite t, int status, String reason, HeaderEdits edits, String note) {
        t.trail.add(Hop.SERVER_TO_CALLER, status + " " + reason, MessageTrail.afterEdits(Map.of(), edits), note);
    }

    @Override
    public void responseReceived(TrackedInvite t, BranchResponse response) {
        t.trail.add(Hop.CALLEE_TO_SERVER, response.status() + " " + response.reason(),
                MessageTrail.glareHeaders(response::headers), "");
    }

    @Override
    public void provisionalRelayed(TrackedInvite t, BranchResponse response) {
        t.trail.add(Hop.SERVER_TO_CALLER, response.status() + " " + response.reason(),
                MessageTrail.glareHeaders(response::headers), "relayed");
    }

    @Override
    public void finalSent(TrackedInvite t, BranchResponse received, int status, String reason, HeaderEdits edits) {
        Map<String, String> headers = MessageTrail.afterEdits(MessageTrail.glareHeaders(received::headers), edits);
        if (status == 0) {
            t.trail.add(Hop.SERVER_TO_CALLER, received.status() + " " + received.reason(), headers, "relayed");
        } else {
            t.trail.add(Hop.SERVER_TO_CALLER, status + " " + reason, headers, "rewritten from " + received.status());
        }
    }

    @Override
    public void callerCancelled(TrackedInvite t) {
        t.trail.add(Hop.CALLER_TO_SERVER, "CANCEL", Map.of(), "");
        t.trail.add(Hop.SERVER_TO_CALLEE, "CANCEL", Map.of(), "relayed");
    }

    @Override
    public void branchCancelled(TrackedInvite t, String why) {
        t.trail.add(Hop.SERVER_TO_CALLEE, "CANCEL", Map.of(), why);
    }

    @Override
    public void ackOf2xx(TrackedInvite t) {
        t.trail.add(Hop.CALLER_TO_SERVER, "ACK", Map.of(), "of the 2xx (end to end)");
        t.trail.add(Hop.SERVER_TO_CALLEE, "ACK", Map.of(), "forwarded");
    }

    @Override
    public void ackOfFinal(TrackedInvite t) {
        t.trail.add(Hop.CALLER_TO_SERVER, "ACK", Map.of(), "of the final response");
    }
}
