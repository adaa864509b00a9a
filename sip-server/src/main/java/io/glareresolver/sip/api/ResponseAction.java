package io.glareresolver.sip.api;

import java.util.Objects;

/** What the proxy does with a final response from the forwarded branch. Immutable. */
public final class ResponseAction {

    public enum Kind {
        /** Relay to the caller, with {@link #status()} (0 = unchanged) and {@link #edits()} applied. */
        RELAY,
        /**
         * Do not relay this non-2xx response; the caller's transaction stays open (the branch is
         * ACKed and done) and the plugin calls {@link InitialInvite#release} later, e.g. to send the
         * INVITE to the callee once more as a new branch.
         */
        HOLD
    }

    private static final ResponseAction RELAY_UNCHANGED = new ResponseAction(Kind.RELAY, 0, null, HeaderEdits.none());
    private static final ResponseAction HOLD = new ResponseAction(Kind.HOLD, 0, null, HeaderEdits.none());

    private final Kind kind;
    private final int status;
    private final String reason;
    private final HeaderEdits edits;

    private ResponseAction(Kind kind, int status, String reason, HeaderEdits edits) {
        this.kind = kind;
        this.status = status;
        this.reason = reason;
        this.edits = Objects.requireNonNull(edits, "edits");
    }

    public static ResponseAction relay() {
        return RELAY_UNCHANGED;
    }

    /** Relay with headers edited, status unchanged. */
    public static ResponseAction relay(HeaderEdits edits) {
        return new ResponseAction(Kind.RELAY, 0, null, edits);
    }

    /** Relay a non-2xx response rewritten to another non-2xx status (300..699), with headers edited. */
    public static ResponseAction rewrite(int status, String reason, HeaderEdits edits) {
        if (status < 300 || status > 699) {
            throw new IllegalArgumentException("a final non-2xx status is 300..699, not " + status);
        }
        return new ResponseAction(Kind.RELAY, status, reason, edits);
    }

    public static ResponseAction hold() {
        return HOLD;
    }

    public Kind kind() {
        return kind;
    }

    /** New status for a rewrite; 0 means keep the branch's status. */
    public int status() {
        return status;
    }

    /** New reason phrase, or null (standard phrase on a rewrite, unchanged otherwise). */
    public String reason() {
        return reason;
    }

    public HeaderEdits edits() {
        return edits;
    }

    @Override
    public String toString() {
        return kind + (status != 0 ? " " + status : "") + " " + edits;
    }
}
