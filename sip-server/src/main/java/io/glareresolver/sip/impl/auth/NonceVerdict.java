package io.glareresolver.sip.impl.auth;

/** What the server thinks of the nonce (and nonce-count) a client answered with. */
public enum NonceVerdict {
    /** Ours, fresh, and the nonce-count is new. */
    VALID,
    /** Ours but older than the nonce lifetime: challenge again with {@code stale=true} (RFC 2617 §3.2.1). */
    STALE,
    /** Ours and fresh, but this nonce-count was already used: a replay; challenge again with a fresh nonce. */
    REPLAYED,
    /** Not a nonce this server issued (or issued with another secret, before a restart). */
    UNKNOWN
}
