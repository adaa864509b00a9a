package io.glareresolver.sip.api;

import java.util.Objects;

/** What the proxy does with an initial INVITE. Immutable. */
public final class InviteAction {

    public enum Kind {
        /** Forward to the callee's bindings, after applying {@link #edits()}. */
        FORWARD,
        /** Answer the caller locally with {@link #status()} and {@link #edits()} as response headers. */
        ANSWER,
        /** Keep the INVITE (the caller has had 100 Trying); the plugin calls {@link InitialInvite#release} later. */
        HOLD
    }

    private static final InviteAction FORWARD_UNCHANGED = new InviteAction(Kind.FORWARD, 0, null, HeaderEdits.none());
    private static final InviteAction HOLD = new InviteAction(Kind.HOLD, 0, null, HeaderEdits.none());

    private final Kind kind;
    private final int status;
    private final String reason;
    private final HeaderEdits edits;
    private final String onlyTo;

    private InviteAction(Kind kind, int status, String reason, HeaderEdits edits) {
        this(kind, status, reason, edits, null);
    }

    private InviteAction(Kind kind, int status, String reason, HeaderEdits edits, String onlyTo) {
        this.kind = kind;
        this.status = status;
        this.reason = reason;
        this.edits = Objects.requireNonNull(edits, "edits");
        this.onlyTo = onlyTo;
    }

    /**
     * This FORWARD, to one device of the callee only: the binding whose contact is the same device
     * as {@code contact} ({@link Registration#sameDevice}), not every binding (since 1.4.0). The
     * glare plugin sends the second INVITE of a crossing only to the phone that sent the first. If
     * no binding is that device any more, the proxy forwards to every binding.
     *
     * @throws IllegalStateException if this is not a FORWARD
     */
    public InviteAction onlyTo(String contact) {
        if (kind != Kind.FORWARD) {
            throw new IllegalStateException("only a FORWARD has targets, not " + kind);
        }
        return new InviteAction(kind, status, reason, edits, Objects.requireNonNull(contact, "contact"));
    }

    /** The one device a FORWARD goes to ({@link #onlyTo}), or empty: every binding of the callee. */
    public java.util.Optional<String> target() {
        return java.util.Optional.ofNullable(onlyTo);
    }

    public static InviteAction forward() {
        return FORWARD_UNCHANGED;
    }

    public static InviteAction forward(HeaderEdits edits) {
        return new InviteAction(Kind.FORWARD, 0, null, edits);
    }

    /**
     * Answer the INVITE from the proxy with a final response.
     *
     * @param status 300..699
     * @param reason reason phrase, or null for the standard one
     * @param headers headers to add to the response
     */
    public static InviteAction answer(int status, String reason, HeaderEdits headers) {
        if (status < 300 || status > 699) {
            throw new IllegalArgumentException("a proxy answers an INVITE only with 3xx-6xx, not " + status);
        }
        return new InviteAction(Kind.ANSWER, status, reason, headers);
    }

    public static InviteAction answer(int status, String reason) {
        return answer(status, reason, HeaderEdits.none());
    }

    public static InviteAction hold() {
        return HOLD;
    }

    public Kind kind() {
        return kind;
    }

    /** The response status for {@link Kind#ANSWER}; 0 otherwise. */
    public int status() {
        return status;
    }

    /** The reason phrase for {@link Kind#ANSWER}, or null for the standard one. */
    public String reason() {
        return reason;
    }

    /** Header edits: applied to the forwarded request ({@code FORWARD}) or the response ({@code ANSWER}). */
    public HeaderEdits edits() {
        return edits;
    }

    @Override
    public String toString() {
        return kind + (kind == Kind.ANSWER ? " " + status + (reason == null ? "" : " " + reason) : "")
                + (onlyTo == null ? "" : " only to " + onlyTo) + " " + edits;
    }
}
