package io.glareresolver.sip.api;

/** How the caller's INVITE transaction ended. */
public enum InviteEnd {
    /** A 2xx was relayed to the caller: a dialog is being established. */
    ANSWERED(true),
    /** A non-2xx final response (from the callee, the proxy or a plugin) was sent and ACKed (or Timer H fired). */
    REJECTED(false),
    /** The caller cancelled; 487 was sent. */
    CANCELLED(false),
    /** No final response came in time (Timer C / transaction timeout); 408 was sent. */
    TIMED_OUT(false),
    /** The proxy stopped (or the plugin unbound) while the INVITE was in progress. */
    ABORTED(false);

    private final boolean dialogEstablished;

    InviteEnd(boolean dialogEstablished) {
        this.dialogEstablished = dialogEstablished;
    }

    public boolean dialogEstablished() {
        return dialogEstablished;
    }
}
